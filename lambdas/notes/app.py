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

Layers: this module is the handler (environment, Powertools, routes: parse the event, call the
logic, answer); notes_service/ holds the logic, the data access and the models. The routes, their
request models and who may call them come from the service contract (kit_common/contract.json).
AWS clients are created on first use (``dependencies()``); tests may inject their own (``use``).
"""

from __future__ import annotations

import re
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
from kit_common import (
    ORIGIN_PATTERN,
    BadRequestError,
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
    parse_limit,
    request_validators,
    require_active_user,
    utc_now_iso,
)
from kit_common.lazy import Lazy
from notes_service.data import NotesTable
from notes_service.logic import NotesLogic, note_id_of

TABLE_NAME = env_str("TABLE_NAME")
IDEMPOTENCY_TABLE_NAME = env_str("IDEMPOTENCY_TABLE_NAME")
USER_POOL_ID = env_str("USER_POOL_ID", pattern=r"[\w-]+_[0-9a-zA-Z]+")
MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", default=50, minimum=1, maximum=1000)
DEFAULT_PAGE_SIZE = 20
CORS_ALLOWED_ORIGINS = env_csv("CORS_ALLOWED_ORIGINS", default="", item_pattern=ORIGIN_PATTERN, allow_empty=True)

#: (method, path) -> request model, generated from the contract's routes of this service.
VALIDATORS = request_validators("notes", Path(__file__).resolve().parent)
CREATE_NOTE = VALIDATORS[("POST", "/notes")]
UPDATE_NOTE = VALIDATORS[("PUT", "/notes/{noteId}")]
# A repeated POST /notes with the same Idempotency-Key answers the first result for an hour.
IDEMPOTENCY = idempotency_config(expires_after_seconds=3600)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_resolver(logger=logger, cors_allowed_origins=CORS_ALLOWED_ORIGINS)


def new_note_id() -> str:
    """The id of a new note (a seam for tests that simulate an id collision)."""
    return new_id()


@dataclass(frozen=True)
class Dependencies:
    """What the routes use: the logic (over the table), Cognito, and the idempotent create."""

    logic: NotesLogic
    cognito: Any
    create_note_once: Callable[..., dict[str, Any]]


def _build() -> Dependencies:
    logic = NotesLogic(
        table=NotesTable(boto3.resource("dynamodb").Table(TABLE_NAME)),
        logger=logger,
        metrics=metrics,
        new_id=lambda: new_note_id(),  # late-bound: the test seam above
        clock=utc_now_iso,
    )
    # A client of the default session rather than a session of its own (Powertools' default): the
    # service models are parsed once per process. Not the table resource's client: a resource adds
    # its own (de)serialization to its client, and Powertools sends DynamoDB's typed values already.
    store = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE_NAME, boto3_client=boto3.client("dynamodb"))

    def create_note_once(request: dict[str, Any]) -> dict[str, Any]:
        """The note created for ``request`` = {owner, key, body}; a repeat returns the first one."""
        return logic.create(request["owner"], request["body"])

    once = idempotent_function(data_keyword_argument="request", persistence_store=store, config=IDEMPOTENCY)
    return Dependencies(logic=logic, cognito=boto3.client("cognito-idp"), create_note_once=once(create_note_once))


#: The AWS clients and the logic, created on first use and reused by every later invocation;
#: ``use(injected)`` replaces them (None: build them again on next use).
_DEPENDENCIES: Lazy[Dependencies] = Lazy(_build)
dependencies = _DEPENDENCIES.get
use = _DEPENDENCIES.use


@app.get("/notes")
def list_notes() -> Response[Any]:
    caller = current_caller(app)
    event = app.current_event
    limit = parse_limit(event.get_query_string_value("limit"), default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    page = dependencies().logic.list_notes(caller.sub, limit=limit, cursor=event.get_query_string_value("cursor"))
    return json_response(200, page.to_json())


@app.post("/notes")
def create_note() -> Response[Any]:
    caller = current_caller(app)
    key = idempotency_key(app.current_event.headers)
    body = parse_json_body(app.current_event.raw_event, CREATE_NOTE)
    deps = dependencies()
    require_active_user(deps.cognito, USER_POOL_ID, caller)
    created = create_once(
        key=key, owner=caller.sub, body=body, create=deps.logic.create, idempotent_create=deps.create_note_once
    )
    if key is not None:
        # A repeat whose note was deleted since: replaying "201 created" would describe nothing.
        deps.logic.require_exists(
            caller.sub, created["noteId"], reason="the note created with this Idempotency-Key was deleted"
        )
    return json_response(201, created)


@app.get("/notes/<noteId>")
def get_note(noteId: str) -> Response[Any]:
    caller = current_caller(app)
    return json_response(200, dependencies().logic.get(caller.sub, note_id_of(noteId)).to_json())


@app.put("/notes/<noteId>")
def update_note(noteId: str) -> Response[Any]:
    caller = current_caller(app)
    note_id = note_id_of(noteId)
    body = parse_json_body(app.current_event.raw_event, UPDATE_NOTE)
    deps = dependencies()
    require_active_user(deps.cognito, USER_POOL_ID, caller)
    return json_response(200, deps.logic.replace(caller.sub, note_id, body).to_json())


def _optional_version(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,9}", raw):
        raise BadRequestError("version is not a positive whole number")
    return int(raw)


@app.delete("/notes/<noteId>")
def delete_note(noteId: str) -> Response[Any]:
    caller = current_caller(app)
    note_id = note_id_of(noteId)
    version = _optional_version(app.current_event.get_query_string_value("version"))
    deps = dependencies()
    require_active_user(deps.cognito, USER_POOL_ID, caller)
    deps.logic.delete(caller.sub, note_id, version=version)
    return no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)  # an in-progress record expires with the invocation
    return app.resolve(event, context)
