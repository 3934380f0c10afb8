"""TableFunction: the article's core pattern, one function with one table and one key.

The function's role gets the exact actions of a named access level on that table's ARN and its
indexes' ARNs, never a wildcard, and nothing else's data. Key, log group and dead-letter queue
belong to this service alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import access_levels
from ._log_retention import MINIMUM_LOG_RETENTION
from ._validation import Problems
from .encryption_key import EncryptionKey
from .secure_function import SecureFunction
from .secure_table import SecureTable, TableIndex

#: Access levels a function may hold on its table.
TABLE_ACCESS_LEVELS = tuple(access_levels.ACCESS_LEVELS[access_levels.DYNAMODB_TABLE])


class TableFunction(Construct):
    """One SecureFunction + one SecureTable + their own EncryptionKey.

    :param code: the function's code asset (required).
    :param handler: ``module.function`` (required).
    :param partition_key: the table's partition key (required).
    :param sort_key: the table's sort key. Default: none.
    :param access: the function's access level on the table: "read", "write" or "read-write"
        (see ``secure_serverless.access_levels``). Default: "read-write".
    :param indexes: global secondary indexes; the function may query exactly these. Default: none.
    :param table_name_variable: environment variable carrying the table name. Default: TABLE_NAME.
    :param environment: more environment variables. Default: none.
    :param point_in_time_recovery_days: see SecureTable. Default: 35.
    :param time_to_live_attribute: see SecureTable. Default: no TTL.
    :param table_removal_policy: see SecureTable. Default: RETAIN.
    :param memory_size, timeout, description, service_name, log_retention,
        short_log_retention_reason, reserved_concurrent_executions, layers: see SecureFunction
        (same defaults).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        partition_key: dynamodb.Attribute,
        sort_key: dynamodb.Attribute | None = None,
        access: str = "read-write",
        indexes: Sequence[TableIndex] = (),
        table_name_variable: str = "TABLE_NAME",
        environment: Mapping[str, str] | None = None,
        point_in_time_recovery_days: int = 35,
        time_to_live_attribute: str | None = None,
        table_removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        memory_size: int = 256,
        timeout: cdk.Duration | None = None,
        description: str | None = None,
        service_name: str | None = None,
        log_retention: logs.RetentionDays = MINIMUM_LOG_RETENTION,
        short_log_retention_reason: str | None = None,
        reserved_concurrent_executions: int | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        problems.check_choice("access", access, TABLE_ACCESS_LEVELS)
        if table_name_variable in (environment or {}):
            problems.add(
                "environment",
                table_name_variable,
                "is set by TableFunction to the table's name; remove it or change table_name_variable",
            )
        problems.raise_if_any()

        self.encryption_key = EncryptionKey(self, "Key", description=f"Key of the {construct_id} service")
        self.table = SecureTable(
            self,
            "Table",
            partition_key=partition_key,
            sort_key=sort_key,
            encryption_key=self.encryption_key,
            indexes=indexes,
            point_in_time_recovery_days=point_in_time_recovery_days,
            time_to_live_attribute=time_to_live_attribute,
            removal_policy=table_removal_policy,
        )
        self.function = SecureFunction(
            self,
            "Function",
            code=code,
            handler=handler,
            description=description,
            memory_size=memory_size,
            timeout=timeout,
            environment={table_name_variable: self.table.table_name, **(environment or {})},
            service_name=service_name or construct_id.lower(),
            encryption_key=self.encryption_key,
            log_retention=log_retention,
            short_log_retention_reason=short_log_retention_reason,
            reserved_concurrent_executions=reserved_concurrent_executions,
            layers=layers,
        )
        cfn_table = self.table.table.node.default_child
        assert isinstance(cfn_table, cdk.CfnResource)
        table_arn = self.table.table_arn
        self.function.allow(
            kind=access_levels.DYNAMODB_TABLE,
            resource=cfn_table,
            access=access,
            resource_arns=[table_arn, *(f"{table_arn}/index/{name}" for name in self.table.index_names)],
            indexes=self.table.index_names,
        )
        # The function already holds encrypt-decrypt on this key (its environment and DLQ use it),
        # which covers DynamoDB's use of the table key on its behalf.

    @property
    def lambda_function(self) -> lambda_.Function:
        return self.function.function
