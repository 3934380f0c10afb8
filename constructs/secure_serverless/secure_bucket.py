"""SecureBucket: private, TLS-only, KMS-encrypted, versioned, access-logged S3 bucket."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._validation import Problems, origin_problem
from .encryption_key import EncryptionKey

_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


class SecureBucket(Construct):
    """An S3 bucket that blocks all public access and refuses plain HTTP and TLS < 1.2.

    Objects are encrypted with SSE-KMS under the bucket's key (bucket key on, to cut KMS calls),
    ACLs are disabled (bucket owner enforced), versioning is on, noncurrent versions expire,
    incomplete multipart uploads are aborted, and server access logs go to a log bucket.

    :param encryption_key: the key for objects. Default: a new EncryptionKey.
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
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: EncryptionKey | None = None,
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
        self.node.set_context(_LOGS_USE_BUCKET_POLICY, True)
        problems = Problems(self.node.path)
        problems.check_range("access_log_retention_days", access_log_retention_days, 1, 3650, "days")
        problems.check_range("noncurrent_version_expiration_days", noncurrent_version_expiration_days, 1, 3650, "days")
        for origin in cors_allowed_origins or []:
            problem = origin_problem(origin)
            if problem:
                problems.add("cors_allowed_origins", origin, problem)
        problems.raise_if_any()

        self.encryption_key = encryption_key or EncryptionKey(self, "Key", allow_cloudwatch_logs=False)
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
            encryption_key=self.encryption_key.key,
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

    @property
    def bucket_arn(self) -> str:
        return self.bucket.bucket_arn

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name
