"""Notes function: the caller's notes, with optimistic locking.

Routes (REST API v1, Cognito authorizer):
- GET    /notes?limit=N&cursor=X  the caller's notes, newest first, without content (Query on ownerId)
- POST   /notes                   create (schemas/create_note.json); 201. With an Idempotency-Key
                                  header, a retry within an hour returns the first note (409 once
                                  that note was deleted)
- GET    /notes/{noteId}          read
- PUT    /notes/{noteId}          replace title and content (schemas/update_note.json); the body's
                                  `version` must be the stored one, else 409 and nothing changes
- DELETE /notes/{noteId}[?version=N]  delete; with `version`, only that version (else 409); 204

Writes (POST, PUT, DELETE) need a caller the user pool still has, enabled (403 otherwise,
kit_common.account): a disabled or deleted user's token, valid until it expires, writes nothing.

Items are keyed (ownerId = token `sub`, noteId = server-generated UUIDv7). Another owner's note
is indistinguishable from a missing one: 404.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from kit_common import (
    ORIGIN_PATTERN,
    BadRequestError,
    ConflictError,
    NotFoundError,
    create_once,
    create_resolver,
    current_caller,
    decode_cursor,
    encode_cursor,
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
    parse_limit,
    require_active_user,
    to_int,
    utc_now_iso,
)

TABLE_NAME = env_str("TABLE_NAME")
IDEMPOTENCY_TABLE_NAME = env_str("IDEMPOTENCY_TABLE_NAME")
USER_POOL_ID = env_str("USER_POOL_ID", pattern=r"[\w-]+_[0-9a-zA-Z]+")
MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", default=50, minimum=1, maximum=1000)
DEFAULT_PAGE_SIZE = 20
CORS_ALLOWED_ORIGINS = env_csv("CORS_ALLOWED_ORIGINS", default="", item_pattern=ORIGIN_PATTERN, allow_empty=True)

SCHEMAS = Path(__file__).resolve().parent / "schemas"
CREATE_NOTE = load_schema(SCHEMAS / "create_note.json")
UPDATE_NOTE = load_schema(SCHEMAS / "update_note.json")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_resolver(logger=logger, cors_allowed_origins=CORS_ALLOWED_ORIGINS)
table = boto3.resource("dynamodb").Table(TABLE_NAME)
cognito = boto3.client("cognito-idp")
# A repeated POST /notes with the same Idempotency-Key answers the first result for an hour.
# A client of the default session rather than a session of its own (Powertools' default): the
# service models are parsed once per process. Not the table resource's client: a resource adds
# its own (de)serialization to its client, and Powertools sends DynamoDB's typed values already.
idempotency_store = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE_NAME, boto3_client=boto3.client("dynamodb"))
IDEMPOTENCY = idempotency_config(expires_after_seconds=3600)

KEY_NAMES = ("ownerId", "noteId")
SUMMARY_ATTRIBUTES = ("noteId", "title", "version", "createdAt", "updatedAt")


def new_note_id() -> str:
    """The id of a new note (a seam for tests that simulate an id collision)."""
    return new_id()


def _note(item: dict[str, Any], *, with_content: bool = True) -> dict[str, Any]:
    note = {
        "noteId": item["noteId"],
        "title": item["title"],
        "version": to_int(item["version"]),
        "createdAt": item["createdAt"],
        "updatedAt": item["updatedAt"],
    }
    if with_content:
        note["content"] = item.get("content", "")
    return note


def _note_id(raw: str) -> str:
    # An id the service cannot have generated names no note: 404, like another owner's note.
    if not is_valid_id(raw):
        raise NotFoundError("malformed note id")
    return raw


def _exists(owner_id: str, note_id: str) -> bool:
    response = table.get_item(
        Key={"ownerId": owner_id, "noteId": note_id},
        ProjectionExpression="#noteId",
        ExpressionAttributeNames={"#noteId": "noteId"},
        ConsistentRead=True,
    )
    return "Item" in response


def _condition_failed(owner_id: str, note_id: str, reason: str) -> Exception:
    """After a failed conditional write: 409 if the caller's note exists, else 404."""
    if _exists(owner_id, note_id):
        return ConflictError(reason)
    return NotFoundError("no such note for caller")


