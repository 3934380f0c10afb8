"""What the functions write to their logs (nothing personal or secret) and their CORS headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kit_common import new_id
from moto_support import shared_client

from lambda_helpers import (
    ADMIN,
    EMAIL_IN_EVENTS,
    FILES_BUCKET,
    OBJECT_PREFIX,
    TOKEN_IN_EVENTS,
    USER_A,
    USER_B,
    Function,
    build_event,
    make_function,
)

SECRET = "s3cr3t-personal-text"


def assert_clean(function: Function, *secrets: str) -> list[dict[str, Any]]:
    """No secret in any log line, no event parts logged; returns the records for more checks."""
    logs = function.logs()
    records = function.log_records()
    assert records, "the function logged nothing: the test would prove nothing"
    for value in (TOKEN_IN_EVENTS, EMAIL_IN_EVENTS, *secrets):
        assert value not in logs
    for record in records:
        assert not {"headers", "body", "requestContext", "claims", "multiValueHeaders"} & set(record)
    return records


def test_notes_logs_never_contain_content_titles_tokens_or_events(
    notes: Function, request: pytest.FixtureRequest
) -> None:
    # Even at DEBUG (the logger is shared by the process: restore it afterwards).
    notes.module.logger.setLevel("DEBUG")
    request.addfinalizer(lambda: notes.module.logger.setLevel("INFO"))
    created = notes.call(build_event("POST", "/notes", body={"title": f"T-{SECRET}", "content": SECRET}))
    note_id = created.body["noteId"]
    path = {"noteId": note_id}
    events = [
        build_event("GET", f"/notes/{note_id}", path_params=path),
        build_event("GET", "/notes", query={"limit": "5"}),
        build_event(
            "PUT", f"/notes/{note_id}", path_params=path, body={"title": SECRET, "content": SECRET, "version": 1}
        ),
        build_event(
            "PUT", f"/notes/{note_id}", path_params=path, body={"title": SECRET, "content": SECRET, "version": 1}
        ),
        build_event("POST", "/notes", body={"title": SECRET * 20, "content": SECRET}),
        build_event("POST", "/notes", body={"title": "x", "content": "x", SECRET: SECRET}),
        build_event("POST", "/notes", body='{"title": "' + SECRET),
        build_event("GET", f"/notes/{note_id}", path_params=path, sub=USER_B),
        build_event("DELETE", f"/notes/{note_id}", path_params=path),
    ]
    statuses = [notes.call(event).status for event in events]
    assert statuses == [200, 200, 200, 409, 400, 400, 400, 404, 204]

    records = assert_clean(notes, SECRET)
    messages = [record["message"] for record in records]
    assert {"Note created", "Note updated", "Note deleted", "Request rejected"} <= set(messages)
    request_ids = {event["requestContext"]["requestId"] for event in events}
    assert {record["correlation_id"] for record in records[1:]} <= request_ids
    rejected = [record for record in records if record["message"] == "Request rejected"]
    assert {record["status_code"] for record in rejected} == {400, 404, 409}


def test_an_event_is_never_logged_even_if_the_environment_asks_for_it(
    notes_env: dict[str, str | None], load_function: Any
) -> None:
    notes = make_function(load_function("notes", **notes_env, POWERTOOLS_LOGGER_LOG_EVENT="true"), "notes")
    notes.call(build_event("POST", "/notes", body={"title": "t", "content": SECRET}))
    assert_clean(notes, SECRET)


def test_profiles_logs_never_contain_profile_fields(profiles: Function) -> None:
    profiles.call(build_event("PUT", "/me", body={"displayName": SECRET, "bio": SECRET}))
    profiles.call(build_event("GET", "/me"))
    profiles.call(build_event("PUT", "/me", body={"displayName": SECRET * 10}))
    profiles.call(build_event("GET", f"/profiles/{USER_A}", path_params={"userId": USER_A}, sub=ADMIN, groups="admins"))
    profiles.call(build_event("GET", f"/profiles/{USER_A}", path_params={"userId": USER_A}, sub=USER_B))

    records = assert_clean(profiles, SECRET)
    forbidden = [record for record in records if record.get("status_code") == 403]
    assert forbidden and forbidden[0]["level"] == "WARNING"


def test_files_logs_never_contain_file_names_or_signed_urls(files: Function) -> None:
    file_name = f"{SECRET}.pdf"
    created = files.call(
        build_event("POST", "/files", body={"fileName": file_name, "contentType": "application/pdf", "size": 10})
    )
    file_id = created.body["fileId"]
    path = {"fileId": file_id}
    shared_client("s3").put_object(
        Bucket=FILES_BUCKET, Key=f"{OBJECT_PREFIX}{USER_A}/{file_id}", Body=b"%PDF", ContentType="application/pdf"
    )
    download = files.call(build_event("GET", f"/files/{file_id}", path_params=path))
    files.call(build_event("POST", "/files", body={"fileName": file_name, "contentType": "text/html", "size": 10}))
    files.call(build_event("DELETE", f"/files/{file_id}", path_params=path))

    fields = created.body["upload"]["fields"]
    assert_clean(files, SECRET, fields["policy"], fields["x-amz-signature"], download.body["downloadUrl"])
    assert "x-amz-signature" not in files.logs().lower()


def test_every_error_names_the_correlation_id_in_logs_and_body(notes: Function) -> None:
    note_id = new_id()
    event = build_event("GET", f"/notes/{note_id}", path_params={"noteId": note_id})
    result = notes.call(event)
    request_id = event["requestContext"]["requestId"]
    assert result.body["correlationId"] == request_id
    assert notes.log_records()[-1]["correlation_id"] == request_id


# --- CORS ------------------------------------------------------------------------------------

ALLOWED = "https://app.example.com"


@pytest.fixture
def cors_profiles(profiles_env: dict[str, str | None], load_function: Any) -> Function:
    env = {**profiles_env, "CORS_ALLOWED_ORIGINS": f"{ALLOWED}, http://localhost:5173"}
    return make_function(load_function("profiles", **env), "profiles")


def test_cors_allows_only_configured_origins(cors_profiles: Function) -> None:
    allowed = cors_profiles.call(build_event("GET", "/me", headers={"Origin": ALLOWED}))
    assert allowed.status == 404
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Access-Control-Allow-Credentials" not in allowed.headers

    other = cors_profiles.call(build_event("GET", "/me", headers={"Origin": "https://evil.example"}))
    assert "Access-Control-Allow-Origin" not in other.headers


def test_without_configured_origins_no_cors_headers_are_sent(profiles: Function) -> None:
    result = profiles.call(build_event("GET", "/me", headers={"Origin": ALLOWED}))
    assert not [name for name in result.headers if name.lower().startswith("access-control-")]


def test_error_bodies_are_json_with_security_headers(notes: Function) -> None:
    result = notes.call(build_event("GET", "/notes", query={"limit": "0"}))
    assert result.headers["Content-Type"] == "application/json"
    assert result.headers["X-Content-Type-Options"] == "nosniff"
    assert json.dumps(result.body).count(":") == 2
