"""The notes function against DynamoDB in moto: ownership, optimistic locking, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from kit_common import MAX_BODY_BYTES, encode_cursor, new_id
from moto_support import shared_client, shared_resource

from lambda_helpers import (
    NOTES_TABLE,
    UNKNOWN_ID,
    USER_A,
    USER_B,
    Function,
    assert_generic_error,
    build_event,
    emitted_metrics,
    make_function,
    read_event_file,
)


def table() -> Any:
    return shared_resource("dynamodb").Table(NOTES_TABLE)


def stored(note_id: str, owner: str = USER_A) -> dict[str, Any] | None:
    return table().get_item(Key={"ownerId": owner, "noteId": note_id}).get("Item")


def all_items() -> list[dict[str, Any]]:
    # Test-side inspection only; the function itself is never allowed to Scan.
    return table().scan()["Items"]


def create(notes: Function, *, sub: str = USER_A, title: str = "Title", content: str = "Content") -> dict[str, Any]:
    result = notes.call(build_event("POST", "/notes", body={"title": title, "content": content}, sub=sub))
    assert result.status == 201, result.body
    return result.body


def note_event(method: str, note_id: str, **kwargs: Any) -> dict[str, Any]:
    return build_event(method, f"/notes/{note_id}", path_params={"noteId": note_id}, **kwargs)


# --- create ----------------------------------------------------------------------------------


def test_create_stores_the_note_under_the_callers_sub(notes: Function, capsys: pytest.CaptureFixture[str]) -> None:
    body = read_event_file("create_note_body.json")
    result = notes.call(build_event("POST", "/notes", body=body))

    assert result.status == 201
    assert result.body["title"] == body["title"]
    assert result.body["content"] == body["content"]
    assert result.body["version"] == 1
    assert result.body["createdAt"] == result.body["updatedAt"]
    assert result.headers["Cache-Control"] == "no-store"
    item = stored(result.body["noteId"])
    assert item is not None
    assert item["ownerId"] == USER_A
    assert item["content"] == body["content"]
    assert item["version"] == 1
    assert "NoteCreated" in emitted_metrics(capsys.readouterr().out)


def test_create_generates_distinct_time_ordered_ids(notes: Function) -> None:
    first = create(notes)["noteId"]
    second = create(notes)["noteId"]
    assert first != second
    assert len(all_items()) == 2


def test_create_never_overwrites_on_id_collision(notes: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_id = new_id()
    monkeypatch.setattr(notes.module, "new_note_id", lambda: fixed_id)
    create(notes, title="First", content="original")

    event = build_event("POST", "/notes", body={"title": "Second", "content": "overwrite attempt"})
    result = notes.call(event)

    assert_generic_error(result, 409, event)
    item = stored(fixed_id)
    assert item is not None
    assert (item["title"], item["content"], item["version"]) == ("First", "original", 1)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"content": "no title"}, id="missing-title"),
        pytest.param({"title": "no content"}, id="missing-content"),
        pytest.param({"title": 42, "content": "x"}, id="title-wrong-type"),
        pytest.param({"title": "x", "content": ["x"]}, id="content-wrong-type"),
        pytest.param({"title": "", "content": "x"}, id="title-empty"),
        pytest.param({"title": "x" * 201, "content": "x"}, id="title-too-long"),
        pytest.param({"title": "x", "content": "x" * 8001}, id="content-too-long"),
        pytest.param({"title": "a\nb", "content": "x"}, id="title-control-character"),
        pytest.param({"title": "x", "content": "x", "ownerId": USER_B}, id="extra-property-ownerId"),
        pytest.param({"title": "x", "content": "x", "version": 7}, id="extra-property-version"),
        pytest.param(["title", "content"], id="array-body"),
        pytest.param("null", id="json-null"),
        pytest.param('"a string"', id="json-string"),
    ],
)
def test_create_rejects_invalid_bodies(notes: Function, body: Any) -> None:
    event = build_event("POST", "/notes", body=body)
    assert_generic_error(notes.call(event), 400, event)
    assert all_items() == []


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"title": "x", "content": ', id="truncated"),
        pytest.param("{'title': 'x'}", id="single-quotes"),
        pytest.param('{"title": "x", "content": NaN}', id="nan-constant"),
        pytest.param("[" * 5000 + "]" * 5000, id="deeply-nested"),
        pytest.param("", id="empty"),
    ],
)
def test_create_rejects_malformed_json(notes: Function, raw: str) -> None:
    event = build_event("POST", "/notes", body=raw)
    assert_generic_error(notes.call(event), 400, event)
    assert all_items() == []


def test_create_rejects_a_missing_body(notes: Function) -> None:
    event = build_event("POST", "/notes")
    assert_generic_error(notes.call(event), 400, event)


def test_create_rejects_an_oversized_body_with_413(notes: Function) -> None:
    event = build_event("POST", "/notes", body={"title": "x", "content": "x" * MAX_BODY_BYTES})
    assert_generic_error(notes.call(event), 413, event)
    assert all_items() == []


def test_create_rejects_an_oversized_base64_body_with_413(notes: Function) -> None:
    event = build_event("POST", "/notes", body={"title": "x", "content": "x" * MAX_BODY_BYTES}, base64_body=True)
    assert_generic_error(notes.call(event), 413, event)


def test_create_accepts_a_base64_encoded_body(notes: Function) -> None:
    result = notes.call(build_event("POST", "/notes", body={"title": "b64", "content": "é"}, base64_body=True))
    assert result.status == 201
    assert stored(result.body["noteId"])["content"] == "é"


# --- read ------------------------------------------------------------------------------------


def test_get_returns_the_callers_note(notes: Function) -> None:
    note = create(notes, title="Mine", content="secret plans")
    result = notes.call(note_event("GET", note["noteId"]))
    assert result.status == 200
    assert result.body == note


def test_get_of_another_users_note_is_404(notes: Function) -> None:
    note = create(notes, sub=USER_A)
    event = note_event("GET", note["noteId"], sub=USER_B)
    assert_generic_error(notes.call(event), 404, event)


@pytest.mark.parametrize("note_id", [UNKNOWN_ID, "not-an-id", "x" * 2000, "..%2F.."])
def test_get_of_a_missing_or_malformed_id_is_404(notes: Function, note_id: str) -> None:
    event = note_event("GET", note_id)
    assert_generic_error(notes.call(event), 404, event)


# --- update ----------------------------------------------------------------------------------


def test_update_replaces_content_and_increments_the_version(notes: Function) -> None:
    note = create(notes, title="v1", content="first")
    result = notes.call(note_event("PUT", note["noteId"], body={"title": "v2", "content": "second", "version": 1}))
    assert result.status == 200
    assert result.body["version"] == 2
    assert (result.body["title"], result.body["content"]) == ("v2", "second")
    assert result.body["createdAt"] == note["createdAt"]
    item = stored(note["noteId"])
    assert (item["title"], item["content"], item["version"]) == ("v2", "second", 2)


def test_update_with_a_stale_version_is_409_and_changes_nothing(notes: Function) -> None:
    note = create(notes, title="v1", content="first")
    notes.call(note_event("PUT", note["noteId"], body={"title": "v2", "content": "second", "version": 1}))

    event = note_event("PUT", note["noteId"], body={"title": "stale", "content": "lost update", "version": 1})
    assert_generic_error(notes.call(event), 409, event)

    item = stored(note["noteId"])
    assert (item["title"], item["content"], item["version"]) == ("v2", "second", 2)


def test_update_of_another_users_note_is_404_and_changes_nothing(notes: Function) -> None:
    note = create(notes, sub=USER_A, title="A's", content="A's content")
    event = note_event("PUT", note["noteId"], sub=USER_B, body={"title": "B", "content": "B", "version": 1})

    assert_generic_error(notes.call(event), 404, event)

    item = stored(note["noteId"], owner=USER_A)
    assert (item["title"], item["content"], item["version"]) == ("A's", "A's content", 1)
    assert stored(note["noteId"], owner=USER_B) is None


def test_update_of_a_missing_note_is_404_and_creates_nothing(notes: Function) -> None:
    missing = new_id()
    event = note_event("PUT", missing, body={"title": "x", "content": "x", "version": 1})
    assert_generic_error(notes.call(event), 404, event)
    assert all_items() == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": "x", "content": "x"}, id="missing-version"),
        pytest.param({"title": "x", "content": "x", "version": "1"}, id="version-as-string"),
        pytest.param({"title": "x", "content": "x", "version": 1.5}, id="version-fraction"),
        pytest.param({"title": "x", "content": "x", "version": True}, id="version-boolean"),
        pytest.param({"title": "x", "content": "x", "version": 0}, id="version-zero"),
        pytest.param({"title": "x" * 201, "content": "x", "version": 1}, id="title-too-long"),
        pytest.param({"title": "x", "content": "x", "version": 1, "ownerId": USER_B}, id="extra-property"),
        pytest.param('{"title": "x", "version": 1', id="malformed-json"),
    ],
)
def test_update_rejects_invalid_bodies_and_changes_nothing(notes: Function, body: Any) -> None:
    note = create(notes, title="kept", content="kept")
    event = note_event("PUT", note["noteId"], body=body)
    assert_generic_error(notes.call(event), 400, event)
    item = stored(note["noteId"])
    assert (item["title"], item["version"]) == ("kept", 1)


def test_update_rejects_an_oversized_body_with_413(notes: Function) -> None:
    note = create(notes)
    event = note_event("PUT", note["noteId"], body={"title": "x", "content": "y" * MAX_BODY_BYTES, "version": 1})
    assert_generic_error(notes.call(event), 413, event)
    assert stored(note["noteId"])["version"] == 1


# --- delete ----------------------------------------------------------------------------------


def test_delete_removes_the_callers_note(notes: Function) -> None:
    note = create(notes)
    result = notes.call(note_event("DELETE", note["noteId"]))
    assert result.status == 204
    assert result.body is None
    assert stored(note["noteId"]) is None


def test_delete_of_another_users_note_is_404_and_keeps_it(notes: Function) -> None:
    note = create(notes, sub=USER_A)
    event = note_event("DELETE", note["noteId"], sub=USER_B)
    assert_generic_error(notes.call(event), 404, event)
    assert stored(note["noteId"], owner=USER_A) is not None


def test_delete_of_a_missing_note_is_404(notes: Function) -> None:
    event = note_event("DELETE", new_id())
    assert_generic_error(notes.call(event), 404, event)


def test_delete_with_the_current_version_succeeds(notes: Function) -> None:
    note = create(notes)
    result = notes.call(note_event("DELETE", note["noteId"], query={"version": "1"}))
    assert result.status == 204
    assert stored(note["noteId"]) is None


def test_delete_with_a_stale_version_is_409_and_keeps_the_note(notes: Function) -> None:
    note = create(notes)
    notes.call(note_event("PUT", note["noteId"], body={"title": "v2", "content": "x", "version": 1}))
    event = note_event("DELETE", note["noteId"], query={"version": "1"})
    assert_generic_error(notes.call(event), 409, event)
    assert stored(note["noteId"])["version"] == 2


def test_delete_with_a_version_of_another_users_note_is_404(notes: Function) -> None:
    note = create(notes, sub=USER_A)
    event = note_event("DELETE", note["noteId"], sub=USER_B, query={"version": "1"})
    assert_generic_error(notes.call(event), 404, event)
    assert stored(note["noteId"], owner=USER_A) is not None


@pytest.mark.parametrize("version", ["0", "-1", "abc", "1.0", "", "99999999999"])
def test_delete_rejects_a_malformed_version(notes: Function, version: str) -> None:
    note = create(notes)
    event = note_event("DELETE", note["noteId"], query={"version": version})
    assert_generic_error(notes.call(event), 400, event)
    assert stored(note["noteId"]) is not None


# --- list ------------------------------------------------------------------------------------


def list_page(notes: Function, sub: str = USER_A, **query: str) -> Any:
    result = notes.call(build_event("GET", "/notes", query=query or None, sub=sub))
    assert result.status == 200, result.body
    return result.body


def test_list_pages_through_only_the_callers_notes_newest_first(notes: Function) -> None:
    mine = [create(notes, title=f"A{index}", content=f"a-content-{index}")["noteId"] for index in range(5)]
    for index in range(3):
        create(notes, sub=USER_B, title=f"B{index}")

    seen: list[str] = []
    page = list_page(notes, limit="2")
    sizes = [len(page["items"])]
    seen += [item["noteId"] for item in page["items"]]
    while page["nextCursor"]:
        page = list_page(notes, limit="2", cursor=page["nextCursor"])
        sizes.append(len(page["items"]))
        seen += [item["noteId"] for item in page["items"]]

    assert sizes == [2, 2, 1]
    assert seen == list(reversed(mine))
    assert all("content" not in item for item in page["items"])


def test_list_uses_the_default_page_size_of_20(notes: Function) -> None:
    for index in range(21):
        create(notes, title=f"n{index}")
    page = list_page(notes)
    assert len(page["items"]) == 20
    assert page["nextCursor"] is not None
    assert len(list_page(notes, cursor=page["nextCursor"])["items"]) == 1


def test_list_of_a_user_without_notes_is_empty(notes: Function) -> None:
    create(notes, sub=USER_A)
    assert list_page(notes, sub=USER_B) == {"items": [], "nextCursor": None}


def test_list_last_page_has_no_cursor(notes: Function) -> None:
    for _ in range(2):
        create(notes)
    assert list_page(notes, limit="2")["nextCursor"] is None


@pytest.mark.parametrize("limit", ["0", "51", "-1", "abc", "1.5", "", "1e3", "9999999"])
def test_list_rejects_a_limit_outside_1_to_max_page_size(notes: Function, limit: str) -> None:
    event = build_event("GET", "/notes", query={"limit": limit})
    assert_generic_error(notes.call(event), 400, event)


def test_list_accepts_the_maximum_page_size(notes: Function) -> None:
    create(notes)
    assert len(list_page(notes, limit="50")["items"]) == 1


def test_list_honours_a_configured_max_page_size(notes_env: dict[str, str | None], load_function: Any) -> None:
    small = make_function(load_function("notes", **{**notes_env, "MAX_PAGE_SIZE": "3"}), "notes")
    for _ in range(4):
        create(small)
    assert len(list_page(small)["items"]) == 3
    event = build_event("GET", "/notes", query={"limit": "4"})
    assert_generic_error(small.call(event), 400, event)


def bad_cursors() -> list[Any]:
    import base64
    import json

    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    valid_id = new_id()
    return [
        pytest.param("not base64!", id="not-base64-alphabet"),
        pytest.param("a", id="impossible-length"),
        pytest.param(b64("not json"), id="not-json"),
        pytest.param(b64("[1, 2]"), id="json-array"),
        pytest.param(b64(json.dumps({"ownerId": USER_A})), id="missing-key"),
        pytest.param(b64(json.dumps({"ownerId": USER_A, "noteId": valid_id, "extra": "x"})), id="extra-key"),
        pytest.param(b64(json.dumps({"ownerId": USER_A, "noteId": 5})), id="non-string-key"),
        pytest.param(b64(json.dumps({"ownerId": USER_A, "noteId": "x" * 500})), id="malformed-note-id"),
        pytest.param(encode_cursor({"ownerId": USER_B, "noteId": valid_id}), id="other-owners-cursor"),
        pytest.param("A" * 2000, id="too-long"),
    ]


@pytest.mark.parametrize("cursor", bad_cursors())
def test_list_rejects_a_bad_cursor(notes: Function, cursor: str) -> None:
    create(notes, sub=USER_B)
    event = build_event("GET", "/notes", query={"cursor": cursor})
    assert_generic_error(notes.call(event), 400, event)


def test_a_cursor_from_another_user_never_lists_their_notes(notes: Function) -> None:
    for _ in range(3):
        create(notes, sub=USER_B, content="B's private content")
    b_cursor = list_page(notes, sub=USER_B, limit="1")["nextCursor"]
    assert b_cursor is not None

    event = build_event("GET", "/notes", query={"cursor": b_cursor, "limit": "5"}, sub=USER_A)
    assert_generic_error(notes.call(event), 400, event)


# --- identity, routing, failures -------------------------------------------------------------

ROUTES = [
    ("GET", "/notes", None, None),
    ("POST", "/notes", None, {"title": "x", "content": "x"}),
    ("GET", "/notes/{id}", "noteId", None),
    ("PUT", "/notes/{id}", "noteId", {"title": "x", "content": "x", "version": 1}),
    ("DELETE", "/notes/{id}", "noteId", None),
]


@pytest.mark.parametrize(("method", "path", "param", "body"), ROUTES)
@pytest.mark.parametrize(
    "identity",
    [
        pytest.param({"claims": None}, id="no-authorizer"),
        pytest.param({"claims": {}}, id="empty-claims"),
        pytest.param({"sub": None}, id="missing-sub"),
        pytest.param({"sub": ""}, id="empty-sub"),
        pytest.param({"sub": "../other-user"}, id="malformed-sub"),
    ],
)
def test_every_route_requires_a_sub_claim(
    notes: Function, method: str, path: str, param: str | None, body: Any, identity: dict[str, Any]
) -> None:
    note = create(notes)
    kwargs: dict[str, Any] = dict(identity)
    if body is not None:
        kwargs["body"] = body
    if param:
        kwargs["path_params"] = {param: note["noteId"]}
        path = path.replace("{id}", note["noteId"])
    event = build_event(method, path, **kwargs)
    assert_generic_error(notes.call(event), 401, event)
    item = stored(note["noteId"])
    assert (item["title"], item["version"]) == ("Title", 1)


@pytest.mark.parametrize(("method", "path"), [("GET", "/unknown"), ("PATCH", "/notes"), ("GET", "/notes/a/b")])
def test_unknown_routes_are_a_generic_404(notes: Function, method: str, path: str) -> None:
    event = build_event(method, path)
    assert_generic_error(notes.call(event), 404, event)


def test_an_unexpected_failure_is_a_generic_500_and_logged_without_details(notes: Function) -> None:
    shared_client("dynamodb").delete_table(TableName=NOTES_TABLE)
    event = build_event("POST", "/notes", body={"title": "x", "content": "content-of-a-failed-write"})

    assert_generic_error(notes.call(event), 500, event)

    out = notes.logs()
    assert '"message":"Unhandled error"' in out
    assert '"aws_error_code":"ResourceNotFoundException"' in out
    assert "content-of-a-failed-write" not in out


# --- retries (issue 11, finding 7) -----------------------------------------------------------


def post_note(notes: Function, body: dict[str, Any], *, key: str | None, sub: str = USER_A) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return notes.call(build_event("POST", "/notes", body=body, sub=sub, headers=headers))


def test_a_retry_with_the_same_idempotency_key_returns_the_first_note_and_creates_nothing(notes: Function) -> None:
    body = {"title": "Retry", "content": "once"}
    first = post_note(notes, body, key="retry-key-0001")
    again = post_note(notes, body, key="retry-key-0001")
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert len(all_items()) == 1


def test_without_an_idempotency_key_each_post_creates_a_note(notes: Function) -> None:
    body = {"title": "Twice", "content": "twice"}
    assert post_note(notes, body, key=None).body != post_note(notes, body, key=None).body
    assert len(all_items()) == 2


def test_idempotency_keys_are_scoped_to_the_caller(notes: Function) -> None:
    body = {"title": "Same", "content": "same"}
    mine = post_note(notes, body, key="shared-key-0001", sub=USER_A)
    theirs = post_note(notes, body, key="shared-key-0001", sub=USER_B)
    assert theirs.status == 201 and theirs.body["noteId"] != mine.body["noteId"]
    assert stored(theirs.body["noteId"], owner=USER_B) is not None


def test_reusing_an_idempotency_key_with_another_body_is_422(notes: Function) -> None:
    post_note(notes, {"title": "First", "content": "a"}, key="reused-key-0001")
    event = build_event(
        "POST", "/notes", body={"title": "Other", "content": "b"}, headers={"Idempotency-Key": "reused-key-0001"}
    )
    assert_generic_error(notes.call(event), 422, event)
    assert len(all_items()) == 1


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 129])
def test_a_malformed_idempotency_key_is_400(notes: Function, key: str) -> None:
    event = build_event("POST", "/notes", body={"title": "t", "content": "c"}, headers={"Idempotency-Key": key})
    assert_generic_error(notes.call(event), 400, event)
    assert all_items() == []
