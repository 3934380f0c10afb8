"""EncryptionKey: a customer-managed KMS key with rotation, an alias and a scoped key policy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.interfaces import aws_kms as kms_refs
from constructs import Construct

from secure_serverless_checks.access_levels import KMS_KEY, KeyAccess

from ._cdk_grants import land_key_actions
from ._grants import claim, kit_function_of, plain_grant, register_kit_type, via_services_condition
from ._tree import path_of
from ._validation import Problems

if TYPE_CHECKING:
    from .secure_function import SecureFunction

# What CloudWatch Logs needs to encrypt and read a log group's events. Exact actions: no
# "kms:Encrypt*"-style wildcards, unlike the snippet in the CloudWatch Logs guide.
_LOGS_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


@jsii.implements(kms.IKey)
class EncryptionKey(Construct):
    """A symmetric KMS key for one service's data, logs and queues.

    It is a ``kms.IKey`` (delegating to its inner ``key``), so any CDK API takes it, e.g.
    ``sqs.Queue(encryption_master_key=key)``. A grant to a kit function (``grant``,
    ``grant_decrypt``, ``grant_encrypt``, ``grant_encrypt_decrypt``, or CDK's own key grants on
    its behalf) goes through the kit's grant pipeline: exact actions, ownership, recorded.

    Secure by default: automatic yearly rotation, a 30-day deletion window, RETAIN on stack
    deletion, and a key policy in which CloudWatch Logs may use the key only for log groups of
    this account and region (condition on the ``aws:logs:arn`` encryption context).

    :param alias: alias name without the ``alias/`` prefix. Default: no alias (CDK generates none).
    :param description: key description. Default: "Secure Serverless Kit key for <construct path>".
    :param allow_cloudwatch_logs: let CloudWatch Logs encrypt this account's log groups with the
        key. Default: True (every SecureFunction log group is encrypted with its service key).
    :param pending_window_days: days before a scheduled deletion takes effect, 7..30. Default: 30.
    :param removal_policy: what happens on stack deletion. Default: RETAIN (data encrypted with a
        deleted key is lost for good).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str | None = None,
        description: str | None = None,
        allow_cloudwatch_logs: bool = True,
        pending_window_days: int = 30,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(path_of(self))
        problems.check_range("pending_window_days", pending_window_days, 7, 30, "days")
        if alias is not None and (alias.startswith("alias/aws") or not alias.strip()):
            problems.add("alias", alias, "give a name of your own without the 'alias/' prefix (alias/aws* is reserved)")
        problems.raise_if_any()

        self.key = kms.Key(
            self,
            "Resource",
            description=description or f"Secure Serverless Kit key for {path_of(self)}",
            enable_key_rotation=True,
            pending_window=cdk.Duration.days(pending_window_days),
            removal_policy=removal_policy,
            alias=alias.removeprefix("alias/") if alias else None,
        )
        if allow_cloudwatch_logs:
            stack = cdk.Stack.of(self)
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchLogsOfThisAccount",
                    principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                    actions=list(_LOGS_ACTIONS),
                    resources=["*"],  # in a key policy, "*" means this key
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                                service="logs",
                                resource="log-group",
                                resource_name="*",
                                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                            )
                        }
                    },
                )
            )

    # ------------------------------------------------------------------ kms.IKey
    @property
    def key_arn(self) -> str:
        return self.key.key_arn

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def key_ref(self) -> kms_refs.KeyReference:
        return self.key.key_ref

    @property
    def env(self) -> cdk.interfaces.ResourceEnvironment:
        return self.key.env

    @property
    def stack(self) -> cdk.Stack:
        return self.key.stack

    def apply_removal_policy(self, policy: cdk.RemovalPolicy) -> None:
        self.key.apply_removal_policy(policy)

    def add_alias(self, alias_name: str) -> kms.Alias:
        return self.key.add_alias(alias_name)

    def add_to_resource_policy(
        self, statement: iam.PolicyStatement, allow_no_op: bool | None = None
    ) -> iam.AddToResourcePolicyResult:
        return self.key.add_to_resource_policy(statement, allow_no_op)

    def grant_decrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """``grant(grantee, KeyAccess.DECRYPT)`` for a kit function; CDK's grant for any other grantee."""
        return self._kit_or_cdk(grantee, KeyAccess.DECRYPT) or self.key.grant_decrypt(grantee)

    def grant_encrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """``grant(grantee, KeyAccess.ENCRYPT)`` for a kit function; CDK's grant for any other grantee."""
        return self._kit_or_cdk(grantee, KeyAccess.ENCRYPT) or self.key.grant_encrypt(grantee)

    def grant_encrypt_decrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """``grant(grantee, KeyAccess.ENCRYPT_DECRYPT)`` for a kit function; CDK's grant otherwise."""
        return self._kit_or_cdk(grantee, KeyAccess.ENCRYPT_DECRYPT) or self.key.grant_encrypt_decrypt(grantee)

    # Signing and MAC keys are not what an EncryptionKey is (a symmetric ENCRYPT_DECRYPT key):
    # CDK answers these, and a kit function as grantee is refused by its role (no access level).
    def grant_generate_mac(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant_generate_mac(grantee)

    def grant_verify_mac(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant_verify_mac(grantee)

    def grant_sign(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant_sign(grantee)

    def grant_verify(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant_verify(grantee)

    def grant_sign_verify(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.key.grant_sign_verify(grantee)

    def _kit_or_cdk(self, grantee: iam.IGrantable, access: KeyAccess) -> iam.Grant | None:
        return self.grant(grantee, access) if kit_function_of(grantee) is not None else None

    def grant(
        self,
        grantee: iam.IGrantable,
        *access_or_actions: KeyAccess | str,
        **options: Any,
    ) -> iam.Grant:
        """Let ``grantee`` use this key with an access level (exact KMS actions on this key's ARN).

        ``grant(grantee, "kms:Decrypt", ...)`` (CDK's form, with action names, as CDK's own
        constructs call it on a key) is CDK's grant: for a kit function it reaches the function's
        role, which lands it in the kit's pipeline as the access level that covers it, or refuses it.

        For a kit function the use is declared in its perimeter; the first kit function granted the
        key owns it, and another needs ``share_reason`` (recorded on both sides). Any other grantee
        gets the same exact actions through a plain ``iam.Grant``.

        :param access: ``KeyAccess.DECRYPT``, ``ENCRYPT`` or ``ENCRYPT_DECRYPT``.
        :param via_services: e.g. ``["dynamodb"]``: the key can only be used through those services
            in this region (``kms:ViaService``). Default: usable directly.
        :param share_reason: why a second kit function needs this key. Default: none.

        ``via_services`` and ``share_reason`` are keyword arguments (``**options``: jsii would read
        a keyword-only parameter after ``*actions`` as a struct when CDK calls this method).
        """
        unknown = sorted(set(options) - {"via_services", "share_reason"})
        if unknown:
            raise TypeError(f"EncryptionKey.grant() got unexpected keyword arguments {unknown}")
        via_services: Sequence[str] = options.get("via_services", ())
        share_reason: str | None = options.get("share_reason")
        if len(access_or_actions) != 1 or ":" in str(access_or_actions[0]):
            actions = [str(action) for action in access_or_actions]
            return land_key_actions(grantee, self, actions) or self.key.grant(grantee, *actions)
        access = access_or_actions[0]
        problems = Problems(path_of(self))
        problems.check_choice("access", str(access), [level.value for level in KeyAccess])
        problems.raise_if_any()
        function = kit_function_of(grantee)
        if function is not None:
            return claim(function, self, str(access), via_services=via_services, share_reason=share_reason)
        return plain_grant(
            grantee,
            kind=KMS_KEY,
            access=str(access),
            resource_arns=[self.key_arn],
            conditions=via_services_condition(self, via_services),
        )

    def allow_service(self, *, service_principal: str, actions: list[str], source_arn: str | None = None) -> None:
        """Let an AWS service use the key with exact ``actions`` (e.g. CloudWatch alarms -> SNS).

        :param source_arn: when given, the statement only applies to requests on behalf of this
            resource (``aws:SourceArn``), which closes the confused-deputy path.
        """
        conditions = {"ArnEquals": {"aws:SourceArn": source_arn}} if source_arn else None
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(service_principal)],
                actions=actions,
                resources=["*"],
                conditions=conditions,
            )
        )


register_kit_type("key", EncryptionKey)


def owned_key(
    scope: Construct, encryption_key: EncryptionKey | kms.IKey | None, owner: SecureFunction | None
) -> EncryptionKey | kms.IKey:
    """The key of a kit table, queue or topic built with ``encryption_key=`` and ``owner=``: the key
    given, else its owner's key, else a new ``Key`` under ``scope``."""
    return encryption_key or (owner.encryption_key if owner is not None else None) or EncryptionKey(scope, "Key")
