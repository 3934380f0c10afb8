"""Profiles function: the caller's own profile, and an admin-only read of any profile.

Routes (REST API v1, Cognito authorizer):
- GET /me               the caller's profile; 404 until the caller has saved one with PUT /me
- PUT /me               create or replace the caller's profile (schemas/put_profile.json); 403
                        when the user pool no longer has the caller enabled (kit_common.account)
- GET /profiles/{userId} any user's profile, only for current members of ADMIN_GROUP (403 otherwise)

The profile's key is always the token's `sub`; no path or body value can choose it.

The admin route does not trust the token's group claim alone: the claim is 60 minutes old at
worst and, flattened by API Gateway, ambiguous for group names with commas. The claim only
pre-filters; membership is then read from the user pool itself (AdminGetUser: the user is
enabled; AdminListGroupsForUser: exact group names), so removing a user from ADMIN_GROUP or
disabling the user ends admin access on the next call.

Layers: this module is the handler (environment, Powertools, routes); profiles_service/ holds the
logic, the data access and the models. Routes, request models and who may call each route
(``callers``: the admin guard runs before the route) come from the service contract
(kit_common/contract.json). AWS clients are created on first use (``dependencies()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from kit_common import (
    GROUP_NAME_PATTERN,
    ORIGIN_PATTERN,
    Caller,
    NotFoundError,
    create_resolver,
    current_caller,
    env_csv,
    env_str,
    guard_callers,
    is_valid_sub,
    json_response,
    parse_json_body,
    request_validators,
    require_active_user,
    utc_now_iso,
)
from kit_common.lazy import Lazy
from profiles_service.data import ProfilesTable, UserPoolMembership
from profiles_service.logic import ProfilesLogic

TABLE_NAME = env_str("TABLE_NAME")
ADMIN_GROUP = env_str("ADMIN_GROUP", pattern=GROUP_NAME_PATTERN)
USER_POOL_ID = env_str("USER_POOL_ID", pattern=r"[\w-]+_[0-9a-zA-Z]+")
CORS_ALLOWED_ORIGINS = env_csv("CORS_ALLOWED_ORIGINS", default="", item_pattern=ORIGIN_PATTERN, allow_empty=True)

#: (method, path) -> request model, generated from the contract's routes of this service.
VALIDATORS = request_validators("profiles", Path(__file__).resolve().parent)
PUT_PROFILE = VALIDATORS[("PUT", "/me")]

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_resolver(logger=logger, cors_allowed_origins=CORS_ALLOWED_ORIGINS)


@dataclass(frozen=True)
class Dependencies:
    logic: ProfilesLogic
    cognito: Any


def _build() -> Dependencies:
    cognito = boto3.client("cognito-idp")
    logic = ProfilesLogic(
        table=ProfilesTable(boto3.resource("dynamodb").Table(TABLE_NAME)),
        membership=UserPoolMembership(cognito, USER_POOL_ID),
        admin_group=ADMIN_GROUP,
        logger=logger,
        metrics=metrics,
        clock=utc_now_iso,
    )
    return Dependencies(logic=logic, cognito=cognito)


#: The AWS clients and the logic, created on first use and reused by every later invocation;
#: ``use(injected)`` replaces them (None: build them again on next use).
_DEPENDENCIES: Lazy[Dependencies] = Lazy(_build)
dependencies = _DEPENDENCIES.get
use = _DEPENDENCIES.use


def _require_admin(caller: Caller) -> None:
    dependencies().logic.require_current_admin(caller)


# The contract's "admins" routes (GET /profiles/{userId}) pass the admin check before they run.
guard_callers(app, service="profiles", require_admin=_require_admin)


@app.get("/me")
def get_my_profile() -> Response[Any]:
    return json_response(200, dependencies().logic.read(current_caller(app).sub).to_json())


@app.put("/me")
def put_my_profile() -> Response[Any]:
    caller = current_caller(app)
    body = parse_json_body(app.current_event.raw_event, PUT_PROFILE)
    deps = dependencies()
    require_active_user(deps.cognito, USER_POOL_ID, caller)
    return json_response(200, deps.logic.save(caller.sub, body).to_json())


@app.get("/profiles/<userId>")
def get_profile(userId: str) -> Response[Any]:
    # The caller is a current admin (guard_callers); only now is the path looked at.
    if not is_valid_sub(userId):
        raise NotFoundError("malformed user id")
    logger.info("Admin profile read")
    return json_response(200, dependencies().logic.read(userId).to_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
