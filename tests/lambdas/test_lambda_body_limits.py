"""Issue 11, finding 2: every body the request models allow is accepted by its handler.

The largest bodies (tests/largest_bodies.py) are what a UTF-8 client sends for fields at their
maxLength of the widest characters; tests/reference/test_contract.py proves the same bodies fit
the WAF's limit. Before the fix the handlers' 16 KB limit answered 413 to valid notes.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from kit_common import MAX_BODY_BYTES
from largest_bodies import LARGEST_BODIES, wire_bytes
from moto_support import shared_resource

from lambda_helpers import NOTES_TABLE, USER_A, Function, assert_generic_error, build_event, make_function


@pytest.mark.parametrize("body", LARGEST_BODIES[("notes", "create_note")], ids=["wide-characters", "escapes"])
def test_the_largest_valid_note_is_created(notes: Function, body: dict[str, str]) -> None:
    result = notes.call(build_event("POST", "/notes", body=wire_bytes(body).decode("utf-8")))
    assert result.status == 201, result.body
    item = (
        shared_resource("dynamodb")
        .Table(NOTES_TABLE)
        .get_item(Key={"ownerId": USER_A, "noteId": result.body["noteId"]})["Item"]
    )
    assert (item["title"], item["content"]) == (body["title"], body["content"])


def test_a_note_of_8000_cjk_characters_is_created(notes: Function) -> None:
    body = {"title": "日記", "content": "漢" * 8000}
    assert len(wire_bytes(body)) > 16 * 1024  # blocked by the old 8 KB WAF rule and 16 KB handler limit
    assert notes.call(build_event("POST", "/notes", body=wire_bytes(body).decode("utf-8"))).status == 201


@pytest.mark.parametrize("body", LARGEST_BODIES[("notes", "update_note")], ids=["wide-characters", "escapes"])
def test_the_largest_valid_update_is_applied(notes: Function, body: dict[str, object]) -> None:
    created = notes.call(build_event("POST", "/notes", body={"title": "t", "content": "c"})).body
    note_id = created["noteId"]
    # The largest version number the model allows is not this note's version: 409, not 413.
    event = build_event(
        "PUT", f"/notes/{note_id}", path_params={"noteId": note_id}, body=wire_bytes(body).decode("utf-8")
    )
    assert_generic_error(notes.call(event), 409, event)
    current = {**body, "version": 1}
    event = build_event(
        "PUT", f"/notes/{note_id}", path_params={"noteId": note_id}, body=wire_bytes(current).decode("utf-8")
    )
    assert notes.call(event).status == 200


def test_the_largest_valid_profile_is_saved(profiles: Function) -> None:
    (body,) = LARGEST_BODIES[("profiles", "put_profile")]
    result = profiles.call(build_event("PUT", "/me", body=wire_bytes(body).decode("utf-8")))
    assert result.status == 200, result.body
    assert result.body["displayName"] == body["displayName"]


def test_the_largest_valid_upload_request_is_accepted(
    files_env: dict[str, str | None], load_function: Callable[..., ModuleType]
) -> None:
    (body,) = LARGEST_BODIES[("files", "create_upload")]
    env = {**files_env, "ALLOWED_CONTENT_TYPES": str(body["contentType"]), "MAX_UPLOAD_BYTES": str(body["size"])}
    files = make_function(load_function("files", **env), "files")
    result = files.call(build_event("POST", "/files", body=wire_bytes(body).decode("utf-8")))
    assert result.status == 201, result.body


def test_a_body_one_byte_over_the_limit_is_413(notes: Function) -> None:
    body = '{"title": "t", "content": "' + "x" * (MAX_BODY_BYTES - 28) + '"}'
    assert len(body.encode()) == MAX_BODY_BYTES + 1
    event = build_event("POST", "/notes", body=body)
    assert_generic_error(notes.call(event), 413, event)
