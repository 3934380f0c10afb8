"""Files function: uploads and downloads through short-lived presigned S3 requests.

Routes (REST API v1, Cognito authorizer):
- POST   /files           declare an upload (schemas/create_upload.json); 201 with a presigned POST
                          bound to the exact key `<OBJECT_PREFIX><sub>/<fileId>`, the declared
                          Content-Type and a content-length-range of [1, declared size]. With an
                          Idempotency-Key header, a retry returns the first answer.
- GET    /files/{fileId}  a presigned GET (attachment) for the caller's own uploaded file
- DELETE /files/{fileId}  delete the object and its record; 204. 409 while the upload link can
                          still write (until `uploadExpiresAt`), so no link writes after a delete

Per user (409 beyond): at most MAX_PENDING_UPLOADS uploads whose link can still write, and at most
USER_QUOTA_BYTES in all files. Writes (POST, DELETE) need a caller the user pool still has,
enabled (403 otherwise, kit_common.account).

The object key is always derived from the token's `sub` and a server-generated id: no client
value (file name included) ever becomes part of a key. Another owner's file is a 404.

A record starts "pending": it says what the client declared, not what S3 holds. The first
GET confirms it against the object (HeadObject): the object must exist with the declared
content type and at most the declared size; the record then holds the object's real size and
ETag and turns "uploaded". Until then the file is a 404. While the upload link can still write,
every GET checks the object again and the record follows it (an overwrite within the link's
lifetime is seen, never served under the old size). A download is an attachment with
``Cache-Control: no-store``; S3 cannot add ``X-Content-Type-Options`` to a presigned GET (its
response overrides are Content-Type, -Disposition, -Encoding, -Language, Cache-Control and
Expires), so the exact declared Content-Type and ``attachment`` keep browsers from rendering it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError
from kit_common import (
    ORIGIN_PATTERN,
    BadRequestError,
    ConflictError,
    NotFoundError,
    create_once,
    create_resolver,
    current_caller,
    env_csv,
    env_int,
    env_str,
    idempotency_config,
    idempotency_key,
    is_condition_check_failure,
    is_valid_id,
    json_response,
    load_schema,
    new_id,
    no_content,
    parse_json_body,
    require_active_user,
    to_int,
    utc_now_iso,
)

# S3 accepts at most 5 GiB in one POST upload.
S3_MAX_POST_BYTES = 5 * 1024**3
CONTENT_TYPE_PATTERN = r"[a-z0-9][a-z0-9!#&^_.+-]{0,62}/[a-z0-9][a-z0-9!#&^_.+-]{0,62}"

TABLE_NAME = env_str("TABLE_NAME")
IDEMPOTENCY_TABLE_NAME = env_str("IDEMPOTENCY_TABLE_NAME")
# No dots: presigned URLs use virtual-hosted HTTPS, whose certificate does not cover dotted names.
BUCKET_NAME = env_str("BUCKET_NAME", pattern=r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
# Relative, ends with "/", and no segment starts with "." (so no "." or ".." segments).
OBJECT_PREFIX = env_str("OBJECT_PREFIX", pattern=r"([A-Za-z0-9_-][A-Za-z0-9_.-]*/)+")
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024, minimum=1, maximum=S3_MAX_POST_BYTES)
ALLOWED_CONTENT_TYPES = frozenset(
    env_csv(
        "ALLOWED_CONTENT_TYPES",
        default="image/png,image/jpeg,application/pdf,text/plain",
        item_pattern=CONTENT_TYPE_PATTERN,
        lowercase=True,
    )
)
URL_EXPIRY_SECONDS = env_int("URL_EXPIRY_SECONDS", default=300, minimum=1, maximum=3600)
# Per-user bounds (issue 25): uploads whose link can still write, and bytes of all the user's files.
MAX_PENDING_UPLOADS = env_int("MAX_PENDING_UPLOADS", default=10, minimum=1, maximum=1000)
# Default: ten files of the largest size; never below one of them (no upload could fit).
USER_QUOTA_BYTES = env_int(
    "USER_QUOTA_BYTES", default=10 * MAX_UPLOAD_BYTES, minimum=MAX_UPLOAD_BYTES, maximum=S3_MAX_POST_BYTES * 1000
)
USER_POOL_ID = env_str("USER_POOL_ID", pattern=r"[\w-]+_[0-9a-zA-Z]+")
CORS_ALLOWED_ORIGINS = env_csv("CORS_ALLOWED_ORIGINS", default="", item_pattern=ORIGIN_PATTERN, allow_empty=True)

SCHEMAS = Path(__file__).resolve().parent / "schemas"
CREATE_UPLOAD = load_schema(SCHEMAS / "create_upload.json")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_resolver(logger=logger, cors_allowed_origins=CORS_ALLOWED_ORIGINS)
table = boto3.resource("dynamodb").Table(TABLE_NAME)
cognito = boto3.client("cognito-idp")
# SigV4 and virtual-hosted addressing: presigned requests work for KMS-encrypted objects
# and in every region.
s3 = boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
# A repeated POST /files answers the first upload link while that link is valid.
# A client of the default session rather than a session of its own (Powertools' default): the
# service models are parsed once per process. Not the table resource's client: a resource adds
# its own (de)serialization to its client, and Powertools sends DynamoDB's typed values already.
idempotency_store = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE_NAME, boto3_client=boto3.client("dynamodb"))
IDEMPOTENCY = idempotency_config(expires_after_seconds=URL_EXPIRY_SECONDS)

PENDING = "pending"
UPLOADED = "uploaded"


def now_epoch() -> int:
    """The current time in epoch seconds (a seam for tests that let an upload link expire)."""
    return int(time.time())


def new_file_id() -> str:
    """The id of a new file (a seam for tests that simulate an id collision)."""
    return new_id()


def object_key(owner_id: str, file_id: str) -> str:
    return f"{OBJECT_PREFIX}{owner_id}/{file_id}"


def _file_id(raw: str) -> str:
    if not is_valid_id(raw):
        raise NotFoundError("malformed file id")
    return raw


def _own_file(owner_id: str, file_id: str) -> dict[str, Any]:
    item = table.get_item(Key={"ownerId": owner_id, "fileId": file_id}, ConsistentRead=True).get("Item")
    if item is None:
        raise NotFoundError("no such file for caller")
    return dict(item)


def _check_quota(owner_id: str, size: int) -> None:
    """409 when the new upload would exceed the caller's pending-upload or storage bound.

    Counted from the caller's records (a Query on the partition key, consistent): records whose
    upload link can still write, and the sizes of all records (declared until confirmed, then
    S3's). Parallel requests of one user can each pass before the others' records exist: the
    bounds hold up to the user's concurrency (a few requests), not exactly.
    """
    pending = 0
    stored = 0
    now = now_epoch()
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("ownerId").eq(owner_id),
        "ProjectionExpression": "#size, #status, #expires",
        "ExpressionAttributeNames": {"#size": "size", "#status": "status", "#expires": "uploadExpiresAt"},
        "ConsistentRead": True,
    }
    while True:
        page = table.query(**query)
        for item in page.get("Items", []):
            stored += to_int(item.get("size", 0))
            if item.get("status") == PENDING and now < to_int(item.get("uploadExpiresAt", 0)):
                pending += 1
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if pending >= MAX_PENDING_UPLOADS:
        raise ConflictError("too many uploads in progress for caller")
    if stored + size > USER_QUOTA_BYTES:
        raise ConflictError("caller's storage quota exceeded")


def _create_upload(owner_id: str, body: dict[str, Any]) -> dict[str, Any]:
    content_type = body["contentType"].lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise BadRequestError("content type not allowed")
    size = body["size"]
    if size > MAX_UPLOAD_BYTES:
        raise BadRequestError("declared size above MAX_UPLOAD_BYTES")
    _check_quota(owner_id, size)
    file_id = new_file_id()
    key = object_key(owner_id, file_id)
    item = {
        "ownerId": owner_id,
        "fileId": file_id,
        "fileName": body["fileName"],
        "contentType": content_type,
        "size": size,
        "objectKey": key,
        "status": PENDING,
        "uploadExpiresAt": now_epoch() + URL_EXPIRY_SECONDS,
        "createdAt": utc_now_iso(),
    }
    try:
        table.put_item(Item=item, ConditionExpression=Attr("fileId").not_exists())
    except ClientError as error:
        if is_condition_check_failure(error):
            raise ConflictError("file id collision") from None
        raise
    # boto3 adds the exact {"bucket"} and {"key"} conditions to the policy itself.
    upload = s3.generate_presigned_post(
        Bucket=BUCKET_NAME,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=URL_EXPIRY_SECONDS,
    )
    metrics.add_metric(name="UploadRequested", unit=MetricUnit.Count, value=1)
    logger.info("Upload requested", extra={"file_id": file_id, "size": size})
    return {
        "fileId": file_id,
        "upload": {"url": upload["url"], "fields": upload["fields"]},
        "expiresIn": URL_EXPIRY_SECONDS,
    }


@idempotent_function(data_keyword_argument="request", persistence_store=idempotency_store, config=IDEMPOTENCY)
def create_upload_once(request: dict[str, Any]) -> dict[str, Any]:
    """The upload created for ``request`` = {owner, key, body}; a repeat returns the first one."""
    return _create_upload(request["owner"], request["body"])


@app.post("/files")
def create_upload() -> Response[Any]:
    caller = current_caller(app)
    key = idempotency_key(app.current_event.headers)
    body = parse_json_body(app.current_event.raw_event, CREATE_UPLOAD)
    require_active_user(cognito, USER_POOL_ID, caller)
    created = create_once(
        key=key, owner=caller.sub, body=body, create=_create_upload, idempotent_create=create_upload_once
    )
    if key is not None:
        found = table.get_item(Key={"ownerId": caller.sub, "fileId": created["fileId"]}, ConsistentRead=True)
        if "Item" not in found:
            # A repeat whose file was deleted since: its upload link would write an orphan object.
            raise ConflictError("the file created with this Idempotency-Key was deleted")
    return json_response(201, created)


def _confirmed(item: dict[str, Any]) -> dict[str, Any]:
    """The record once S3 holds a matching object; 404 while it does not.

    While the upload link can still write (until ``uploadExpiresAt``), the object may be
    replaced after a confirmation: every read then checks it again (HeadObject) and the record
    follows the object S3 holds (its ETag and size), or the file is a 404 if the new object does
    not match the declaration. After that, nothing can write the key and the record is final.
    """
    link_can_write = now_epoch() < to_int(item.get("uploadExpiresAt", 0))
    if item.get("status") == UPLOADED and not link_can_write:
        return item
    try:
        head = s3.head_object(Bucket=BUCKET_NAME, Key=item["objectKey"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise NotFoundError("file not uploaded yet") from None
        raise
    actual_size = int(head["ContentLength"])
    actual_type = str(head.get("ContentType", "")).lower()
    etag = str(head.get("ETag", ""))
    if item.get("status") == UPLOADED and item.get("etag") == etag:
        return item  # still the object that was confirmed
    declared = to_int(item.get("declaredSize", item["size"]))
    if actual_type != item["contentType"] or not 1 <= actual_size <= declared:
        # The POST policy makes this impossible on S3; never serve what was not declared.
        logger.warning("Uploaded object does not match its record", extra={"file_id": item["fileId"]})
        raise NotFoundError("uploaded object does not match the declared type or size")
    confirmed = table.update_item(
        Key={"ownerId": item["ownerId"], "fileId": item["fileId"]},
        UpdateExpression="SET #status = :uploaded, #size = :size, #etag = :etag, #declared = :declared",
        ConditionExpression=Attr("fileId").exists(),
        ExpressionAttributeNames={"#status": "status", "#size": "size", "#etag": "etag", "#declared": "declaredSize"},
        ExpressionAttributeValues={":uploaded": UPLOADED, ":size": actual_size, ":etag": etag, ":declared": declared},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    event = "Upload confirmed" if item.get("status") != UPLOADED else "Upload replaced within its link's lifetime"
    logger.info(event, extra={"file_id": item["fileId"], "size": actual_size})
    return dict(confirmed)


@app.get("/files/<fileId>")
def get_download(fileId: str) -> Response[Any]:
    caller = current_caller(app)
    file_id = _file_id(fileId)
    item = _confirmed(_own_file(caller.sub, file_id))
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": BUCKET_NAME,
            "Key": object_key(caller.sub, file_id),
            # Always a download, never rendered inline by the browser on the bucket's origin.
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(item['fileName'], safe='')}",
            "ResponseContentType": item["contentType"],
            # A signed link to personal data: no shared cache keeps the object.
            "ResponseCacheControl": "no-store",
        },
        ExpiresIn=URL_EXPIRY_SECONDS,
    )
    logger.info("Download link issued", extra={"file_id": file_id})
    return json_response(
        200,
        {
            "fileId": file_id,
            "fileName": item["fileName"],
            "contentType": item["contentType"],
            "size": to_int(item["size"]),
            "createdAt": item["createdAt"],
            "downloadUrl": url,
            "expiresIn": URL_EXPIRY_SECONDS,
        },
    )


@app.delete("/files/<fileId>")
def delete_file(fileId: str) -> Response[Any]:
    caller = current_caller(app)
    file_id = _file_id(fileId)
    require_active_user(cognito, USER_POOL_ID, caller)
    item = _own_file(caller.sub, file_id)
    # A presigned POST cannot be revoked: refuse to delete while it can still write, or its
    # object would land after the delete with no record (an orphan).
    if now_epoch() < to_int(item.get("uploadExpiresAt", 0)):
        raise ConflictError("the upload link is still valid")
    # Object first: if this fails the record stays, so the caller can retry the delete.
    s3.delete_object(Bucket=BUCKET_NAME, Key=object_key(caller.sub, file_id))
    try:
        table.delete_item(Key={"ownerId": caller.sub, "fileId": file_id}, ConditionExpression=Attr("fileId").exists())
    except ClientError as error:
        # A concurrent delete got there first: the outcome the caller asked for.
        if not is_condition_check_failure(error):
            raise
    logger.info("File deleted", extra={"file_id": file_id})
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)  # an in-progress record expires with the invocation
    return app.resolve(event, context)
