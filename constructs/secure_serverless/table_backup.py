"""TableBackup: every table of an app in an AWS Backup plan, in a vault nobody can empty.

A daily backup rule with a set retention, a vault encrypted with its own KMS key, RETAIN, and a
vault access policy that denies deleting recovery points or shortening their lifecycle to every
principal (the account root included). Point-in-time recovery (35 days, on every SecureTable)
covers mistakes within the table's own region and account; the vault keeps copies that survive
the table's deletion.

AWS Backup needs a service role. It gets the AWS managed policy
``AWSBackupServiceRolePolicyForBackup``: AWS maintains the per-service action list that AWS Backup
needs, and the role is assumed only by backup.amazonaws.com (it is no function's role).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from constructs import Construct

from ._validation import Problems
from .compliance import acknowledge
from .encryption_key import EncryptionKey
from .secure_table import SecureTable

_BACKUP_POLICY = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
_MANAGED_POLICY_REASON = (
    "The AWS Backup service role: AWS maintains the per-service actions AWS Backup needs in this managed policy "
    "(DynamoDB backup, describe and tag actions, KMS use through the service); the role is assumed only by "
    "backup.amazonaws.com and is no function's role, so no function perimeter widens."
)


class TableBackup(Construct):
    """An AWS Backup plan and vault covering ``tables``.

    :param tables: the ``SecureTable`` s to back up (required, at least one).
    :param retention_days: days each daily recovery point is kept, 1..36500. Default: 35.
    :param schedule: when the daily backup runs. Default: 05:00 UTC every day.
    :param encryption_key: the vault's key. Default: a new EncryptionKey of the vault alone.
        DynamoDB backups are encrypted with the table's own key unless the account has opted in
        to AWS Backup's advanced DynamoDB features; the vault key then encrypts them.
    :param removal_policy: what happens to the vault on stack deletion. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: Sequence[SecureTable],
        retention_days: int = 35,
        schedule: events.Schedule | None = None,
        encryption_key: EncryptionKey | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        if not tables:
            problems.add("tables", list(tables), "give at least one SecureTable to back up")
        not_kit = [t for t in tables if not isinstance(t, SecureTable)]
        if not_kit:
            problems.add("tables", not_kit, "give SecureTable constructs (their L2 table is backed up)")
        problems.check_range("retention_days", retention_days, 1, 36500, "days")
        problems.raise_if_any()

        self.encryption_key = encryption_key or EncryptionKey(
            self, "Key", description=f"Key of the backup vault {self.node.path}", allow_cloudwatch_logs=False
        )
        self.vault = backup.BackupVault(
            self,
            "Vault",
            encryption_key=self.encryption_key.key,
            block_recovery_point_deletion=True,
            removal_policy=removal_policy,
        )
        self.plan = backup.BackupPlan(self, "Plan", backup_vault=self.vault)
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=schedule or events.Schedule.cron(hour="5", minute="0"),
                delete_after=cdk.Duration.days(retention_days),
            )
        )
        self.selection = self.plan.add_selection(
            "Tables",
            resources=[backup.BackupResource.from_dynamo_db_table(table.table) for table in tables],
            allow_restores=False,
        )
        acknowledge(self.selection, f"AwsSolutions-IAM4[Policy::{_BACKUP_POLICY}]", _MANAGED_POLICY_REASON)
