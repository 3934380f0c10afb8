"""Helpers of the handler tests: identities, the event builder, the Lambda context, loading.

Kept out of conftest.py so test modules can import them by a name no other test folder uses.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from handler_loader import load_handler

EVENTS = Path(__file__).resolve().parent / "events"

USER_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa"
USER_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb"
ADMIN = "cccccccc-3333-4333-8333-cccccccccccc"
# Values present in every event that must never reach a log line.
TOKEN_IN_EVENTS = "eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLW5ldmVyLWxvZ2dlZA"
EMAIL_IN_EVENTS = "user-a@example.com"

PROFILES_TABLE = "profiles-table"
NOTES_TABLE = "notes-table"
FILES_TABLE = "files-table"
IDEMPOTENCY_TABLE = "idempotency-table"
FILES_BUCKET = "files-bucket-test"
OBJECT_PREFIX = "files/"

GENERIC_MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable request",
    500: "Internal server error",
}

_UNSET: Any = object()


def read_event_file(name: str) -> Any:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


@dataclass
class FakeLambdaContext:
    """The attributes of the Lambda context that Powertools reads."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2025/11/28/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def build_event(
    method: str,
    path: str,
    *,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = _UNSET,
    sub: str | None = USER_A,
    groups: str | None = None,
    claims: Any = _UNSET,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A REST API (v1) proxy event built from events/rest_api_request.json.

    `body`: a dict or list is JSON-encoded, a str is sent as is. `sub=None` drops the sub claim,
    `claims=None` drops the authorizer, `claims={...}` replaces all claims.
    """
    event = copy.deepcopy(read_event_file("rest_api_request.json"))
    resource = path
    for name, value in (path_params or {}).items():
        resource = resource.replace(value, "{" + name + "}")
    event.update(
        httpMethod=method,
        path=path,
        resource=resource,
        pathParameters=path_params,
        queryStringParameters=query,
        multiValueQueryStringParameters={key: [value] for key, value in query.items()} if query else None,
    )
    request_context = event["requestContext"]
    request_context.update(httpMethod=method, resourcePath=resource, path=f"/prod{path}", requestId=str(uuid.uuid4()))
    if claims is None:
        del request_context["authorizer"]
    elif claims is not _UNSET:
        request_context["authorizer"]["claims"] = claims
    else:
        event_claims = request_context["authorizer"]["claims"]
        if sub is None:
            del event_claims["sub"]
        else:
            event_claims["sub"] = sub
            # The pool signs users in by e-mail, so each user name is a generated id; the tests'
            # users (tests/lambdas/conftest.py) are named by their sub.
            event_claims["cognito:username"] = sub
        if groups is not None:
            event_claims["cognito:groups"] = groups
    if headers:
        event["headers"].update(headers)
    if body is not _UNSET:
        text = body if isinstance(body, str) else json.dumps(body)
        if base64_body:
            text = base64.b64encode(text.encode("utf-8")).decode("ascii")
        event["body"] = text
        event["isBase64Encoded"] = base64_body
    return event


@dataclass
class ApiResult:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Function:
    """A loaded function module, called like API Gateway calls it, and its captured logs."""

    module: ModuleType
    context: FakeLambdaContext
    log_buffer: io.StringIO

    def call(self, event: dict[str, Any]) -> ApiResult:
        response = self.module.handler(event, self.context)
        body = response.get("body")
        headers = dict(response.get("headers") or {})
        # The REST resolver answers with multiValueHeaders.
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        return ApiResult(status=response["statusCode"], body=json.loads(body) if body else None, headers=headers)

    def logs(self) -> str:
        """Everything the function logged so far."""
        return self.log_buffer.getvalue()

    def log_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs().splitlines() if line.strip()]


def make_function(module: ModuleType, function_name: str) -> Function:
    return Function(module=module, context=FakeLambdaContext(function_name), log_buffer=capture_logs(module))


def load_function_module(name: str) -> ModuleType:
    """Import lambdas/<name>/app.py as module `<name>_app` (the tests' one loader, tests/handler_loader.py)."""
    return load_handler(name)


def capture_logs(module: ModuleType) -> io.StringIO:
    """Send the function's JSON log lines (exactly as Lambda would print them) to a buffer.

    Powertools configures a service's handler once per process, bound to the stdout of that
    moment, which pytest replaces per test; a buffer of our own is deterministic.
    """
    buffer = io.StringIO()
    module.logger.registered_handler.stream = buffer
    return buffer


def assert_generic_error(result: ApiResult, status: int, event: dict[str, Any]) -> None:
    """The error contract: the status, a fixed message and the request's correlation id, nothing else."""
    assert result.status == status, result.body
    assert result.body == {
        "message": GENERIC_MESSAGES[status],
        "correlationId": event["requestContext"]["requestId"],
    }
    assert result.headers["Cache-Control"] == "no-store"


def emitted_metrics(captured_out: str) -> list[str]:
    """Names of the metrics in the EMF blobs of captured stdout."""
    names = []
    for line in captured_out.splitlines():
        line = line.strip()
        if line.startswith("{") and '"_aws"' in line:
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                names.extend(metric["Name"] for metric in directive["Metrics"])
    return names


#: A well-formed id (UUID v7) that no test creates: fixed, so test ids are the same in every
#: pytest-xdist worker.
UNKNOWN_ID = "0190f0c2-7a6b-7c3d-8e4f-a1b2c3d4e5f6"


# ---------------------------------------------------------------- moto resources of each function
# (used by the handler tests' fixtures and by the benchmark's handler child: one definition)
def create_table(name: str, partition: str, sort: str | None = None, *, client: Any = None) -> None:
    from moto_support import shared_client

    key_schema = [{"AttributeName": partition, "KeyType": "HASH"}]
    attributes = [{"AttributeName": partition, "AttributeType": "S"}]
    if sort:
        key_schema.append({"AttributeName": sort, "KeyType": "RANGE"})
        attributes.append({"AttributeName": sort, "AttributeType": "S"})
    (client or shared_client("dynamodb")).create_table(
        TableName=name, KeySchema=key_schema, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST"
    )


def create_user_pool() -> str:
    """A user pool in moto with the contract's admin group; ADMIN is in it, USER_A and USER_B are not."""
    from moto_support import shared_client

    cognito = shared_client("cognito-idp")
    pool_id: str = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    cognito.create_group(UserPoolId=pool_id, GroupName="admins")
    for user in (ADMIN, USER_A, USER_B):
        cognito.admin_create_user(UserPoolId=pool_id, Username=user)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=ADMIN, GroupName="admins")
    return pool_id


