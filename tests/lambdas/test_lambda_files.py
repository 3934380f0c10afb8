"""The files function against DynamoDB and S3 in moto: presigned uploads and downloads."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import requests
from botocore.exceptions import ClientError
from kit_common import MAX_BODY_BYTES, ConfigurationError, new_id
from moto_support import shared_client, shared_resource

from lambda_helpers import (
    FILES_BUCKET,
    FILES_TABLE,
    OBJECT_PREFIX,
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

DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024


def stored(file_id: str, owner: str = USER_A) -> dict[str, Any] | None:
    return (
        shared_resource("dynamodb").Table(FILES_TABLE).get_item(Key={"ownerId": owner, "fileId": file_id}).get("Item")
    )


def all_items() -> list[dict[str, Any]]:
    return shared_resource("dynamodb").Table(FILES_TABLE).scan()["Items"]


def object_exists(key: str) -> bool:
    try:
        shared_client("s3").head_object(Bucket=FILES_BUCKET, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
    return True


def put_object(key: str, data: bytes = b"%PDF-1.7 test") -> None:
    shared_client("s3").put_object(Bucket=FILES_BUCKET, Key=key, Body=data)


def decode_policy(fields: dict[str, str]) -> dict[str, Any]:
    return json.loads(base64.b64decode(fields["policy"]))


def create_upload(files: Function, *, sub: str = USER_A, **overrides: Any) -> dict[str, Any]:
    body = {**read_event_file("create_upload_body.json"), **overrides}
    result = files.call(build_event("POST", "/files", body=body, sub=sub))
    assert result.status == 201, result.body
    return result.body


def uploaded(files: Function, *, sub: str = USER_A, data: bytes = b"%PDF-1.7 test", **overrides: Any) -> str:
    """A file whose object S3 holds, as the presigned POST would have written it."""
    body = create_upload(files, sub=sub, **overrides)
    shared_client("s3").put_object(
        Bucket=FILES_BUCKET,
        Key=f"{OBJECT_PREFIX}{sub}/{body['fileId']}",
        Body=data,
        ContentType=overrides.get("contentType", "application/pdf").lower(),
    )
    return str(body["fileId"])


def let_upload_links_expire(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    now = files.module.now_epoch()
    monkeypatch.setattr(files.module, "now_epoch", lambda: now + files.module.URL_EXPIRY_SECONDS)


def file_event(method: str, file_id: str, **kwargs: Any) -> dict[str, Any]:
    return build_event(method, f"/files/{file_id}", path_params={"fileId": file_id}, **kwargs)


# --- POST /files -----------------------------------------------------------------------------


def test_create_upload_records_the_file_and_returns_a_presigned_post(
    files: Function, capsys: pytest.CaptureFixture[str]
) -> None:
    result = files.call(build_event("POST", "/files", body=read_event_file("create_upload_body.json")))

    assert result.status == 201
    file_id = result.body["fileId"]
    key = f"{OBJECT_PREFIX}{USER_A}/{file_id}"
    item = stored(file_id)
    assert item is not None
    assert (item["fileName"], item["contentType"], item["size"], item["objectKey"]) == (
        "report.pdf",
        "application/pdf",
        2048,
        key,
    )
    upload = result.body["upload"]
    assert upload["url"].startswith(f"https://{FILES_BUCKET}.s3.")
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "application/pdf"
    assert result.body["expiresIn"] == 300
    assert result.headers["Cache-Control"] == "no-store"
    assert "UploadRequested" in emitted_metrics(capsys.readouterr().out)


def test_presigned_post_policy_pins_key_type_and_size(files: Function) -> None:
    before = datetime.now(UTC)
    body = create_upload(files, size=4096, contentType="image/png", fileName="photo.png")

    policy = decode_policy(body["upload"]["fields"])
    conditions = policy["conditions"]
    key = f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}"
    assert {"key": key} in conditions
    assert {"bucket": FILES_BUCKET} in conditions
    assert ["content-length-range", 1, 4096] in conditions
    assert {"Content-Type": "image/png"} in conditions
    # No condition lets the uploader choose another key (no starts-with on key).
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expires - before).total_seconds() <= 301


def test_content_type_is_normalised_to_lower_case(files: Function) -> None:
    body = create_upload(files, contentType="Application/PDF")
    assert body["upload"]["fields"]["Content-Type"] == "application/pdf"
    assert {"Content-Type": "application/pdf"} in decode_policy(body["upload"]["fields"])["conditions"]


def test_the_maximum_size_is_accepted(files: Function) -> None:
    body = create_upload(files, size=DEFAULT_MAX_UPLOAD)
    assert ["content-length-range", 1, DEFAULT_MAX_UPLOAD] in decode_policy(body["upload"]["fields"])["conditions"]


def test_upload_and_download_round_trip(files: Function) -> None:
    body = create_upload(files, fileName="my report.pdf", size=13)
    upload = body["upload"]
    posted = requests.post(upload["url"], data=upload["fields"], files={"file": ("x", b"%PDF-1.7 test")}, timeout=10)
    assert posted.status_code in (200, 201, 204)
    assert object_exists(f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}")

    link = files.call(file_event("GET", body["fileId"]))
    downloaded = requests.get(link.body["downloadUrl"], timeout=10)
    assert downloaded.content == b"%PDF-1.7 test"


def test_create_upload_never_overwrites_on_id_collision(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_id = new_id()
    monkeypatch.setattr(files.module, "new_file_id", lambda: fixed_id)
    create_upload(files, fileName="first.pdf")

    event = build_event("POST", "/files", body={"fileName": "second.pdf", "contentType": "text/plain", "size": 1})
    assert_generic_error(files.call(event), 409, event)
    item = stored(fixed_id)
    assert (item["fileName"], item["contentType"]) == ("first.pdf", "application/pdf")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"contentType": "text/html"}, id="disallowed-content-type-html"),
        pytest.param({"contentType": "image/svg+xml"}, id="disallowed-content-type-svg"),
        pytest.param({"contentType": "application/pdf; charset=utf-8"}, id="content-type-with-parameters"),
        pytest.param({"contentType": "pdf"}, id="content-type-not-a-media-type"),
        pytest.param({"size": DEFAULT_MAX_UPLOAD + 1}, id="size-above-max-upload"),
        pytest.param({"size": 6 * 1024**3}, id="size-above-s3-limit"),
        pytest.param({"size": 0}, id="size-zero"),
        pytest.param({"size": -5}, id="size-negative"),
        pytest.param({"size": "2048"}, id="size-as-string"),
        pytest.param({"size": 1.5}, id="size-fraction"),
        pytest.param({"fileName": ""}, id="file-name-empty"),
        pytest.param({"fileName": "x" * 256}, id="file-name-too-long"),
        pytest.param({"fileName": "../../etc/passwd"}, id="file-name-with-slash"),
        pytest.param({"fileName": "a\\b.pdf"}, id="file-name-with-backslash"),
        pytest.param({"fileName": "line\nbreak.pdf"}, id="file-name-control-character"),
        pytest.param({"fileName": 5}, id="file-name-wrong-type"),
        pytest.param({"key": "files/other/x"}, id="extra-property-key"),
        pytest.param({"ownerId": USER_B}, id="extra-property-ownerId"),
    ],
)
def test_create_upload_rejects_invalid_requests(files: Function, overrides: dict[str, Any]) -> None:
    body = {**read_event_file("create_upload_body.json"), **overrides}
    event = build_event("POST", "/files", body=body)
    assert_generic_error(files.call(event), 400, event)
    assert all_items() == []


@pytest.mark.parametrize("missing", ["fileName", "contentType", "size"])
def test_create_upload_requires_every_field(files: Function, missing: str) -> None:
    body = read_event_file("create_upload_body.json")
    del body[missing]
    event = build_event("POST", "/files", body=body)
    assert_generic_error(files.call(event), 400, event)
    assert all_items() == []


def test_create_upload_rejects_malformed_json(files: Function) -> None:
    event = build_event("POST", "/files", body='{"fileName": "a.pdf",')
    assert_generic_error(files.call(event), 400, event)
    assert all_items() == []


def test_create_upload_rejects_an_oversized_body_with_413(files: Function) -> None:
    body = {**read_event_file("create_upload_body.json"), "fileName": "x" * MAX_BODY_BYTES}
    event = build_event("POST", "/files", body=body)
    assert_generic_error(files.call(event), 413, event)
    assert all_items() == []


def test_allowed_types_max_size_and_expiry_come_from_the_environment(
    files_env: dict[str, str | None], load_function: Any
) -> None:
    env = {
        **files_env,
        "ALLOWED_CONTENT_TYPES": "text/csv, Image/WebP",
        "MAX_UPLOAD_BYTES": "100",
        "URL_EXPIRY_SECONDS": "60",
    }
    custom = make_function(load_function("files", **env), "files")

    body = create_upload(custom, contentType="image/webp", size=100)
    assert body["expiresIn"] == 60
    for overrides in ({"contentType": "application/pdf", "size": 10}, {"contentType": "text/csv", "size": 101}):
        event = build_event("POST", "/files", body={"fileName": "x", **overrides})
        assert_generic_error(custom.call(event), 400, event)


# --- GET /files/{fileId} ---------------------------------------------------------------------


def test_download_link_is_short_lived_and_bound_to_the_callers_object(files: Function) -> None:
    file_id = uploaded(files, fileName="résumé final.pdf", data=b"x" * 1500)
    result = files.call(file_event("GET", file_id))

    assert result.status == 200
    # The size is what S3 holds (1500 bytes), not the declared 2048.
    assert (result.body["fileName"], result.body["contentType"], result.body["size"]) == (
        "résumé final.pdf",
        "application/pdf",
        1500,
    )
    url = urlparse(result.body["downloadUrl"])
    query = parse_qs(url.query)
    assert url.hostname.startswith(FILES_BUCKET + ".s3.")
    assert unquote(url.path) == f"/{OBJECT_PREFIX}{USER_A}/{file_id}"
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"][0].startswith("attachment;")
    assert query["response-content-type"] == ["application/pdf"]
    assert result.body["expiresIn"] == 300


def test_a_declared_file_is_pending_and_not_downloadable_until_s3_holds_it(files: Function) -> None:
    """Issue 11, finding 5: the record reflects what S3 holds, not what the client declared."""
    body = create_upload(files)
    assert stored(body["fileId"])["status"] == "pending"
    event = file_event("GET", body["fileId"])
    assert_generic_error(files.call(event), 404, event)

    put_object(f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}", b"%PDF" + b"x" * 96)
    shared_client("s3").copy_object(
        Bucket=FILES_BUCKET,
        Key=f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}",
        CopySource={"Bucket": FILES_BUCKET, "Key": f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}"},
        ContentType="application/pdf",
        MetadataDirective="REPLACE",
    )
    assert files.call(file_event("GET", body["fileId"])).status == 200
    record = stored(body["fileId"])
    assert (record["status"], record["size"]) == ("uploaded", 100)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("text/html", b"<script>"), ("application/pdf", b"x" * 4096)],
    ids=["other-type", "larger-than-declared"],
)
def test_an_object_that_does_not_match_its_record_is_never_served(
    files: Function, content_type: str, data: bytes
) -> None:
    body = create_upload(files)  # application/pdf, at most 2048 bytes
    shared_client("s3").put_object(
        Bucket=FILES_BUCKET, Key=f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}", Body=data, ContentType=content_type
    )
    event = file_event("GET", body["fileId"])
    assert_generic_error(files.call(event), 404, event)
    assert stored(body["fileId"])["status"] == "pending"


def test_download_of_another_users_file_is_404(files: Function) -> None:
    body = create_upload(files, sub=USER_A)
    event = file_event("GET", body["fileId"], sub=USER_B)
    result = files.call(event)
    assert_generic_error(result, 404, event)
    assert "downloadUrl" not in json.dumps(result.body)


@pytest.mark.parametrize("file_id", [UNKNOWN_ID, "not-an-id", "..%2F..%2Fother"])
def test_download_of_a_missing_or_malformed_id_is_404(files: Function, file_id: str) -> None:
    event = file_event("GET", file_id)
    assert_generic_error(files.call(event), 404, event)


# --- DELETE /files/{fileId} ------------------------------------------------------------------


def test_delete_removes_the_object_and_the_record(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    file_id = uploaded(files)
    key = f"{OBJECT_PREFIX}{USER_A}/{file_id}"
    let_upload_links_expire(files, monkeypatch)

    result = files.call(file_event("DELETE", file_id))

    assert result.status == 204
    assert stored(file_id) is None
    assert not object_exists(key)


def test_delete_of_a_file_never_uploaded_removes_the_record(files: Function, monkeypatch: pytest.MonkeyPatch) -> None:
    body = create_upload(files)
    let_upload_links_expire(files, monkeypatch)
    assert files.call(file_event("DELETE", body["fileId"])).status == 204
    assert stored(body["fileId"]) is None


def test_delete_is_refused_while_the_upload_link_can_still_write(
    files: Function, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11, finding 5: no upload link writes after a delete (it would leave an orphan object)."""
    body = create_upload(files)
    event = file_event("DELETE", body["fileId"])
    assert_generic_error(files.call(event), 409, event)
    assert stored(body["fileId"]) is not None
    let_upload_links_expire(files, monkeypatch)
    assert files.call(file_event("DELETE", body["fileId"])).status == 204


