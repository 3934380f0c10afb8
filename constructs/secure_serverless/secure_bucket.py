"""SecureBucket: private, TLS-only, KMS-encrypted, versioned, access-logged S3 bucket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import KeyAccess, PrefixAccess

from ._grants import BUCKET_KEY_SHARE_REASON, cfn_of, claim, claim_ownership, key_of, owned_parts, plain_grant
from ._tree import path_of
from ._validation import ConfigurationError, Problems, origin_problem
from .cdk_compat import FEATURE_FLAGS, S3_LOGS_USE_BUCKET_POLICY
from .compliance import acknowledge, iam5_resource
from .encryption_key import EncryptionKey

if TYPE_CHECKING:
    from .secure_function import SecureFunction


class SecureBucket(s3.BucketBase):
    """An S3 bucket that blocks all public access and refuses plain HTTP and TLS < 1.2.

    It is an ``s3.IBucket`` (a ``BucketBase`` over its inner ``bucket``), so any CDK API takes it:
    ``add_event_notification``, ``s3_deployment.BucketDeployment``, an S3 event source. CDK's
    whole-bucket grants (``grant_read`` ...) to a kit function are refused by the function's role,
    naming ``grant_prefix``.

    Objects are encrypted with SSE-KMS under the bucket's key (bucket key on, to cut KMS calls),
    ACLs are disabled (bucket owner enforced), versioning is on, noncurrent versions expire,
    incomplete multipart uploads are aborted, and server access logs go to a log bucket.

    :param encryption_key: the key for objects: an ``EncryptionKey`` or a ``kms.IKey`` defined in
        the app. Default: a new EncryptionKey.
    :param server_access_logs_bucket: where access logs go. Default: a new log bucket
        (SSE-S3, because S3 log delivery cannot write to SSE-KMS buckets; same protections
        otherwise, logs expire after ``access_log_retention_days``).
    :param access_log_retention_days: days to keep access logs in the new log bucket, 1..3650.
        Default: 365.
    :param noncurrent_version_expiration_days: days to keep replaced versions, 1..3650. Default: 90.
    :param cors_allowed_origins: origins allowed to POST/GET objects from a browser (presigned
        uploads). Each must be ``https://host[:port]`` (``http://localhost`` for development).
        Default: no CORS.
    :param removal_policy: what happens on stack deletion. Default: RETAIN.

    Grant with ``grant_prefix(function, prefix=..., access=...)``: exact object actions under one
    key prefix, never the whole bucket; the bucket key's use through S3 comes with it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: EncryptionKey | kms.IKey | None = None,
        server_access_logs_bucket: s3.IBucket | None = None,
        access_log_retention_days: int = 365,
        noncurrent_version_expiration_days: int = 90,
        cors_allowed_origins: list[str] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        # Log delivery through a bucket policy, not the LogDeliveryWrite ACL, so ACLs can stay
        # disabled (bucket owner enforced). Set here so the construct works in any app, with or
        # without the recommended feature flags in its cdk.json.
        self.node.set_context(S3_LOGS_USE_BUCKET_POLICY, FEATURE_FLAGS[S3_LOGS_USE_BUCKET_POLICY])
        problems = Problems(path_of(self))
        problems.check_range("access_log_retention_days", access_log_retention_days, 1, 3650, "days")
        problems.check_range("noncurrent_version_expiration_days", noncurrent_version_expiration_days, 1, 3650, "days")
        for origin in cors_allowed_origins or []:
            problem = origin_problem(origin)
            if problem:
                problems.add("cors_allowed_origins", origin, problem)
        if encryption_key is not None:
            key_of(encryption_key, problems, "encryption_key")
        problems.raise_if_any()

        self._encryption_key: EncryptionKey | kms.IKey = encryption_key or EncryptionKey(
            self, "Key", allow_cloudwatch_logs=False
        )
        self.key = key_of(self.encryption_key)
        if server_access_logs_bucket is None:
            log_bucket = s3.Bucket(
                self,
                "AccessLogs",
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                minimum_tls_version=1.2,
                versioned=True,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        expiration=cdk.Duration.days(access_log_retention_days),
                        noncurrent_version_expiration=cdk.Duration.days(30),
                        abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                    )
                ],
                removal_policy=removal_policy,
            )
            server_access_logs_bucket = log_bucket
        self.access_logs_bucket = server_access_logs_bucket

        self.bucket = s3.Bucket(
            self,
            "Resource",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix=f"{cdk.Names.unique_id(self)}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=cdk.Duration.days(noncurrent_version_expiration_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET],
                    allowed_origins=list(cors_allowed_origins),
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ]
            if cors_allowed_origins
            else None,
            removal_policy=removal_policy,
        )

    # ------------------------------------------------------------------ s3.IBucket
    @property
    def bucket_arn(self) -> str:
        return self.bucket.bucket_arn

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    @property
    def bucket_domain_name(self) -> str:
        return self.bucket.bucket_domain_name

    @property
    def bucket_dual_stack_domain_name(self) -> str:
        return self.bucket.bucket_dual_stack_domain_name

    @property
    def bucket_regional_domain_name(self) -> str:
        return self.bucket.bucket_regional_domain_name

    @property
    def bucket_website_domain_name(self) -> str:
        return self.bucket.bucket_website_domain_name

    @property
    def bucket_website_url(self) -> str:
        return self.bucket.bucket_website_url

    @property
    def is_website(self) -> bool | None:
        return self.bucket.is_website

    @property
    def encryption_key(self) -> EncryptionKey | kms.IKey:
        """The bucket's key: the ``EncryptionKey`` given or created (itself a ``kms.IKey``)."""
        return self._encryption_key

    @property
    def policy(self) -> s3.BucketPolicy | None:
        return self.bucket.policy

    @policy.setter
    def policy(self, value: s3.BucketPolicy | None) -> None:
        self.bucket.policy = value

    @property
    def _auto_create_policy(self) -> bool:
        return True

    @_auto_create_policy.setter
    def _auto_create_policy(self, value: bool) -> None:
        pass  # the inner bucket owns its policy

    @property
    def disallow_public_access(self) -> bool | None:
        return True

    @disallow_public_access.setter
    def disallow_public_access(self, value: bool | None) -> None:
        pass  # always blocked (BLOCK_ALL)

    @property
    def replication_role_arn(self) -> str | None:
        return self.bucket.replication_role_arn

    @replication_role_arn.setter
    def replication_role_arn(self, value: str | None) -> None:
        self.bucket.replication_role_arn = value

    def add_to_resource_policy(self, permission: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        return self.bucket.add_to_resource_policy(permission)

    def add_event_notification(
        self, event: s3.EventType, dest: s3.IBucketNotificationDestination, *filters: s3.NotificationKeyFilter
    ) -> None:
        """CDK's ``add_event_notification``; CDK's notifications handler gets a declared perimeter.

        The handler (one per stack) may then write the notification configuration of exactly the
        buckets it configures, nothing else (see ``helper_perimeters``). Object events of a prefix
        that a kit function owns carry that service's data (object keys, sizes): they may reach the
        owner itself, or another kit function only when the owner declared the prefix shared
        (``grant_prefix(owner, prefix=..., share_reason=...)``); otherwise the synth fails naming
        the path and that call.
        """
        from .helper_perimeters import declare_helper_perimeters

        self._check_event_path(dest, filters)
        super().add_event_notification(event, dest, *filters)
        declare_helper_perimeters(self)

    def _check_event_path(
        self, dest: s3.IBucketNotificationDestination, filters: Sequence[s3.NotificationKeyFilter]
    ) -> None:
        from ._cdk_grants import kit_function_of_arn
        from ._grants import share_of

        if not isinstance(dest, s3n.LambdaDestination):
            return
        receiver = kit_function_of_arn(dest.bind(self, self).arn)
        if receiver is None:
            return
        prefixes = [f.prefix or "" for f in filters] or [""]
        for prefix in prefixes:
            for owned, owner in owned_parts(self.bucket).items():
                overlaps = owned.startswith(prefix) or prefix.startswith(owned)
                if not overlaps or owner is receiver or share_of(self.bucket, owned) is not None:
                    continue
                raise ConfigurationError(
                    receiver.node.path,
                    [
                        f"the object events of prefix '{owned}' of {path_of(self)} reach {receiver.node.path}, but "
                        f"the prefix belongs to {owner.node.path}: a cross-service path ({owner.node.path}'s data -> "
                        f"{path_of(self)}/{owned} -> {receiver.node.path}). If the other service really needs those "
                        f"events, declare the prefix shared where its owner is granted: bucket.grant_prefix(<owner>, "
                        f"prefix='{owned}', access=..., share_reason='<why>')"
                    ],
                )

    def grant_prefix(
        self,
        grantee: iam.IGrantable,
        *,
        prefix: str,
        access: PrefixAccess | str,
        share_reason: str | None = None,
    ) -> iam.Grant:
        """Let ``grantee`` reach the objects under ``prefix`` only, with an access level.

        Exact S3 object actions on ``<bucket arn>/<prefix>*`` (never the whole bucket, never
        ListBucket), and the bucket key's use through S3 only (``kms:ViaService``). The first kit
        function granted a prefix owns it; an overlapping prefix for another kit function needs
        ``share_reason`` (recorded on both sides).

        :param prefix: a key prefix like ``"files/"`` (no leading slash, ends with ``/``, no ``*``).
        :param access: a ``PrefixAccess``: READ, WRITE, DELETE, READ_WRITE or READ_WRITE_DELETE.
        """
        problems = Problems(f"{path_of(self)}.grant_prefix")
        if not prefix or not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
            problems.add("prefix", prefix, "use a key prefix like 'files/' (no leading slash, ends with '/', no '*')")
        problems.check_choice("access", str(access), [level.value for level in PrefixAccess])
        problems.raise_if_any()
        key_use = KeyAccess.DECRYPT if access == PrefixAccess.READ else KeyAccess.ENCRYPT_DECRYPT
        object_arn = f"{self.bucket_arn}/{prefix}*"
        from ._grants import kit_function_of

        function = kit_function_of(grantee)
        if function is None:
            return plain_grant(
                grantee,
                kind=access_levels.S3_PREFIX,
                access=str(access),
                resource_arns=[object_arn],
                key=self.key,
                key_use=key_use,
            )
        reason = self._claim_prefix(function, prefix, share_reason)
        grant = function.allow(
            kind=access_levels.S3_PREFIX,
            resource=cfn_of(self.bucket),
            access=str(access),
            resource_arns=[object_arn],
            prefix=prefix,
            share_reason=reason,
        )
        stack = cdk.Stack.of(self)
        bucket_logical_id = stack.resolve(stack.get_logical_id(cfn_of(self.bucket)))
        acknowledge(
            function.policy,
            iam5_resource(f"<{bucket_logical_id}.Arn>/{prefix}*"),
            f"Object actions are limited to the key prefix '{prefix}' of this one bucket: IAM can only express "
            "'every object under a prefix' with a trailing '*'. No ListBucket, no other prefix, no other bucket.",
        )
        claim(function, self.encryption_key, key_use, via_services=["s3"], share_reason=BUCKET_KEY_SHARE_REASON)
        return grant

    def _claim_prefix(self, function: SecureFunction, prefix: str, share_reason: str | None) -> str | None:
        """Ownership per prefix: an overlapping prefix (``a/`` and ``a/b/``) of another function is its prefix."""
        # The one ownership registry (_grants) holds each prefix as a part of the bucket.
        for other_prefix, owner in owned_parts(self.bucket).items():
            if owner is not function and (other_prefix.startswith(prefix) or prefix.startswith(other_prefix)):
                return claim_ownership(
                    function,
                    resource=self.bucket,
                    part=other_prefix,
                    what=f"the prefix '{other_prefix}' of {path_of(self)}",
                    share_reason=share_reason,
                )
        return claim_ownership(
            function, resource=self.bucket, part=prefix, what=f"the prefix '{prefix}'", share_reason=share_reason
        )