def service_environment(name: str) -> dict[str, str | None]:
    """Create, in an active moto mock, what function ``name`` needs; return its environment (None unsets)."""
    from moto_support import shared_client

    dynamodb = shared_client("dynamodb")
    if name == "profiles":
        create_table(PROFILES_TABLE, "userId", client=dynamodb)
        return {
            "TABLE_NAME": PROFILES_TABLE,
            "POWERTOOLS_SERVICE_NAME": "profiles",
            "ADMIN_GROUP": "admins",
            "USER_POOL_ID": create_user_pool(),
        }
    if name == "notes":
        create_table(NOTES_TABLE, "ownerId", "noteId", client=dynamodb)
        create_table(IDEMPOTENCY_TABLE, "id", client=dynamodb)
        return {
            "TABLE_NAME": NOTES_TABLE,
            "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
            "POWERTOOLS_SERVICE_NAME": "notes",
            "MAX_PAGE_SIZE": None,
            "USER_POOL_ID": create_user_pool(),
        }
    if name == "files":
        create_table(FILES_TABLE, "ownerId", "fileId", client=dynamodb)
        create_table(IDEMPOTENCY_TABLE, "id", client=dynamodb)
        shared_client("s3").create_bucket(
            Bucket=FILES_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        return {
            "TABLE_NAME": FILES_TABLE,
            "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
            "POWERTOOLS_SERVICE_NAME": "files",
            "BUCKET_NAME": FILES_BUCKET,
            "OBJECT_PREFIX": OBJECT_PREFIX,
            "MAX_UPLOAD_BYTES": None,
            "ALLOWED_CONTENT_TYPES": None,
            "URL_EXPIRY_SECONDS": None,
            "MAX_PENDING_UPLOADS": None,
            "USER_QUOTA_BYTES": None,
            "USER_POOL_ID": create_user_pool(),
        }
    raise ValueError(f"unknown function {name!r}; expected profiles, notes or files")