def test_delete_of_another_users_file_is_404_and_keeps_object_and_record(files: Function) -> None:
    body = create_upload(files, sub=USER_A)
    key = f"{OBJECT_PREFIX}{USER_A}/{body['fileId']}"
    put_object(key)

    event = file_event("DELETE", body["fileId"], sub=USER_B)
    assert_generic_error(files.call(event), 404, event)

    assert stored(body["fileId"], owner=USER_A) is not None
    assert object_exists(key)


@pytest.mark.parametrize("file_id", [UNKNOWN_ID, "garbage"])
def test_delete_of_a_missing_or_malformed_id_is_404(files: Function, file_id: str) -> None:
    event = file_event("DELETE", file_id)
    assert_generic_error(files.call(event), 404, event)


# --- identity, routing, configuration --------------------------------------------------------

ROUTES = [
    ("POST", "/files", False, read_event_file("create_upload_body.json")),
    ("GET", "/files/{id}", True, None),
    ("DELETE", "/files/{id}", True, None),
]


@pytest.mark.parametrize(("method", "path", "with_id", "body"), ROUTES)
@pytest.mark.parametrize(
    "identity",
    [
        pytest.param({"claims": None}, id="no-authorizer"),
        pytest.param({"sub": None}, id="missing-sub"),
        pytest.param({"sub": ""}, id="empty-sub"),
        pytest.param({"sub": "a/../b"}, id="sub-with-path-characters"),
    ],
)
def test_every_route_requires_a_sub_claim(
    files: Function, method: str, path: str, with_id: bool, body: Any, identity: dict[str, Any]
) -> None:
    created = create_upload(files)
    kwargs: dict[str, Any] = dict(identity)
    if body is not None:
        kwargs["body"] = body
    if with_id:
        kwargs["path_params"] = {"fileId": created["fileId"]}
        path = path.replace("{id}", created["fileId"])
    event = build_event(method, path, **kwargs)
    assert_generic_error(files.call(event), 401, event)
    assert len(all_items()) == 1


