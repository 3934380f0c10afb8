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

_HERE = Path(__file__).resolve().parent
_COMMON_LAYER = _HERE.parents[1] / "lambdas" / "common" / "python"
for _path in (_COMMON_LAYER, _HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import pytest  # noqa: E402
from moto_support import fresh_aws  # noqa: E402

from lambda_helpers import (  # noqa: E402
    FakeLambdaContext,
    Function,
    load_function_module,
    make_function,
    service_environment,
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


@pytest.fixture
def aws() -> Iterator[None]:
    with fresh_aws():  # fresh moto state per test (tests/moto_support.py)
        yield


@pytest.fixture
def profiles_env(aws: None) -> dict[str, str | None]:
    return service_environment("profiles")


@pytest.fixture
def notes_env(aws: None) -> dict[str, str | None]:
    return service_environment("notes")


@pytest.fixture
def files_env(aws: None) -> dict[str, str | None]:
    return service_environment("files")


@pytest.fixture
def profiles(profiles_env: dict[str, str | None], load_function: Callable[..., ModuleType]) -> Function:
    return make_function(load_function("profiles", **profiles_env), "profiles")


@pytest.fixture
def notes(notes_env: dict[str, str | None], load_function: Callable[..., ModuleType]) -> Function:
    return make_function(load_function("notes", **notes_env), "notes")


@pytest.fixture
def files(files_env: dict[str, str | None], load_function: Callable[..., ModuleType]) -> Function:
    return make_function(load_function("files", **files_env), "files")