@app.get("/notes")
def list_notes() -> Response[Any]:
    caller = current_caller(app)
    event = app.current_event
    limit = parse_limit(event.get_query_string_value("limit"), default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("ownerId").eq(caller.sub),
        # One extra item tells whether another page exists, so the last page has no cursor.
        "Limit": limit + 1,
        "ScanIndexForward": False,
        "ProjectionExpression": ", ".join(f"#{name}" for name in SUMMARY_ATTRIBUTES),
        "ExpressionAttributeNames": {f"#{name}": name for name in SUMMARY_ATTRIBUTES},
    }
    cursor = event.get_query_string_value("cursor")
    if cursor is not None:
        start_key = decode_cursor(cursor, key_names=KEY_NAMES, owner_attribute="ownerId", owner=caller.sub)
        if not is_valid_id(start_key["noteId"]):
            raise BadRequestError("cursor is malformed")
        query["ExclusiveStartKey"] = start_key
    response = table.query(**query)
    items = response.get("Items", [])
    next_key: dict[str, Any] | None = None
    if len(items) > limit:
        items = items[:limit]
        next_key = {"ownerId": caller.sub, "noteId": items[-1]["noteId"]}
    elif "LastEvaluatedKey" in response:
        next_key = response["LastEvaluatedKey"]
    return json_response(
        200,
        {
            "items": [_note(item, with_content=False) for item in items],
            "nextCursor": encode_cursor(next_key) if next_key else None,
        },
    )


def _create_note(owner_id: str, body: dict[str, Any]) -> dict[str, Any]:
    now = utc_now_iso()
    item = {
        "ownerId": owner_id,
        "noteId": new_note_id(),
        "title": body["title"],
        "content": body["content"],
        "version": 1,
        "createdAt": now,
        "updatedAt": now,
    }
    try:
        table.put_item(Item=item, ConditionExpression=Attr("noteId").not_exists())
    except ClientError as error:
        if is_condition_check_failure(error):
            raise ConflictError("note id collision") from None
        raise
    metrics.add_metric(name="NoteCreated", unit=MetricUnit.Count, value=1)
    logger.info("Note created", extra={"note_id": item["noteId"]})
    return _note(item)


@idempotent_function(data_keyword_argument="request", persistence_store=idempotency_store, config=IDEMPOTENCY)
def create_note_once(request: dict[str, Any]) -> dict[str, Any]:
    """The note created for ``request`` = {owner, key, body}; a repeat returns the first one."""
    return _create_note(request["owner"], request["body"])


@app.post("/notes")
def create_note() -> Response[Any]:
    caller = current_caller(app)
    key = idempotency_key(app.current_event.headers)
    body = parse_json_body(app.current_event.raw_event, CREATE_NOTE)
    require_active_user(cognito, USER_POOL_ID, caller)
    created = create_once(key=key, owner=caller.sub, body=body, create=_create_note, idempotent_create=create_note_once)
    if key is not None and not _exists(caller.sub, created["noteId"]):
        # A repeat whose note was deleted since: replaying "201 created" would describe nothing.
        raise ConflictError("the note created with this Idempotency-Key was deleted")
    return json_response(201, created)


@app.get("/notes/<noteId>")
def get_note(noteId: str) -> Response[Any]:
    caller = current_caller(app)
    item = table.get_item(Key={"ownerId": caller.sub, "noteId": _note_id(noteId)}).get("Item")
    if item is None:
        raise NotFoundError("no such note for caller")
    return json_response(200, _note(item))


@app.put("/notes/<noteId>")
def update_note(noteId: str) -> Response[Any]:
    caller = current_caller(app)
    note_id = _note_id(noteId)
    body = parse_json_body(app.current_event.raw_event, UPDATE_NOTE)
    require_active_user(cognito, USER_POOL_ID, caller)
    expected = body["version"]
    try:
        item = table.update_item(
            Key={"ownerId": caller.sub, "noteId": note_id},
            UpdateExpression="SET #title = :title, #content = :content, #version = :next, #updatedAt = :now",
            ConditionExpression=Attr("noteId").exists() & Attr("version").eq(expected),
            ExpressionAttributeNames={
                "#title": "title",
                "#content": "content",
                "#version": "version",
                "#updatedAt": "updatedAt",
            },
            ExpressionAttributeValues={
                ":title": body["title"],
                ":content": body["content"],
                ":next": expected + 1,
                ":now": utc_now_iso(),
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except ClientError as error:
        if is_condition_check_failure(error):
            raise _condition_failed(caller.sub, note_id, "stale version") from None
        raise
    logger.info("Note updated", extra={"note_id": note_id})
    return json_response(200, _note(item))


def _optional_version(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,9}", raw):
        raise BadRequestError("version is not a positive whole number")
    return int(raw)


@app.delete("/notes/<noteId>")
def delete_note(noteId: str) -> Response[Any]:
    caller = current_caller(app)
    note_id = _note_id(noteId)
    version = _optional_version(app.current_event.get_query_string_value("version"))
    require_active_user(cognito, USER_POOL_ID, caller)
    condition = Attr("noteId").exists()
    if version is not None:
        condition = condition & Attr("version").eq(version)
    try:
        table.delete_item(Key={"ownerId": caller.sub, "noteId": note_id}, ConditionExpression=condition)
    except ClientError as error:
        if not is_condition_check_failure(error):
            raise
        if version is None:
            raise NotFoundError("no such note for caller") from None
        raise _condition_failed(caller.sub, note_id, "stale version") from None
    logger.info("Note deleted", extra={"note_id": note_id})
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)  # an in-progress record expires with the invocation
    return app.resolve(event, context)
