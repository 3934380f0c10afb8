"""SecureTable: a DynamoDB table encrypted with its own key, recoverable and hard to delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import KeyAccess, TableAccess, actions_for

from ._grants import cfn_of, claim, claim_ownership, declare_owner, key_of, kit_function_of, plain_grant
from ._tree import path_of
from ._validation import Problems
from .encryption_key import EncryptionKey, owned_key

if TYPE_CHECKING:
    from .secure_function import SecureFunction

_STREAM_LIST_REASON = (
    "dynamodb:ListStreams supports no resource-level permissions: AWS documents Resource '*' as its only form; "
    "it lists stream ARNs, not data."
)


@dataclass(frozen=True)
class TableIndex:
    """A global secondary index; its name becomes part of the exact index ARN a role may query."""

    name: str
    partition_key: dynamodb.Attribute
    sort_key: dynamodb.Attribute | None = None


class SecureTable(dynamodb.TableBase):
    """A ``dynamodb.Table`` with a customer-managed key, PITR, deletion protection and RETAIN.

    It is a ``dynamodb.ITable`` (a ``TableBase`` over its inner ``table``), so any CDK API takes
    it: a Step Functions ``DynamoGetItem`` task, ``DynamoEventSource``, ``metric_*``. CDK's grant
    methods of the same names are the kit's (exact actions, recorded), so CDK code that grants on
    the table goes through the kit's grant pipeline too.

    ``dynamodb.Table`` and not ``TableV2``: TableV2 synthesizes AWS::DynamoDB::GlobalTable, which
    no cdk-nag rule inspects and whose CMK encryption cannot render in an environment-agnostic stack.

    :param partition_key: the partition key (required).
    :param sort_key: the sort key. Default: none.
    :param encryption_key: the key that encrypts the table: an ``EncryptionKey`` or a ``kms.IKey``
        defined in the app. Default: a new EncryptionKey.
    :param indexes: global secondary indexes (projection ALL). Default: none.
    :param point_in_time_recovery_days: PITR window, 1..35 days. Default: 35.
    :param deletion_protection: refuse DeleteTable. Default: True.
    :param time_to_live_attribute: attribute holding an expiry epoch. Default: no TTL.
    :param removal_policy: what happens on stack deletion. Default: RETAIN.
    :param stream: a ``dynamodb.StreamViewType`` to turn the table's change stream on (for
        ``grant_stream_read`` / ``SecureFunction.consume_table_stream``). Default: no stream.
    :param owner: the kit function whose service owns the table, declared at construction (so the
        order of grants does not matter); its key encrypts the table unless ``encryption_key`` is
        given. Default: the first kit function granted the table owns it.

    Grants (each takes an ``iam.IGrantable``, returns an ``iam.Grant``, writes exact actions and the
    key use they need, and records the reach in a kit function's perimeter): ``grant``,
    ``grant_read_data``, ``grant_write_data``, ``grant_read_write_data``, ``grant_stream_read``.
    The first kit function granted the table owns it; granting it to another kit function is a
    cross-service grant and needs ``share_reason`` (recorded on both sides).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        partition_key: dynamodb.Attribute,
        sort_key: dynamodb.Attribute | None = None,
        encryption_key: EncryptionKey | kms.IKey | None = None,
        indexes: Sequence[TableIndex] = (),
        point_in_time_recovery_days: int = 35,
        deletion_protection: bool = True,
        time_to_live_attribute: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        stream: dynamodb.StreamViewType | None = None,
        owner: SecureFunction | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(path_of(self))
        problems.check_range("point_in_time_recovery_days", point_in_time_recovery_days, 1, 35, "days")
        names = [index.name for index in indexes]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.add("indexes", name, "index names must be unique; rename one of the indexes")
        if len(names) > 20:
            problems.add("indexes", len(names), "DynamoDB allows at most 20 global secondary indexes")
        if encryption_key is not None:
            key_of(encryption_key, problems, "encryption_key")
        problems.raise_if_any()

        self._encryption_key: EncryptionKey | kms.IKey = owned_key(self, encryption_key, owner)
        self.key = key_of(self.encryption_key)
        self.index_names: tuple[str, ...] = tuple(names)
        self.table = dynamodb.Table(
            self,
            "Resource",
            partition_key=partition_key,
            sort_key=sort_key,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
                recovery_period_in_days=point_in_time_recovery_days,
            ),
            deletion_protection=deletion_protection,
            time_to_live_attribute=time_to_live_attribute,
            removal_policy=removal_policy,
            stream=stream,
        )
        for index in indexes:
            self.table.add_global_secondary_index(
                index_name=index.name, partition_key=index.partition_key, sort_key=index.sort_key
            )
        declare_owner(owner, resource=self.table, what=f"the table {path_of(self)}")

    # ------------------------------------------------------------------ dynamodb.ITable
    @property
    def table_name(self) -> str:
        return self.table.table_name

    @property
    def table_arn(self) -> str:
        return self.table.table_arn

    @property
    def table_stream_arn(self) -> str | None:
        return self.table.table_stream_arn

    @property
    def encryption_key(self) -> EncryptionKey | kms.IKey:
        """The table's key: the ``EncryptionKey`` given or created (itself a ``kms.IKey``)."""
        return self._encryption_key

    @property
    def regions(self) -> list[str] | None:
        return self.table.regions

    @property
    def resource_policy(self) -> iam.PolicyDocument | None:
        return self.table.resource_policy

    @resource_policy.setter
    def resource_policy(self, value: iam.PolicyDocument | None) -> None:
        self.table.resource_policy = value

    def add_to_resource_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        return self.table.add_to_resource_policy(statement)

    @property
    def _has_index(self) -> bool:
        return bool(self.index_names)

    # ------------------------------------------------------------------ grants
    def grant(
        self,
        grantee: iam.IGrantable,
        *access_or_actions: TableAccess | str,
        **options: Any,
    ) -> iam.Grant:
        """Let ``grantee`` reach this table (and ``indexes``) with an access level.

        ``grant(grantee, "dynamodb:...", ...)`` (CDK's form, with action names) is CDK's grant: a
        kit function's role refuses it, naming this method; other grantees get CDK's statement.
        ``indexes`` and ``share_reason`` are keyword arguments.

        :param access: ``TableAccess.READ`` (Get/BatchGet/Query/ConditionCheck/Describe, no Scan),
            ``WRITE`` (Put/Update/Delete/BatchWrite) or ``READ_WRITE``.
        :param indexes: index names the grantee may query. Default: every index of the table.
        :param share_reason: why a second kit function needs this table. Default: none (a
            cross-service grant is then a synth error).
        """
        unknown = sorted(set(options) - {"indexes", "share_reason"})
        if unknown:
            raise TypeError(f"SecureTable.grant() got unexpected keyword arguments {unknown}")
        if len(access_or_actions) != 1 or ":" in str(access_or_actions[0]):
            return self.table.grant(grantee, *(str(action) for action in access_or_actions))
        access = access_or_actions[0]
        indexes: Sequence[str] | None = options.get("indexes")
        share_reason: str | None = options.get("share_reason")
        problems = Problems(path_of(self))
        problems.check_choice("access", str(access), [level.value for level in TableAccess])
        names = self.index_names if indexes is None else tuple(indexes)
        for name in names:
            if name not in self.index_names:
                problems.add("indexes", name, f"not an index of this table; choose from {list(self.index_names)}")
        problems.raise_if_any()
        arns = [self.table_arn, *(f"{self.table_arn}/index/{name}" for name in names)]
        needed_key_use = KeyAccess.DECRYPT if access == TableAccess.READ else KeyAccess.ENCRYPT_DECRYPT
        return self._grant(grantee, str(access), arns, names, needed_key_use, share_reason)

    def grant_read_data(self, grantee: iam.IGrantable, *, share_reason: str | None = None) -> iam.Grant:
        """``grant(grantee, TableAccess.READ)``: exact read actions (no Scan, no stream)."""
        return self.grant(grantee, TableAccess.READ, share_reason=share_reason)

    def grant_write_data(self, grantee: iam.IGrantable, *, share_reason: str | None = None) -> iam.Grant:
        """``grant(grantee, TableAccess.WRITE)``."""
        return self.grant(grantee, TableAccess.WRITE, share_reason=share_reason)

    def grant_read_write_data(self, grantee: iam.IGrantable, *, share_reason: str | None = None) -> iam.Grant:
        """``grant(grantee, TableAccess.READ_WRITE)``."""
        return self.grant(grantee, TableAccess.READ_WRITE, share_reason=share_reason)

    def grant_stream_read(self, grantee: iam.IGrantable, *, share_reason: str | None = None) -> iam.Grant:
        """Let ``grantee`` read the table's change stream (``stream=`` must be set).

        Exact actions on the stream ARN, ``dynamodb:ListStreams`` (resource-less, explained), and
        decrypt on the table key through DynamoDB.
        """
        stream_arn = self.table.table_stream_arn
        if stream_arn is None:
            problems = Problems(path_of(self))
            problems.add("stream", None, "grant_stream_read needs the table's stream: pass stream=StreamViewType...")
            problems.raise_if_any()
        assert stream_arn is not None
        grant = self._grant(grantee, "stream-read", [stream_arn], (), KeyAccess.DECRYPT, share_reason)
        function = kit_function_of(grantee)
        if function is not None:
            function._allow_resourceless(["dynamodb:ListStreams"], _STREAM_LIST_REASON)
        return grant

    def _grant(
        self,
        grantee: iam.IGrantable,
        access: str,
        arns: list[str],
        indexes: tuple[str, ...],
        key_use: KeyAccess,
        share_reason: str | None,
    ) -> iam.Grant:
        function = kit_function_of(grantee)
        if function is None:
            return plain_grant(
                grantee,
                kind=access_levels.DYNAMODB_TABLE,
                access=access,
                resource_arns=arns,
                key=self.key,
                key_use=key_use,
            )
        reason = claim_ownership(
            function, resource=self.table, what=f"the table {path_of(self)}", share_reason=share_reason
        )
        grant = function.allow(
            kind=access_levels.DYNAMODB_TABLE,
            resource=cfn_of(self.table),
            access=access,
            resource_arns=arns,
            indexes=indexes,
            share_reason=reason,
        )
        if not function.perimeter.covers(cfn_of(self.key), actions_for(access_levels.KMS_KEY, key_use)):
            claim(function, self.encryption_key, key_use, via_services=["dynamodb"], share_reason=reason)
        return grant
