"""The handlers' layers: handler -> logic -> data access -> models, from one service contract.

- Each handler's request validation is generated from the contract's routes (kit_common/contract.json).
- The contract's ``callers`` drive the admin guard, before the route looks at its path.
- No AWS client exists at module level after import: clients are built on first use.
- The data-access layer, against DynamoDB in moto: a stale write never overwrites newer data.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest
from boto3.resources.base import ServiceResource
from botocore.client import BaseClient
from moto_support import shared_resource

from lambda_helpers import (
    ADMIN,
    NOTES_TABLE,
    UNKNOWN_ID,
    USER_A,
    Function,
    assert_generic_error,
    build_event,
    make_function,
)

SERVICES = ("profiles", "notes", "files")


def _contract() -> Any:
    return sys.modules["kit_common"].CONTRACT


@pytest.mark.parametrize("service", SERVICES)
def test_each_handler_validates_exactly_the_contracts_request_models(
    service: str,
    request: pytest.FixtureRequest,
) -> None:
    function: Function = request.getfixturevalue(service)
    expected = {(r.method, r.path) for r in _contract().routes_of(service) if r.schema is not None}
    assert set(function.module.VALIDATORS) == expected
    assert expected  # every service takes at least one body


@pytest.mark.parametrize("service", SERVICES)
def test_after_import_no_aws_client_lives_at_module_level(
    service: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = request.getfixturevalue(f"{service}_env")
    load_function: Callable[..., ModuleType] = request.getfixturevalue("load_function")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"an AWS client was created at import: {args}")

    with monkeypatch.context() as patched:
        patched.setattr(boto3, "client", refuse)
        patched.setattr(boto3, "resource", refuse)
        module = load_function(service, **env)
    clients = [name for name, value in vars(module).items() if isinstance(value, BaseClient | ServiceResource)]
    assert clients == []
    assert not module._DEPENDENCIES.built
    function = make_function(module, service)
    path = {"profiles": "/me", "notes": "/notes", "files": f"/files/{UNKNOWN_ID}"}[service]
    function.call(build_event("GET", path))  # the first request builds them
    assert module._DEPENDENCIES.built
    assert module.dependencies() is module.dependencies()  # built once, then reused


def test_an_admins_route_of_the_contract_is_guarded_before_its_path_is_read(profiles: Function) -> None:
    (route,) = [r for r in _contract().routes_of("profiles") if r.callers == "admins"]
    event = build_event(route.method, "/profiles/not-a-sub", path_params={"userId": "not-a-sub"}, sub=USER_A)
    assert_generic_error(profiles.call(event), 403, event)  # a non-admin: 403, not the 404 of a bad id
    event = build_event(
        route.method, "/profiles/not-a-sub", path_params={"userId": "not-a-sub"}, sub=ADMIN, groups="admins"
    )
    assert_generic_error(profiles.call(event), 404, event)


def test_the_data_layer_never_lets_a_stale_replace_overwrite_newer_data(notes: Function) -> None:
    from notes_service.data import ConditionFailed, NotesTable
    from notes_service.models import Note

    table = NotesTable(shared_resource("dynamodb").Table(NOTES_TABLE))
    note = Note(
        owner_id=USER_A,
        note_id="0190f0c2-7a6b-7c3d-8e4f-000000000001",
        title="first",
        content="one",
        version=1,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )
    table.insert(note)
    with pytest.raises(ConditionFailed):
        table.insert(note)  # the id is taken: nothing replaced
    newer = table.replace_if_version(
        USER_A, note.note_id, title="second", content="two", expected_version=1, now="2026-01-02T00:00:00Z"
    )
    assert newer.version == 2
    with pytest.raises(ConditionFailed):
        table.replace_if_version(
            USER_A, note.note_id, title="stale", content="old", expected_version=1, now="2026-01-03T00:00:00Z"
        )
    with pytest.raises(ConditionFailed):
        table.delete(USER_A, note.note_id, version=1)
    assert table.get(USER_A, note.note_id) == newer


def test_the_notes_handler_answers_each_route_with_the_contracts_status(notes: Function) -> None:
    status = {(r.method, r.path): r.status for r in _contract().routes_of("notes")}
    created = notes.call(build_event("POST", "/notes", body={"title": "t", "content": "c"}))
    assert created.status == status[("POST", "/notes")]
    note_id = created.body["noteId"]
    params = {"path_params": {"noteId": note_id}}
    calls = [
        (("GET", "/notes"), build_event("GET", "/notes")),
        (("GET", "/notes/{noteId}"), build_event("GET", f"/notes/{note_id}", **params)),
        (
            ("PUT", "/notes/{noteId}"),
            build_event("PUT", f"/notes/{note_id}", body={"title": "u", "content": "d", "version": 1}, **params),
        ),
        (("DELETE", "/notes/{noteId}"), build_event("DELETE", f"/notes/{note_id}", **params)),
    ]
    for route, event in calls:
        assert notes.call(event).status == status[route], route
    assert {route for route, _ in calls} | {("POST", "/notes")} == set(status)


def test_the_profiles_handler_answers_its_user_routes_with_the_contracts_status(profiles: Function) -> None:
    status = {(r.method, r.path): r.status for r in _contract().routes_of("profiles")}
    assert profiles.call(build_event("PUT", "/me", body={"displayName": "A"})).status == status[("PUT", "/me")]
    assert profiles.call(build_event("GET", "/me")).status == status[("GET", "/me")]
