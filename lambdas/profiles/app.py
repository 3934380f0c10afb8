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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from kit_common import (
    GROUP_NAME_PATTERN,
    ORIGIN_PATTERN,
    Caller,
    ForbiddenError,
    NotFoundError,
    create_resolver,
    current_caller,
    env_csv,
    env_str,
    is_valid_sub,
    json_response,
    load_schema,
    parse_json_body,
    require_active_user,
    utc_now_iso,
)

TABLE_NAME = env_str("TABLE_NAME")
ADMIN_GROUP = env_str("ADMIN_GROUP", pattern=GROUP_NAME_PATTERN)
USER_POOL_ID = env_str("USER_POOL_ID", pattern=r"[\w-]+_[0-9a-zA-Z]+")
CORS_ALLOWED_ORIGINS = env_csv("CORS_ALLOWED_ORIGINS", default="", item_pattern=ORIGIN_PATTERN, allow_empty=True)

SCHEMAS = Path(__file__).resolve().parent / "schemas"
PUT_PROFILE = load_schema(SCHEMAS / "put_profile.json")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_resolver(logger=logger, cors_allowed_origins=CORS_ALLOWED_ORIGINS)
table = boto3.resource("dynamodb").Table(TABLE_NAME)
cognito = boto3.client("cognito-idp")


def _profile(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "userId": item["userId"],
        "displayName": item.get("displayName", ""),
        "bio": item.get("bio", ""),
        "createdAt": item.get("createdAt"),
        "updatedAt": item.get("updatedAt"),
    }


def _read_profile(user_id: str) -> Response[Any]:
    item = table.get_item(Key={"userId": user_id}).get("Item")
    if item is None:
        raise NotFoundError("no profile")
    return json_response(200, _profile(item))


@app.get("/me")
def get_my_profile() -> Response[Any]:
    return _read_profile(current_caller(app).sub)


@app.put("/me")
def put_my_profile() -> Response[Any]:
    caller = current_caller(app)
    body = parse_json_body(app.current_event.raw_event, PUT_PROFILE)
    require_active_user(cognito, USER_POOL_ID, caller)
    now = utc_now_iso()
    names = {"#displayName": "displayName", "#updatedAt": "updatedAt", "#createdAt": "createdAt"}
    values: dict[str, Any] = {":displayName": body["displayName"], ":now": now}
    update = "SET #displayName = :displayName, #updatedAt = :now, #createdAt = if_not_exists(#createdAt, :now)"
    names["#bio"] = "bio"
    if "bio" in body:
        update += ", #bio = :bio"
        values[":bio"] = body["bio"]
    else:
        # PUT replaces the whole profile: an omitted bio is removed.
        update += " REMOVE #bio"
    item = table.update_item(
        Key={"userId": caller.sub},
        UpdateExpression=update,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )["Attributes"]
    if item.get("createdAt") == now:
        metrics.add_metric(name="ProfileCreated", unit=MetricUnit.Count, value=1)
    logger.info("Profile saved")
    return json_response(200, _profile(item))


def _is_current_admin(caller: Caller) -> bool:
    """Whether the user pool says, now, that the caller is enabled and a member of ADMIN_GROUP."""
    if caller.username is None:
        return False
    try:
        user = cognito.admin_get_user(UserPoolId=USER_POOL_ID, Username=caller.username)
        if not user.get("Enabled", False):
            return False
        token: dict[str, str] = {}
        while True:
            page = cognito.admin_list_groups_for_user(
                UserPoolId=USER_POOL_ID, Username=caller.username, Limit=60, **token
            )
            if any(group.get("GroupName") == ADMIN_GROUP for group in page.get("Groups", [])):
                return True
            if not page.get("NextToken"):
                return False
            token = {"NextToken": page["NextToken"]}
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
            return False
        raise


@app.get("/profiles/<userId>")
def get_profile(userId: str) -> Response[Any]:
    # Authorize before looking at the path: non-admins learn nothing about it.
    caller = current_caller(app)
    if not caller.groups.may_include(ADMIN_GROUP):
        raise ForbiddenError("caller's group claim does not name the admin group")
    if not _is_current_admin(caller):
        raise ForbiddenError("caller is not a current member of the admin group")
    if not is_valid_sub(userId):
        raise NotFoundError("malformed user id")
    logger.info("Admin profile read")
    return _read_profile(userId)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
