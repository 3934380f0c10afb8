"""TableFunction: the article's core pattern, one function with one table and one key.

The function's role gets the exact actions of a named access level on that table's ARN and its
indexes' ARNs, never a wildcard, and nothing else's data. Key, log group (and, for asynchronous
functions, dead-letter queue) belong to this service alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_serverless_checks.access_levels import TableAccess

from ._tree import path_of
from ._validation import Problems
from .encryption_key import EncryptionKey
from .secure_function import Invocation, SecureFunction
from .secure_table import SecureTable, TableIndex

#: Access levels a function may hold on its table.
TABLE_ACCESS_LEVELS = tuple(level.value for level in TableAccess)

# Options TableFunction sets itself, and what to use instead of passing them through.
_SET_BY_TABLE_FUNCTION = {
    "function_options": {
        "code": "TableFunction(code=...)",
        "handler": "TableFunction(handler=...)",
        "invocation": "TableFunction(invocation=...)",
        "encryption_key": "TableFunction(encryption_key=...): one key serves the table and the function",
    },
    "table_options": {
        "partition_key": "TableFunction(partition_key=...)",
        "sort_key": "TableFunction(sort_key=...)",
        "indexes": "TableFunction(indexes=...)",
        "encryption_key": "TableFunction(encryption_key=...): one key serves the table and the function",
        "owner": "nothing: a TableFunction's function owns its table",
    },
}


def _options(problems: Problems, option: str, given: Mapping[str, Any] | None, target: Any) -> dict[str, Any]:
    """Check pass-through options against the part's own signature: nothing is silently dropped."""
    options = dict(given or {})
    accepted = [name for name in inspect.signature(target.__init__).parameters if name not in ("self", "scope")]
    accepted = [name for name in accepted if name != "construct_id"]
    for name in sorted(options):
        if name in _SET_BY_TABLE_FUNCTION[option]:
            problems.add(
                f"{option}[{name!r}]",
                options[name],
                f"is set by TableFunction; use {_SET_BY_TABLE_FUNCTION[option][name]}",
            )
        elif name not in accepted:
            problems.add(
                f"{option}[{name!r}]",
                options[name],
                f"not an option of {target.__name__}; choose from {', '.join(a for a in accepted if a not in _SET_BY_TABLE_FUNCTION[option])}",
            )
    return options


class TableFunction(Construct):
    """One SecureFunction + one SecureTable + their own EncryptionKey.

    :param code: the function's code asset (required).
    :param handler: ``module.function`` (required).
    :param partition_key: the table's partition key (required).
    :param invocation: how the function is invoked (required; see ``SecureFunction``).
    :param sort_key: the table's sort key. Default: none.
    :param access: the function's ``TableAccess`` on its table. Default: READ_WRITE.
    :param indexes: global secondary indexes; the function may query exactly these. Default: none.
    :param table_name_variable: environment variable carrying the table name. Default: TABLE_NAME.
    :param encryption_key: the one key of the service (table, environment, logs): an
        ``EncryptionKey`` or a ``kms.IKey`` defined in the app. Default: a new EncryptionKey.
    :param function_options: any other ``SecureFunction`` option by name (memory_size, timeout,
        environment, layers, application_log_level, metrics_namespace, log_retention, vpc, ...),
        with SecureFunction's defaults. An unknown name, or one TableFunction sets itself, is a
        synth error naming the right option. Default: none.
    :param table_options: any other ``SecureTable`` option by name (point_in_time_recovery_days,
        time_to_live_attribute, removal_policy, stream, ...), same rules. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        partition_key: dynamodb.Attribute,
        invocation: Invocation,
        sort_key: dynamodb.Attribute | None = None,
        access: TableAccess | str = TableAccess.READ_WRITE,
        indexes: Sequence[TableIndex] = (),
        table_name_variable: str = "TABLE_NAME",
        encryption_key: EncryptionKey | kms.IKey | None = None,
        function_options: Mapping[str, Any] | None = None,
        table_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(path_of(self))
        problems.check_choice("access", str(access), TABLE_ACCESS_LEVELS)
        function_kwargs = _options(problems, "function_options", function_options, SecureFunction)
        table_kwargs = _options(problems, "table_options", table_options, SecureTable)
        environment = dict(function_kwargs.pop("environment", None) or {})
        if table_name_variable in environment:
            problems.add(
                "function_options['environment']",
                table_name_variable,
                "is set by TableFunction to the table's name; remove it or change table_name_variable",
            )
        problems.raise_if_any()

        self.encryption_key = encryption_key or EncryptionKey(
            self, "Key", description=f"Key of the {construct_id} service"
        )
        self.table = SecureTable(
            self,
            "Table",
            partition_key=partition_key,
            sort_key=sort_key,
            encryption_key=self.encryption_key,
            indexes=indexes,
            **table_kwargs,
        )
        function_kwargs.setdefault("service_name", construct_id.lower())
        self.function = SecureFunction(
            self,
            "Function",
            code=code,
            handler=handler,
            invocation=invocation,
            environment={table_name_variable: self.table.table_name, **environment},
            encryption_key=self.encryption_key,
            **function_kwargs,
        )
        # The function owns its table; its key use through DynamoDB is already covered by the
        # encrypt-decrypt it holds on the service key (environment, logs).
        self.table.grant(self.function, access)

    @property
    def lambda_function(self) -> lambda_.Function:
        return self.function.function
