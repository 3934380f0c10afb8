"""The stack's side of the service contract (docs/contract.md).

The contract is lambdas/common/python/kit_common/contract.json, read by one reader,
kit_common/contract.py, which the handlers import at cold start. The stack loads that same file
(it needs only the standard library, not the Lambda layer's dependencies) and builds from it: the
API routes, their request models (API Gateway models and validators), the admin group, the WAF
body limit, and each function's access level on its table (the union of its routes' levels).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from secure_serverless import TableAccess
from secure_serverless._validation import ConfigurationError
from secure_serverless_checks.origins import ORIGIN_PATTERN

if TYPE_CHECKING:
    from kit_common.contract import Contract, Route

__all__ = [
    "CONTRACT",
    "CONTRACT_FILE",
    "LAMBDAS",
    "Contract",
    "Route",
    "check_origin_pattern",
    "request_schema",
    "table_access",
]

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
_READER = LAMBDAS / "common" / "python" / "kit_common" / "contract.py"
CONTRACT_FILE = _READER.with_name("contract.json")
_MODULE_NAME = "_kit_common_contract"  # not "kit_common.contract": the handlers' own import stays theirs


def _reader() -> ModuleType:
    """kit_common/contract.py, loaded by path once per process."""
    loaded = sys.modules.get(_MODULE_NAME)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, _READER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


_shared = _reader()
if not TYPE_CHECKING:
    Contract = _shared.Contract
    Route = _shared.Route

CONTRACT: Contract = _shared.CONTRACT


def check_origin_pattern(contract: Contract) -> None:
    """Refuse a contract whose ``originPattern`` is not the kit's one CORS origin rule.

    The handlers cannot import ``secure_serverless_checks``, so the Lambda layer carries the
    pattern as data; this keeps that copy the same as ``secure_serverless_checks.origins.ORIGIN_PATTERN``.
    """
    if contract.origin_pattern != ORIGIN_PATTERN:
        raise ConfigurationError(
            "kit_common/contract.json",
            [
                f"originPattern={contract.origin_pattern!r}: the handlers must accept exactly the origins the "
                f"API accepts; set it to secure_serverless_checks.origins.ORIGIN_PATTERN ({ORIGIN_PATTERN!r})"
            ],
        )


check_origin_pattern(CONTRACT)


def request_schema(route: Route) -> dict[str, Any] | None:
    """The JSON schema of ``route``'s body (the API Gateway model), or None for a route without a body."""
    if route.schema is None:
        return None
    schema: dict[str, Any] = CONTRACT.schema(route.service, route.schema, lambdas=LAMBDAS)
    return schema


def table_access(service: str, contract: Contract = CONTRACT) -> TableAccess:
    """The access level of ``service``'s function on its table: the union of its routes' levels.

    Each route names a level of the kit's one access-level model (``TableAccess``); an unknown
    name is a ConfigurationError naming the route and the levels there are.
    """
    levels: set[TableAccess] = set()
    problems: list[str] = []
    for route in contract.routes_of(service):
        try:
            levels.add(TableAccess(route.table_access))
        except ValueError:
            choices = ", ".join(level.value for level in TableAccess)
            problems.append(f"{route.method} {route.path}: tableAccess={route.table_access!r}: use one of {choices}")
    if problems:
        raise ConfigurationError("kit_common/contract.json", problems)
    if levels == {TableAccess.READ}:
        return TableAccess.READ
    if levels == {TableAccess.WRITE}:
        return TableAccess.WRITE
    return TableAccess.READ_WRITE
