"""Fixtures of the handler tests: moto-backed AWS, freshly loaded functions, Lambda context.

Functions read their environment at import, so each test loads a fresh module (under a
distinct name, since every function folder has an `app.py`) inside an active moto mock.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

# Fake credentials and region, no X-Ray: set before any handler or boto3 client exists.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SecureServerlessKit",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
)
os.environ.pop("AWS_PROFILE", None)
# lambdas/<name>/ and lambdas/common/ are deployment assets: keep __pycache__ out of them.
sys.dont_write_bytecode = True

_HERE = Path(__file__).resolve().parent
_COMMON_LAYER = _HERE.parents[1] / "lambdas" / "common" / "python"
for _path in (_COMMON_LAYER, _HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from lambda_helpers import (  # noqa: E402
    ADMIN,
    FILES_BUCKET,
    FILES_TABLE,
    IDEMPOTENCY_TABLE,
    NOTES_TABLE,
    OBJECT_PREFIX,
    PROFILES_TABLE,
    USER_A,
    USER_B,
    FakeLambdaContext,
    Function,
    load_function_module,
    make_function,
)


def pytest_configure(config: pytest.Config) -> None:
    # Read-only routes add no business metric and Powertools warns about that on every call.
    config.addinivalue_line("filterwarnings", "ignore:No application metrics to publish:UserWarning")


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def load_function(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """Load `lambdas/<name>/app.py` with extra environment (a None value unsets the variable)."""
    loaded: list[str] = []

    def load(name: str, **env: str | None) -> ModuleType:
        for key, value in env.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        loaded.append(f"{name}_app")
        return load_function_module(name)

    yield load
    for module_name in loaded:
        sys.modules.pop(module_name, None)


# Created after moto is imported, so its clients carry moto's request hook.
_BOTO3_SESSION = boto3.Session()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        # moto gives boto3 a fresh default session per mock, which re-parses every service model
        # (most of a test's time). Reusing one session keeps the parsed models; every call still
        # goes to moto, whose state is fresh for each test.
        boto3.DEFAULT_SESSION = _BOTO3_SESSION
        yield


def create_table(name: str, partition: str, sort: str | None = None) -> None:
    key_schema = [{"AttributeName": partition, "KeyType": "HASH"}]
    attributes = [{"AttributeName": partition, "AttributeType": "S"}]
    if sort:
        key_schema.append({"AttributeName": sort, "KeyType": "RANGE"})
        attributes.append({"AttributeName": sort, "AttributeType": "S"})
    boto3.client("dynamodb").create_table(
        TableName=name, KeySchema=key_schema, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST"
    )


def create_user_pool() -> str:
    """A user pool in moto with the contract's admin group; ADMIN is in it, USER_A and USER_B are not."""
    cognito = boto3.client("cognito-idp")
    pool_id: str = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    cognito.create_group(UserPoolId=pool_id, GroupName="admins")
    for user in (ADMIN, USER_A, USER_B):
        cognito.admin_create_user(UserPoolId=pool_id, Username=user)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=ADMIN, GroupName="admins")
    return pool_id


@pytest.fixture
def profiles_env(aws: None) -> dict[str, str | None]:
    create_table(PROFILES_TABLE, "userId")
    return {
        "TABLE_NAME": PROFILES_TABLE,
        "POWERTOOLS_SERVICE_NAME": "profiles",
        "ADMIN_GROUP": "admins",
        "USER_POOL_ID": create_user_pool(),
    }


@pytest.fixture
def notes_env(aws: None) -> dict[str, str | None]:
    create_table(NOTES_TABLE, "ownerId", "noteId")
    create_table(IDEMPOTENCY_TABLE, "id")
    return {
        "TABLE_NAME": NOTES_TABLE,
        "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
        "POWERTOOLS_SERVICE_NAME": "notes",
        "MAX_PAGE_SIZE": None,
    }


@pytest.fixture
def files_env(aws: None) -> dict[str, str | None]:
    create_table(FILES_TABLE, "ownerId", "fileId")
    create_table(IDEMPOTENCY_TABLE, "id")
    boto3.client("s3").create_bucket(Bucket=FILES_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return {
        "TABLE_NAME": FILES_TABLE,
        "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
        "POWERTOOLS_SERVICE_NAME": "files",
        "BUCKET_NAME": FILES_BUCKET,
        "OBJECT_PREFIX": OBJECT_PREFIX,
        "MAX_UPLOAD_BYTES": None,
        "ALLOWED_CONTENT_TYPES": None,
        "URL_EXPIRY_SECONDS": None,
    }


@pytest.fixture
def profiles(profiles_env: dict[str, str | None], load_function: Callable[..., ModuleType]) -> Function:
    return make_function(load_function("profiles", **profiles_env), "profiles")


@pytest.fixture
def notes(notes_env: dict[str, str | None], load_function: Callable[..., ModuleType]) -> Function:
    return make_function(load_function("notes", **notes_env), "notes")


@pytest.fixture
def files(files_env: dict[str, str | None], load_function: Callable[..., ModuleType]) -> Function:
    return make_function(load_function("files", **files_env), "files")
