"""The stack's side of the stack/handler contract: lambdas/common/python/kit_common/contract.json.

The handlers read the same file (kit_common/contract.py) at cold start; the stack reads it at
synth. Values: the CORS origin pattern, the JSON-schema draft, the admin group and the
group-name rule, the largest request body, and the route list (service, method, path, schema).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"
CONTRACT_FILE = LAMBDAS / "common" / "python" / "kit_common" / "contract.json"


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str
    schema: str | None


@dataclass(frozen=True)
class Contract:
    origin_pattern: str
    json_schema_draft: str
    admin_group: str
    group_name_pattern: str
    max_body_bytes: int
    routes: tuple[Route, ...]

    def origin_problem(self, origin: str) -> str | None:
        """Why the handlers would refuse ``origin`` at start, or None when they accept it."""
        if re.fullmatch(self.origin_pattern, origin):
            return None
        return f"the handlers accept only origins matching {self.origin_pattern!r}"

    def schema(self, service: str, name: str) -> dict[str, Any]:
        """A request-body JSON schema shared by the API Gateway model and the handler's own check."""
        schema: dict[str, Any] = json.loads((LAMBDAS / service / "schemas" / f"{name}.json").read_text())
        if schema.get("$schema") != self.json_schema_draft:
            raise ValueError(f"{service}/schemas/{name}.json must declare $schema {self.json_schema_draft!r}")
        return schema


def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Contract(
        origin_pattern=data["originPattern"],
        json_schema_draft=data["jsonSchemaDraft"],
        admin_group=data["adminGroup"],
        group_name_pattern=data["groupNamePattern"],
        max_body_bytes=data["maxBodyBytes"],
        routes=tuple(Route(r["service"], r["method"], r["path"], r.get("schema")) for r in data["routes"]),
    )


CONTRACT = load_contract()
