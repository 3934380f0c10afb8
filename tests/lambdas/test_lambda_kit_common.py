"""The shared layer (kit_common) and the request schemas the CDK stack also loads."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from handler_loader import LAMBDAS
from kit_common import (
    DRAFT_04,
    MAX_BODY_BYTES,
    BadRequestError,
    ConfigurationError,
    PayloadTooLargeError,
    UnauthorizedError,
    caller_from_event,
    decode_cursor,
    encode_cursor,
    env_csv,
    env_int,
    env_str,
    generic_message,
    is_valid_id,
    load_schema,
    new_id,
    parse_groups,
    parse_json_body,
    parse_limit,
)

from lambda_helpers import UNKNOWN_ID, USER_A, USER_B

SCHEMA_FILES = sorted(LAMBDAS.glob("*/schemas/*.json"))
KEY_NAMES = ("ownerId", "noteId")


# --- groups and claims -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("admins", {"admins"}),
        ("read-only", {"read-only"}),
        (["admins", "editors"], {"admins", "editors"}),
    ],
)
def test_parse_groups_reads_one_name_or_a_list_of_well_formed_names(raw: Any, names: set[str]) -> None:
    claim = parse_groups(raw)
    assert (claim.names, claim.ambiguous) == (names, False)
    assert all(claim.includes(name) for name in names)


@pytest.mark.parametrize("raw", [None, ""])
def test_parse_groups_of_no_claim_is_no_group(raw: Any) -> None:
    claim = parse_groups(raw)
    assert (claim.names, claim.ambiguous) == (set(), False)


@pytest.mark.parametrize(
    "raw",
    [
        # Issue 11, finding 1: a member of one of these groups is not an admin.
        "readers,admins",
        "[admins]",
        '"admins"',
        "'admins'",
        " admins",
        "admins ",
        "[admins, editors]",
        '["admins"]',
        "admins,",
        # Two real groups look exactly like one group named "admins,editors".
        "admins,editors",
        ["readers,admins"],
        ["admins", 42],
        42,
        {"admins": True},
    ],
)
def test_an_ambiguous_group_claim_proves_no_membership(raw: Any) -> None:
    claim = parse_groups(raw)
    assert claim.ambiguous
    assert not claim.includes("admins")


def test_parse_groups_matches_whole_names_only() -> None:
    assert not parse_groups("notadmins").includes("admins")
    assert not parse_groups("Admins").includes("admins")
    assert not parse_groups("admins-readonly").may_include("admins")


def test_an_ambiguous_claim_still_names_the_candidates_to_check_with_cognito() -> None:
    assert parse_groups("editors,admins").may_include("admins")
    assert not parse_groups("[admins]").may_include("admins")


def event_with_claims(claims: Any) -> dict[str, Any]:
    return {"requestContext": {"authorizer": {"claims": claims}}}


def test_caller_comes_from_the_claims_only() -> None:
    caller = caller_from_event(
        event_with_claims({"sub": USER_A, "cognito:username": "alice", "cognito:groups": "admins"})
    )
    assert (caller.sub, caller.username) == (USER_A, "alice")
    assert caller.is_member("admins")
    assert not caller.is_member("x y")
    assert not caller_from_event(event_with_claims({"sub": USER_A, "cognito:groups": "[admins]"})).is_member("admins")


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": None},
        {"requestContext": {}},
        {"requestContext": {"authorizer": None}},
        event_with_claims(None),
        event_with_claims("sub=x"),
        event_with_claims({}),
        event_with_claims({"sub": ""}),
        event_with_claims({"sub": 123}),
        event_with_claims({"sub": "a/b"}),
        event_with_claims({"sub": "x" * 129}),
    ],
)
def test_caller_without_a_usable_sub_is_unauthorized(event: dict[str, Any]) -> None:
    with pytest.raises(UnauthorizedError):
        caller_from_event(event)


# --- cursors and limits ----------------------------------------------------------------------


def test_cursor_round_trip_is_url_safe_and_unpadded() -> None:
    key = {"ownerId": USER_A, "noteId": new_id()}
    cursor = encode_cursor(key)
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, key_names=KEY_NAMES, owner_attribute="ownerId", owner=USER_A) == key


def test_cursor_of_another_owner_is_rejected() -> None:
    cursor = encode_cursor({"ownerId": USER_B, "noteId": new_id()})
    with pytest.raises(BadRequestError):
        decode_cursor(cursor, key_names=KEY_NAMES, owner_attribute="ownerId", owner=USER_A)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "====",
        "a",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b'{"ownerId": "x"').decode(),
        base64.urlsafe_b64encode(json.dumps({"ownerId": USER_A, "noteId": ""}).encode()).decode(),
    ],
)
def test_malformed_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(BadRequestError):
        decode_cursor(cursor, key_names=KEY_NAMES, owner_attribute="ownerId", owner=USER_A)


@pytest.mark.parametrize(("raw", "expected"), [(None, 20), ("1", 1), ("50", 50), ("007", 7)])
def test_parse_limit_accepts(raw: str | None, expected: int) -> None:
    assert parse_limit(raw, default=20, maximum=50) == expected


def test_parse_limit_default_never_exceeds_the_maximum() -> None:
    assert parse_limit(None, default=20, maximum=5) == 5


@pytest.mark.parametrize("raw", ["0", "51", "-1", "+5", " 5", "5 ", "abc", "", "1e2", "٣"])
def test_parse_limit_rejects(raw: str) -> None:
    with pytest.raises(BadRequestError):
        parse_limit(raw, default=20, maximum=50)


# --- ids -------------------------------------------------------------------------------------


def test_new_ids_are_valid_unique_and_time_ordered() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(is_valid_id(value) for value in ids)
    assert len(set(ids)) == 200
    assert all(value[14] == "7" for value in ids)
    assert [value[:13] for value in ids] == sorted(value[:13] for value in ids)


@pytest.mark.parametrize("value", ["", "abc", UNKNOWN_ID.upper(), UNKNOWN_ID + "x", None, 5])
def test_is_valid_id_rejects(value: Any) -> None:
    assert not is_valid_id(value)


# --- request bodies --------------------------------------------------------------------------


@pytest.fixture
def note_schema() -> Any:
    return load_schema(LAMBDAS / "notes" / "schemas" / "create_note.json")


def body_event(body: Any, *, encoded: bool = False) -> dict[str, Any]:
    return {"body": body, "isBase64Encoded": encoded}


def test_parse_json_body_returns_the_validated_object(note_schema: Any) -> None:
    body = {"title": "t", "content": "c"}
    assert parse_json_body(body_event(json.dumps(body)), note_schema) == body


def test_parse_json_body_decodes_base64(note_schema: Any) -> None:
    raw = base64.b64encode(json.dumps({"title": "t", "content": "ü"}).encode()).decode()
    assert parse_json_body(body_event(raw, encoded=True), note_schema)["content"] == "ü"


@pytest.mark.parametrize(
    "event",
    [
        body_event(None),
        body_event(""),
        body_event("{"),
        body_event('{"title": "t", "content": Infinity}'),
        body_event('{"title": "t", "content": "c"} trailing'),
        body_event("not base64!", encoded=True),
        body_event(base64.b64encode(b"\xff\xfe").decode(), encoded=True),
        body_event('{"title": "\\ud800", "content": ""}'.replace("\\\\", "\\")),
    ],
)
def test_parse_json_body_rejects_what_is_not_a_json_object(note_schema: Any, event: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError):
        parse_json_body(event, note_schema)


def test_parse_json_body_limits_size_in_bytes_not_characters(note_schema: Any) -> None:
    # Three-byte characters: under the limit in characters, over it in bytes.
    body = json.dumps({"title": "t", "content": "€" * (MAX_BODY_BYTES // 2)}, ensure_ascii=False)
    assert len(body) < MAX_BODY_BYTES < len(body.encode())
    with pytest.raises(PayloadTooLargeError):
        parse_json_body(body_event(body), note_schema)


def test_schema_errors_never_carry_the_submitted_value(note_schema: Any) -> None:
    secret = "do-not-echo-this-value"
    with pytest.raises(BadRequestError) as raised:
        parse_json_body(body_event(json.dumps({"title": secret * 20, "content": "c", secret: 1})), note_schema)
    assert secret not in str(raised.value.msg)


def test_load_schema_requires_draft_04(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}))
    with pytest.raises(ValueError, match="draft-04"):
        load_schema(path)


# --- the schema files, as API Gateway models -------------------------------------------------


def walk(schema: Any) -> list[dict[str, Any]]:
    """Every (sub)schema object."""
    found = [schema]
    for child in schema.get("properties", {}).values():
        found += walk(child)
    if isinstance(schema.get("items"), dict):
        found += walk(schema["items"])
    return found


def test_every_function_ships_its_schemas() -> None:
    names = {f"{path.parent.parent.name}/{path.name}" for path in SCHEMA_FILES}
    assert names == {
        "profiles/put_profile.json",
        "notes/create_note.json",
        "notes/update_note.json",
        "files/create_upload.json",
    }


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_schema_files_are_strict_draft_04_models(path: Path) -> None:
    schema = json.loads(path.read_text())
    assert schema["$schema"] == DRAFT_04
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"]
    assert set(schema["required"]) <= set(schema["properties"])
    text = path.read_text()
    assert '"$ref"' not in text and '"format"' not in text and '"default"' not in text
    for subschema in walk(schema)[1:]:
        assert "type" in subschema
        if subschema["type"] == "string":
            assert "maxLength" in subschema
        if subschema["type"] == "integer":
            assert "minimum" in subschema and "maximum" in subschema
        # fastjsonschema rewrites "$" to "\Z" even inside [...]; API Gateway would not.
        assert "$" not in subschema.get("pattern", "$").rstrip("$")


# --- configuration ---------------------------------------------------------------------------


def test_env_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_TEST", "  value  ")
    assert env_str("KIT_TEST") == "value"
    monkeypatch.setenv("KIT_TEST", "")
    assert env_str("KIT_TEST", default="fallback") == "fallback"
    with pytest.raises(ConfigurationError, match="KIT_TEST is required"):
        env_str("KIT_TEST")
    monkeypatch.setenv("KIT_TEST", "a b")
    with pytest.raises(ConfigurationError, match="'a b'"):
        env_str("KIT_TEST", pattern=r"\w+")


def test_env_int(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_TEST", raising=False)
    assert env_int("KIT_TEST", default=5, minimum=1, maximum=9) == 5
    monkeypatch.setenv("KIT_TEST", "9")
    assert env_int("KIT_TEST", default=5, minimum=1, maximum=9) == 9
    for bad in ("10", "0", "-1", "1.5", "five"):
        monkeypatch.setenv("KIT_TEST", bad)
        with pytest.raises(ConfigurationError, match="KIT_TEST"):
            env_int("KIT_TEST", default=5, minimum=1, maximum=9)


def test_env_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_TEST", " A/b , c/d,,A/b ")
    assert env_csv("KIT_TEST", default="", lowercase=True) == ("a/b", "c/d")
    monkeypatch.delenv("KIT_TEST")
    assert env_csv("KIT_TEST", default="x,y") == ("x", "y")
    assert env_csv("KIT_TEST", default="", allow_empty=True) == ()
    with pytest.raises(ConfigurationError, match="at least one"):
        env_csv("KIT_TEST", default="")
    monkeypatch.setenv("KIT_TEST", "ok,not ok")
    with pytest.raises(ConfigurationError, match="'not ok'"):
        env_csv("KIT_TEST", default="", item_pattern=r"\w+")


def test_generic_messages_are_fixed_per_status() -> None:
    assert generic_message(404) == "Not found"
    assert generic_message(409) == "Conflict"
    assert generic_message(418) == "I'm a Teapot"
    assert generic_message(799) == "Error"