def test_unknown_route_is_a_generic_404(files: Function) -> None:
    event = build_event("PUT", "/files/" + new_id(), path_params={"fileId": new_id()})
    assert_generic_error(files.call(event), 404, event)


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"BUCKET_NAME": None}, id="missing-bucket"),
        pytest.param({"BUCKET_NAME": "Bad_Bucket"}, id="invalid-bucket"),
        pytest.param({"OBJECT_PREFIX": None}, id="missing-prefix"),
        pytest.param({"OBJECT_PREFIX": "files"}, id="prefix-without-trailing-slash"),
        pytest.param({"OBJECT_PREFIX": "/files/"}, id="prefix-absolute"),
        pytest.param({"OBJECT_PREFIX": "../files/"}, id="prefix-dot-dot"),
        pytest.param({"MAX_UPLOAD_BYTES": "10MB"}, id="max-upload-not-a-number"),
        pytest.param({"MAX_UPLOAD_BYTES": "0"}, id="max-upload-zero"),
        pytest.param({"MAX_UPLOAD_BYTES": str(6 * 1024**3)}, id="max-upload-above-s3-limit"),
        pytest.param({"ALLOWED_CONTENT_TYPES": " , "}, id="allowed-types-empty-list"),
        pytest.param({"ALLOWED_CONTENT_TYPES": "image/png,pdf"}, id="allowed-types-invalid-item"),
        pytest.param({"URL_EXPIRY_SECONDS": "0"}, id="expiry-zero"),
        pytest.param({"URL_EXPIRY_SECONDS": "86400"}, id="expiry-too-long"),
    ],
)
def test_bad_environment_fails_at_cold_start(
    files_env: dict[str, str | None], load_function: Any, env: dict[str, str | None]
) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(env))):
        load_function("files", **{**files_env, **env})


# --- retries (issue 11, finding 7) -----------------------------------------------------------


def test_a_retry_of_post_files_with_the_same_idempotency_key_returns_the_first_upload(files: Function) -> None:
    body = read_event_file("create_upload_body.json")
    headers = {"Idempotency-Key": "upload-retry-0001"}
    first = files.call(build_event("POST", "/files", body=body, headers=headers))
    again = files.call(build_event("POST", "/files", body=body, headers=headers))
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert len(all_items()) == 1
