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

Layers: this module is the handler (environment, Powertools, routes); files_service/ holds the
logic, the data access and the models. Routes and request models come from the service contract
(kit_common/contract.json). AWS clients are created on first use (``dependencies()``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from files_service.data import FilesBucket, FilesTable
from files_service.logic import FilesLogic, file_id_of
from files_service.models import Limits
from kit_common import (
    ORIGIN_PATTERN,
    create_once,
    create_resolver,
    current_caller,
    env_csv,
    env_int,
    env_str,
    idempotency_config,
    idempotency_key,
    json_response,
    new_id,
    no_content,
    parse_json_body,
    request_validators,
    require_active_user,
    utc_now_iso,
)
from kit_common.lazy import Lazy

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

#: (method, path) -> request model, generated from the contract's routes of this service.
VALIDATORS = request_validators("files", Path(__file__).resolve().parent)
CREATE_UPLOAD = VALIDATORS[("POST", "/files")]
# A repeated POST /files answers the first upload link while that link is valid.
IDEMPOTENCY = idempotency_config(expires_after_seconds=URL_EXPIRY_SECONDS)
LIMITS = Limits(
    allowed_content_types=ALLOWED_CONTENT_TYPES,
    max_upload_bytes=MAX_UPLOAD_BYTES,
    url_expiry_seconds=URL_EXPIRY_SECONDS,
    max_pending_uploads=MAX_PENDING_UPLOADS,
    user_quota_bytes=USER_QUOTA_BYTES,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_resolver(logger=logger, cors_allowed_origins=CORS_ALLOWED_ORIGINS)


def now_epoch() -> int:
    """The current time in epoch seconds (a seam for tests that let an upload link expire)."""
    return int(time.time())


def new_file_id() -> str:
    """The id of a new file (a seam for tests that simulate an id collision)."""
    return new_id()


@dataclass(frozen=True)
class Dependencies:
    """What the routes use: the logic (over the table and the bucket), Cognito, the idempotent create."""

    logic: FilesLogic
    bucket: FilesBucket
    cognito: Any
    create_upload_once: Callable[..., dict[str, Any]]


def _build() -> Dependencies:
    # SigV4 and virtual-hosted addressing: presigned requests work for KMS-encrypted objects
    # and in every region.
    s3 = boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    bucket = FilesBucket(s3, BUCKET_NAME)
    logic = FilesLogic(
        table=FilesTable(boto3.resource("dynamodb").Table(TABLE_NAME)),
        bucket=bucket,
        object_prefix=OBJECT_PREFIX,
        limits=LIMITS,
        logger=logger,
        metrics=metrics,
        clock=lambda: now_epoch(),  # late-bound: the test seams above
        new_id=lambda: new_file_id(),
        now_iso=utc_now_iso,
    )
    # A client of the default session rather than a session of its own (Powertools' default): the
    # service models are parsed once per process. Not the table resource's client: a resource adds
    # its own (de)serialization to its client, and Powertools sends DynamoDB's typed values already.
    store = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE_NAME, boto3_client=boto3.client("dynamodb"))

    def create_upload_once(request: dict[str, Any]) -> dict[str, Any]:
        """The upload created for ``request`` = {owner, key, body}; a repeat returns the first one."""
        return logic.create_upload(request["owner"], request["body"])

    once = idempotent_function(data_keyword_argument="request", persistence_store=store, config=IDEMPOTENCY)
    return Dependencies(
        logic=logic, bucket=bucket, cognito=boto3.client("cognito-idp"), create_upload_once=once(create_upload_once)
    )


#: The AWS clients and the logic, created on first use and reused by every later invocation;
#: ``use(injected)`` replaces them (None: build them again on next use).
_DEPENDENCIES: Lazy[Dependencies] = Lazy(_build)
dependencies = _DEPENDENCIES.get
use = _DEPENDENCIES.use


@app.post("/files")
def create_upload() -> Response[Any]:
    caller = current_caller(app)
    key = idempotency_key(app.current_event.headers)
    body = parse_json_body(app.current_event.raw_event, CREATE_UPLOAD)
    deps = dependencies()
    require_active_user(deps.cognito, USER_POOL_ID, caller)
    created = create_once(
        key=key,
        owner=caller.sub,
        body=body,
        create=deps.logic.create_upload,
        idempotent_create=deps.create_upload_once,
    )
    if key is not None:
        deps.logic.require_record(caller.sub, created["fileId"])
    return json_response(201, created)


@app.get("/files/<fileId>")
def get_download(fileId: str) -> Response[Any]:
    caller = current_caller(app)
    return json_response(200, dependencies().logic.download(caller.sub, file_id_of(fileId)))


@app.delete("/files/<fileId>")
def delete_file(fileId: str) -> Response[Any]:
    caller = current_caller(app)
    file_id = file_id_of(fileId)
    deps = dependencies()
    require_active_user(deps.cognito, USER_POOL_ID, caller)
    deps.logic.delete(caller.sub, file_id)
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)  # an in-progress record expires with the invocation
    return app.resolve(event, context)
