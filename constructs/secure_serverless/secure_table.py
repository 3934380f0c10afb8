"""SecureTable: a DynamoDB table encrypted with its own key, recoverable and hard to delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from ._validation import Problems
from .encryption_key import EncryptionKey


@dataclass(frozen=True)
class TableIndex:
    """A global secondary index; its name becomes part of the exact index ARN a role may query."""

    name: str
    partition_key: dynamodb.Attribute
    sort_key: dynamodb.Attribute | None = None


class SecureTable(Construct):
    """A ``dynamodb.Table`` with a customer-managed key, PITR, deletion protection and RETAIN.

    ``dynamodb.Table`` and not ``TableV2``: TableV2 synthesizes AWS::DynamoDB::GlobalTable, which
    no cdk-nag rule inspects and whose CMK encryption cannot render in an environment-agnostic stack.

    :param partition_key: the partition key (required).
    :param sort_key: the sort key. Default: none.
    :param encryption_key: the key that encrypts the table. Default: a new EncryptionKey.
    :param indexes: global secondary indexes (projection ALL). Default: none.
    :param point_in_time_recovery_days: PITR window, 1..35 days. Default: 35.
    :param deletion_protection: refuse DeleteTable. Default: True.
    :param time_to_live_attribute: attribute holding an expiry epoch. Default: no TTL.
    :param removal_policy: what happens on stack deletion. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        partition_key: dynamodb.Attribute,
        sort_key: dynamodb.Attribute | None = None,
        encryption_key: EncryptionKey | None = None,
        indexes: Sequence[TableIndex] = (),
        point_in_time_recovery_days: int = 35,
        deletion_protection: bool = True,
        time_to_live_attribute: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        problems.check_range("point_in_time_recovery_days", point_in_time_recovery_days, 1, 35, "days")
        names = [index.name for index in indexes]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.add("indexes", name, "index names must be unique; rename one of the indexes")
        if len(names) > 20:
            problems.add("indexes", len(names), "DynamoDB allows at most 20 global secondary indexes")
        problems.raise_if_any()

        self.encryption_key = encryption_key or EncryptionKey(self, "Key")
        self.index_names: tuple[str, ...] = tuple(names)
        self.table = dynamodb.Table(
            self,
            "Resource",
            partition_key=partition_key,
            sort_key=sort_key,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.encryption_key.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
                recovery_period_in_days=point_in_time_recovery_days,
            ),
            deletion_protection=deletion_protection,
            time_to_live_attribute=time_to_live_attribute,
            removal_policy=removal_policy,
        )
        for index in indexes:
            self.table.add_global_secondary_index(
                index_name=index.name, partition_key=index.partition_key, sort_key=index.sort_key
            )

    @property
    def table_name(self) -> str:
        return self.table.table_name

    @property
    def table_arn(self) -> str:
        return self.table.table_arn
