"""The service contract, read from contract.json next to this module (docs/contract.md).

contract.json is the one place for what crosses from the CDK stack to the handlers: the CORS
origin pattern, the JSON-schema draft of the request models, the admin group, the group-name
rule, the largest body a request may carry, and every route with who may call it, the access
level it needs on its service's table, its success status and its request model. This module is
its one reader: the handlers import it, and the stack (stacks/contract.py) loads this same file,
so the two sides cannot drift. Standard library only: the stack loads it without Powertools.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ADMIN_GROUP",
    "CALLERS",
    "CONTRACT",
    "GROUP_NAME_PATTERN",
    "JSON_SCHEMA_DRAFT",
    "MAX_BODY_BYTES",
    "ORIGIN_PATTERN",
    "Contract",
    "ContractError",
    "Route",
    "load_contract",
    "parse_contract",
]

CONTRACT_FILE = Path(__file__).resolve().parent / "contract.json"
#: Who may call a route: any signed-in user of the pool, or only current members of the admin group.
CALLERS = ("users", "admins")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_SUCCESS_STATUSES = (200, 201, 204)


class ContractError(ValueError):
    """contract.json is malformed; the message names every problem."""


@dataclass(frozen=True)
class Route:
    """One route of one service.

    ``table_access`` names an access level of the kit's one access-level model
    (``secure_serverless_checks.access_levels.TableAccess``: read, write, read-write); the stack checks
    the name and grants the service's function the union of its routes' levels.
    """

    service: str
    method: str
    path: str
    callers: str
    table_access: str
    status: int
    schema: str | None = None


@dataclass(frozen=True)
class Contract:
    origin_pattern: str
    json_schema_draft: str
    admin_group: str
    group_name_pattern: str
    max_body_bytes: int
    routes: tuple[Route, ...]

    def routes_of(self, service: str) -> tuple[Route, ...]:
        """The routes ``service`` serves, in contract order; a ContractError when it has none."""
        found = tuple(route for route in self.routes if route.service == service)
        if not found:
            known = sorted({route.service for route in self.routes})
            raise ContractError(f"no route of service {service!r} in contract.json; services: {known}")
        return found

    def schema(self, service: str, name: str, *, lambdas: Path | None = None) -> dict[str, Any]:
        """The request model ``lambdas/<service>/schemas/<name>.json``, checked to declare the contract's draft.

        ``lambdas``: the folder holding the function folders. Default: this repository's
        ``lambdas/`` (where this file sits in the source tree).
        """
        root = lambdas or Path(__file__).resolve().parents[3]
        path = root / service / "schemas" / f"{name}.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(schema, dict) or schema.get("$schema") != self.json_schema_draft:
            raise ContractError(f"{service}/schemas/{name}.json must declare $schema {self.json_schema_draft!r}")
        return schema


def _route(index: int, raw: Any, problems: list[str]) -> Route | None:
    where = f"routes[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be an object")
        return None
    missing = [key for key in ("service", "method", "path", "callers", "tableAccess", "status") if key not in raw]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
        return None
    if raw["method"] not in _METHODS:
        problems.append(f"{where}: method {raw['method']!r}: use one of {', '.join(_METHODS)}")
    if raw["callers"] not in CALLERS:
        problems.append(f"{where}: callers {raw['callers']!r}: use one of {', '.join(CALLERS)}")
    if raw["status"] not in _SUCCESS_STATUSES:
        problems.append(f"{where}: status {raw['status']!r}: use one of {_SUCCESS_STATUSES}")
    if raw.get("schema") is not None and raw["method"] in ("GET", "DELETE"):
        problems.append(f"{where}: a {raw['method']} request has no body: remove its schema")
    return Route(
        service=raw["service"],
        method=raw["method"],
        path=raw["path"],
        callers=raw["callers"],
        table_access=raw["tableAccess"],
        status=raw["status"],
        schema=raw.get("schema"),
    )


def parse_contract(data: Mapping[str, Any]) -> Contract:
    """The contract of a parsed contract.json; a ContractError naming every problem."""
    problems: list[str] = []
    routes: list[Route] = []
    for index, raw in enumerate(data.get("routes") or []):
        route = _route(index, raw, problems)
        if route is not None:
            routes.append(route)
    seen: set[tuple[str, str]] = set()
    for route in routes:
        if (route.method, route.path) in seen:
            problems.append(f"{route.method} {route.path}: listed twice; each route once")
        seen.add((route.method, route.path))
    missing = [
        key
        for key in ("originPattern", "jsonSchemaDraft", "adminGroup", "groupNamePattern", "maxBodyBytes")
        if key not in data
    ]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if not routes and not problems:
        problems.append("routes: list at least one route")
    if problems:
        raise ContractError("contract.json: " + "; ".join(problems))
    return Contract(
        origin_pattern=data["originPattern"],
        json_schema_draft=data["jsonSchemaDraft"],
        admin_group=data["adminGroup"],
        group_name_pattern=data["groupNamePattern"],
        max_body_bytes=data["maxBodyBytes"],
        routes=tuple(routes),
    )


def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    return parse_contract(json.loads(path.read_text(encoding="utf-8")))


CONTRACT = load_contract()

#: An exact CORS origin: https, or http only for localhost and 127.0.0.1; optional port, no path.
#: A copy, as data, of the kit's one rule (secure_serverless_checks.origins.ORIGIN_PATTERN), which
#: the Lambda layer cannot import; the stack refuses to synthesize when the two differ.
ORIGIN_PATTERN: str = CONTRACT.origin_pattern
#: The only JSON-schema draft API Gateway models support; every schema file declares it.
JSON_SCHEMA_DRAFT: str = CONTRACT.json_schema_draft
#: The group whose members may call the routes whose callers are "admins".
ADMIN_GROUP: str = CONTRACT.admin_group
#: Group names the service relies on: nothing that could be confused in the flattened claim.
GROUP_NAME_PATTERN: str = CONTRACT.group_name_pattern
#: The largest request body (UTF-8 bytes) the WAF, the gateway and the handlers all accept.
MAX_BODY_BYTES: int = CONTRACT.max_body_bytes
