"""The stack/handler contract, read from contract.json next to this module.

contract.json is the one place for the values that cross from the CDK stack to the handlers:
the CORS origin pattern, the JSON-schema draft of the request models, the admin group, the
group-name rule, the largest body a request may carry, and the route list. The stack reads the
same file (stacks/contract.py), so the two sides cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "ADMIN_GROUP",
    "CONTRACT",
    "GROUP_NAME_PATTERN",
    "JSON_SCHEMA_DRAFT",
    "MAX_BODY_BYTES",
    "ORIGIN_PATTERN",
    "ROUTES",
]

CONTRACT_FILE = Path(__file__).resolve().parent / "contract.json"
CONTRACT: dict[str, Any] = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))

#: An exact CORS origin: https, or http only for localhost and 127.0.0.1; optional port, no path.
ORIGIN_PATTERN: str = CONTRACT["originPattern"]
#: The only JSON-schema draft API Gateway models support; every schema file declares it.
JSON_SCHEMA_DRAFT: str = CONTRACT["jsonSchemaDraft"]
#: The group whose members may read any profile (GET /profiles/{userId}).
ADMIN_GROUP: str = CONTRACT["adminGroup"]
#: Group names the service relies on: nothing that could be confused in the flattened claim.
GROUP_NAME_PATTERN: str = CONTRACT["groupNamePattern"]
#: The largest request body (UTF-8 bytes) the WAF, the gateway and the handlers all accept.
MAX_BODY_BYTES: int = CONTRACT["maxBodyBytes"]
#: (service, method, path template, schema name or None) of every route.
ROUTES: tuple[tuple[str, str, str, str | None], ...] = tuple(
    (route["service"], route["method"], route["path"], route.get("schema")) for route in CONTRACT["routes"]
)
