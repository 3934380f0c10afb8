"""One handler measurement in a fresh interpreter, the way the handler tests run them.

    python -m bench._handler_child cold profiles      # import lambdas/profiles/app.py (a cold start's import)
    python -m bench._handler_child cold profiles 200  # the same, then 200 direct invocations against moto, after a warm-up
    python -m bench._handler_child quick 3            # every handler in turn in this one process, 3 invocations each

Uses the handler tests' helpers (tests/lambdas/lambda_helpers.py: the event builder, the Lambda
context, and the tests' one loader, tests/handler_loader.py) and their environment (fake credentials, moto's mock_aws). Prints one line
``BENCH-RESULT {json}``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
RESULT_PREFIX = "BENCH-RESULT "


def _environment(name: str) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_REGION": "eu-west-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "SecureServerlessKit",
            "POWERTOOLS_SERVICE_NAME": name,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    sys.dont_write_bytecode = True  # lambdas/<name>/ are deployment assets
    for path in (ROOT / "lambdas" / "common" / "python", ROOT / "tests", ROOT / "tests" / "lambdas"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def _cold(name: str, requests: int) -> dict[str, Any]:
    """The cold import; then, when ``requests``, that many warm invocations of the module just imported."""
    _environment(name)
    from moto import mock_aws

    from lambda_helpers import load_function_module, make_function, service_environment

    with mock_aws():  # the function reads its environment at import
        # The set-up calls go through the tests' shared session (tests/moto_support.py), so the
        # import below builds boto3's default session and loads its service models, as a cold start does.
        _apply(service_environment(name))
        started = time.perf_counter()
        module = load_function_module(name)
        result: dict[str, Any] = {"seconds": time.perf_counter() - started}
        if requests:
            result["warm"] = _warm(name, make_function(module, name), requests)
        return result


def _apply(environment: dict[str, str | None]) -> None:
    for key, value in environment.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _request(name: str, function: Any) -> dict[str, Any]:
    """A read that reaches DynamoDB, set up so it finds (or, for files, looks up) an item."""
    from lambda_helpers import build_event, read_event_file

    if name == "profiles":
        function.call(build_event("PUT", "/me", body=read_event_file("put_profile_body.json")))
        return cast(dict[str, Any], build_event("GET", "/me"))
    if name == "notes":
        created = function.call(build_event("POST", "/notes", body=read_event_file("create_note_body.json")))
        note_id = created.body["noteId"]
        return cast(dict[str, Any], build_event("GET", f"/notes/{note_id}", path_params={"noteId": note_id}))
    file_id = "0190f0c2-7a6b-7c3d-8e4f-a1b2c3d4e5f6"
    return cast(dict[str, Any], build_event("GET", f"/files/{file_id}", path_params={"fileId": file_id}))


def _warm(name: str, function: Any, requests: int) -> dict[str, Any]:
    event = _request(name, function)
    statuses = {function.call(event).status}  # warm-up: the first call creates the clients' connections
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        statuses.add(function.call(event).status)
        times.append(time.perf_counter() - started)
    return {"seconds": times, "statuses": sorted(statuses)}


def main(argv: list[str]) -> int:
    if argv[:1] == ["cold"] and len(argv) in (2, 3):
        result = _cold(argv[1], int(argv[2]) if len(argv) == 3 else 0)
    elif argv[:1] == ["quick"] and len(argv) == 2:
        # A smoke run's figures (bench --quick): only the first import is cold, the others find
        # boto3, Powertools and moto already imported; one interpreter instead of three.
        from .handlers import HANDLERS

        result = {name: _cold(name, int(argv[1])) for name in HANDLERS}
    else:
        print("usage: python -m bench._handler_child cold NAME [REQUESTS] | quick REQUESTS", file=sys.stderr)
        return 2
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
