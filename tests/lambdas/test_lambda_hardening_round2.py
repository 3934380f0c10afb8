"""Hardening round 2 (issue 25) in the handlers: each test failed before its fix.

- a disabled or deleted user's token (valid until it expires) writes nothing;
- a repeated security-relevant header is refused, never resolved last-wins;
- an idempotent create does not replay "201 created" once its item was deleted;
- a file overwritten within its upload link's lifetime is seen as it is now;
- one user cannot hold unbounded pending uploads or storage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from kit_common import SINGLE_VALUE_HEADERS, repeated_headers
from moto_support import shared_client
from test_lambda_files import create_upload, file_event, let_upload_links_expire, stored, uploaded

from lambda_helpers import (
    FILES_BUCKET,
    OBJECT_PREFIX,
    USER_A,
    USER_B,
    Function,
    assert_generic_error,
    build_event,
    read_event_file,
)

NOTE = {"title": "Plan", "content": "v1"}


def pool_id(function: Function) -> str:
    return str(function.module.USER_POOL_ID)


def notes_count(notes: Function, sub: str = USER_A) -> int:
    listed = notes.call(build_event("GET", "/notes", sub=sub))
    return len(listed.body["items"])


# --- a disabled or deleted user writes nothing ---------------------------------------------


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_a_disabled_or_deleted_users_token_writes_no_note(notes: Function, change: str) -> None:
    created = notes.call(build_event("POST", "/notes", body=NOTE))
    assert created.status == 201
    note_id = created.body["noteId"]
    cognito = shared_client("cognito-idp")
    if change == "disable":
        cognito.admin_disable_user(UserPoolId=pool_id(notes), Username=USER_A)
    else:
        cognito.admin_delete_user(UserPoolId=pool_id(notes), Username=USER_A)

    for event in (
        build_event("POST", "/notes", body=NOTE),
        build_event("PUT", f"/notes/{note_id}", path_params={"noteId": note_id}, body={**NOTE, "version": 1}),
        build_event("DELETE", f"/notes/{note_id}", path_params={"noteId": note_id}),
    ):
        assert_generic_error(notes.call(event), 403, event)
    # Nothing was written: the one note is still version 1.
    read = notes.call(build_event("GET", f"/notes/{note_id}", path_params={"noteId": note_id}))
    assert (read.status, read.body["version"], notes_count(notes)) == (200, 1, 1)
    # Another, enabled user still writes.
    assert notes.call(build_event("POST", "/notes", body=NOTE, sub=USER_B)).status == 201


def test_a_disabled_users_token_creates_and_deletes_no_file(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    file_id = uploaded(files)
    let_upload_links_expire(files, monkeypatch)
    shared_client("cognito-idp").admin_disable_user(UserPoolId=pool_id(files), Username=USER_A)
    post = build_event("POST", "/files", body=read_event_file("create_upload_body.json"))
    assert_generic_error(files.call(post), 403, post)
    delete = file_event("DELETE", file_id)
    assert_generic_error(files.call(delete), 403, delete)
    assert stored(file_id) is not None


def test_a_disabled_users_token_saves_no_profile(profiles: Function) -> None:
    shared_client("cognito-idp").admin_disable_user(UserPoolId=pool_id(profiles), Username=USER_A)
    event = build_event("PUT", "/me", body={"displayName": "Mallory"})
    assert_generic_error(profiles.call(event), 403, event)
    assert profiles.call(build_event("GET", "/me")).status == 404


# --- repeated headers ------------------------------------------------------------------------


def with_repeated(event: dict[str, Any], name: str, values: list[str]) -> dict[str, Any]:
    event["multiValueHeaders"] = {**(event.get("multiValueHeaders") or {}), name: values}
    event["headers"] = {**(event.get("headers") or {}), name: values[-1]}
    return event


@pytest.mark.parametrize("name", ["Authorization", "content-type", "Idempotency-Key", "Host", "Content-Length"])
def test_a_repeated_security_relevant_header_is_refused_before_any_route(notes: Function, name: str) -> None:
    values = {
        "authorization": ["token-of-alice", "token-of-bob"],
        "content-type": ["application/json", "text/plain"],
        "idempotency-key": ["key-aaaaaaaa", "key-bbbbbbbb"],
        "host": ["api.example.com", "evil.example.com"],
        "content-length": ["10", "20"],
    }[name.lower()]
    event = with_repeated(build_event("POST", "/notes", body=NOTE), name, values)
    assert_generic_error(notes.call(event), 400, event)
    assert notes_count(notes) == 0


def test_the_same_header_under_two_spellings_counts_as_repeated() -> None:
    event = {"multiValueHeaders": {"Idempotency-Key": ["a"], "idempotency-key": ["b"], "Accept": ["x", "y"]}}
    assert repeated_headers(event) == ["idempotency-key"]
    assert "accept" not in SINGLE_VALUE_HEADERS


def test_other_repeated_headers_are_accepted(notes: Function) -> None:
    event = with_repeated(build_event("POST", "/notes", body=NOTE), "Accept", ["application/json", "*/*"])
    assert notes.call(event).status == 201


# --- idempotent replays of deleted items -----------------------------------------------------


def test_a_replayed_create_of_a_deleted_note_is_409_not_the_old_201(notes: Function) -> None:
    key = {"Idempotency-Key": "retry-1234567890"}
    first = notes.call(build_event("POST", "/notes", body=NOTE, headers=key))
    assert first.status == 201
    again = notes.call(build_event("POST", "/notes", body=NOTE, headers=key))
    assert (again.status, again.body) == (201, first.body)
    note_id = first.body["noteId"]
    assert notes.call(build_event("DELETE", f"/notes/{note_id}", path_params={"noteId": note_id})).status == 204

    replay = build_event("POST", "/notes", body=NOTE, headers=key)
    assert_generic_error(notes.call(replay), 409, replay)
    assert notes_count(notes) == 0


def test_a_replayed_upload_of_a_deleted_file_is_409(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    key = {"Idempotency-Key": "upload-1234567890"}
    body = read_event_file("create_upload_body.json")
    first = files.call(build_event("POST", "/files", body=body, headers=key))
    assert first.status == 201
    file_id = first.body["fileId"]
    # Deleting is allowed once the link expired; make the idempotency record outlive it.
    let_upload_links_expire(files, monkeypatch)
    assert files.call(file_event("DELETE", file_id)).status == 204
    # Powertools' record still holds the first answer (its clock did not move): the replay
    # would hand out an upload link whose object no record describes.
    replay = build_event("POST", "/files", body=body, headers=key)
    assert_generic_error(files.call(replay), 409, replay)
    assert stored(file_id) is None


# --- an overwrite within the upload link's lifetime ------------------------------------------


def overwrite(file_id: str, data: bytes, content_type: str = "application/pdf") -> None:
    shared_client("s3").put_object(
        Bucket=FILES_BUCKET, Key=f"{OBJECT_PREFIX}{USER_A}/{file_id}", Body=data, ContentType=content_type
    )


def test_a_file_overwritten_after_its_confirmation_is_read_as_it_is_now(files: Function) -> None:
    file_id = uploaded(files, data=b"%PDF" + b"x" * 1996)
    first = files.call(file_event("GET", file_id))
    assert (first.status, first.body["size"]) == (200, 2000)

    overwrite(file_id, b"%PDF" + b"y" * 96)  # the link still writes for URL_EXPIRY_SECONDS
    second = files.call(file_event("GET", file_id))
    assert (second.status, second.body["size"]) == (200, 100)
    assert stored(file_id)["size"] == 100

    overwrite(file_id, b"<html>", content_type="text/html")  # S3's POST policy forbids this; never served
    third = file_event("GET", file_id)
    assert_generic_error(files.call(third), 404, third)


def test_after_the_link_expired_the_confirmed_record_is_final(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    file_id = uploaded(files)
    assert files.call(file_event("GET", file_id)).status == 200
    let_upload_links_expire(files, monkeypatch)
    heads: list[Any] = []
    original = files.module.dependencies().bucket.s3.head_object
    monkeypatch.setattr(
        files.module.dependencies().bucket.s3, "head_object", lambda **kw: heads.append(kw) or original(**kw)
    )
    assert files.call(file_event("GET", file_id)).status == 200
    assert heads == []


def test_a_download_link_asks_caches_not_to_store_the_object(files: Function) -> None:
    file_id = uploaded(files)
    url = files.call(file_event("GET", file_id)).body["downloadUrl"]
    assert parse_qs(urlparse(url).query)["response-cache-control"] == ["no-store"]


# --- per-user bounds -------------------------------------------------------------------------


def test_one_user_holds_at_most_max_pending_uploads(files: Function) -> None:
    limit = files.module.MAX_PENDING_UPLOADS
    for _ in range(limit):
        create_upload(files)
    over = build_event("POST", "/files", body=read_event_file("create_upload_body.json"))
    assert_generic_error(files.call(over), 409, over)
    # Another user has a bound of their own.
    assert (
        files.call(build_event("POST", "/files", body=read_event_file("create_upload_body.json"), sub=USER_B)).status
        == 201
    )


def test_expired_links_no_longer_count_as_pending(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(files.module.MAX_PENDING_UPLOADS):
        create_upload(files)
    let_upload_links_expire(files, monkeypatch)
    create_upload(files)


def test_the_storage_quota_counts_every_file_of_the_user(
    files_env: dict[str, str | None], load_function: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_helpers import make_function

    env = {**files_env, "MAX_UPLOAD_BYTES": "1000", "USER_QUOTA_BYTES": "2500", "MAX_PENDING_UPLOADS": "10"}
    files = make_function(load_function("files", **env), "files")
    create_upload(files, size=1000)
    create_upload(files, size=1000)
    over = build_event("POST", "/files", body={"fileName": "c.pdf", "contentType": "application/pdf", "size": 1000})
    assert_generic_error(files.call(over), 409, over)
    create_upload(files, size=500)  # exactly the quota


def test_a_quota_below_one_largest_upload_is_a_configuration_error(
    files_env: dict[str, str | None], load_function: Any
) -> None:
    from kit_common import ConfigurationError

    with pytest.raises(ConfigurationError, match="USER_QUOTA_BYTES"):
        load_function("files", **{**files_env, "MAX_UPLOAD_BYTES": "1000", "USER_QUOTA_BYTES": "999"})
