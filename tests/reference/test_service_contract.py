"""The service contract's one reader and what the stack derives from it (docs/contract.md).

Pure Python: no synthesis. What the synthesized stack does with the contract is in test_contract.py.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from secure_serverless import TableAccess
from secure_serverless._validation import ConfigurationError
from stacks.contract import CONTRACT, CONTRACT_FILE, _shared, request_schema, table_access

RAW: dict[str, Any] = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))


def _with_route(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    data["routes"][0].update(changes)
    return data


def test_the_reference_contract_parses_and_names_every_route_once() -> None:
    assert len(CONTRACT.routes) == len(RAW["routes"]) == 11
    assert len({(r.method, r.path) for r in CONTRACT.routes}) == len(CONTRACT.routes)
    assert {r.callers for r in CONTRACT.routes} == {"users", "admins"}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"callers": "everyone"}, "callers 'everyone': use one of users, admins"),
        ({"status": 302}, "status 302"),
        ({"method": "TRACE"}, "method 'TRACE'"),
        ({"schema": "put_profile"}, "a GET request has no body: remove its schema"),
    ],
)
def test_the_reader_refuses_a_malformed_route_naming_it(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(_shared.ContractError, match="routes\\[0\\]") as raised:
        _shared.parse_contract(_with_route(**changes))
    assert named in str(raised.value)


def test_the_reader_names_every_problem_at_once() -> None:
    data = _with_route(callers="everyone", status=500)
    data["routes"].append(copy.deepcopy(data["routes"][1]))
    del data["maxBodyBytes"]
    with pytest.raises(_shared.ContractError) as raised:
        _shared.parse_contract(data)
    message = str(raised.value)
    for part in ("callers 'everyone'", "status 500", "listed twice", "missing maxBodyBytes"):
        assert part in message


def test_a_route_missing_a_field_is_refused() -> None:
    data = copy.deepcopy(RAW)
    del data["routes"][2]["tableAccess"]
    with pytest.raises(_shared.ContractError, match=r"routes\[2\]: missing tableAccess"):
        _shared.parse_contract(data)


def test_routes_of_an_unknown_service_is_an_error_listing_the_services() -> None:
    with pytest.raises(_shared.ContractError, match=r"'tags'.*\['files', 'notes', 'profiles'\]"):
        CONTRACT.routes_of("tags")


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["read"], TableAccess.READ),
        (["read", "read"], TableAccess.READ),
        (["write"], TableAccess.WRITE),
        (["read", "write"], TableAccess.READ_WRITE),
        (["read-write", "read"], TableAccess.READ_WRITE),
    ],
)
def test_a_function_gets_the_union_of_its_routes_levels(levels: list[str], expected: TableAccess) -> None:
    data = copy.deepcopy(RAW)
    data["routes"] = [
        {"service": "svc", "method": "GET", "path": f"/r{i}", "callers": "users", "tableAccess": level, "status": 200}
        for i, level in enumerate(levels)
    ]
    assert table_access("svc", _shared.parse_contract(data)) == expected


def test_the_reference_functions_get_read_write() -> None:
    assert {service: table_access(service) for service in ("profiles", "notes", "files")} == dict.fromkeys(
        ("profiles", "notes", "files"), TableAccess.READ_WRITE
    )


def test_an_access_level_outside_the_one_model_is_refused_naming_route_and_levels() -> None:
    contract = _shared.parse_contract(_with_route(tableAccess="scan"))
    with pytest.raises(ConfigurationError) as raised:
        table_access("profiles", contract)
    message = str(raised.value)
    assert "GET /me: tableAccess='scan'" in message
    assert all(level.value in message for level in TableAccess)


def test_request_schema_is_the_routes_schema_file_or_none() -> None:
    schemas = {(r.method, r.path): request_schema(r) for r in CONTRACT.routes}
    assert schemas[("GET", "/me")] is None
    put_profile = schemas[("PUT", "/me")]
    assert put_profile is not None and put_profile["$schema"] == CONTRACT.json_schema_draft
