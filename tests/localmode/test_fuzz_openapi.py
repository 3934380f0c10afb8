"""Property-based fuzzing of the local stack from the OpenAPI its models define (issue 25).

``localmode.openapi`` exports the document from the synthesized template; schemathesis (pinned
in requirements-dev.txt) generates requests from it, valid ones (positive) and ones the models
forbid (negative), for every operation, and each goes through the local gateway (WAF rules,
throttling, Cognito authorizer, request validator) to the functions. Two properties:

- no request gets a 5xx: every refusal is a 4xx the API chose, never a crash;
- no request whose body the operation's model forbids (checked with jsonschema's draft-04
  validator, independently of the gateway's) is accepted (2xx).

Bounded: ``EXAMPLES`` cases per operation and mode, derandomized (the same cases every run, so CI
is not flaky), each request with a 30-s timeout; the run's figures (requests, seconds) are printed.
The bound is asserted as a number of requests, not as a time: speed is measured by ``make bench``,
and a wall-clock limit failed on a loaded machine with nothing wrong. Each case comes from a client
address of its own (the local gateway's trusted client-address header), so the web ACL's per-IP
rate rules do not turn the run into 403s.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections import Counter
from typing import Any

import pytest

from localmode import CLIENT_IP_HEADER, LocalEnvironment
from localmode.openapi import openapi_document
from localmode.scenarios import Demo

schemathesis = pytest.importorskip("schemathesis")
jsonschema = pytest.importorskip("jsonschema")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.core import NOT_SET  # noqa: E402

pytestmark = pytest.mark.fuzz

#: Cases per operation and generation mode (11 operations; negative cases where a value can break
#: the model: a body, or a parameter that is not a plain string).
EXAMPLES = 20
FUZZ_USER = "fuzz@example.com"


def _service_template(env: LocalEnvironment) -> dict[str, Any]:
    template: dict[str, Any] = env.service.template
    return template


def _forbidden_body(operation: dict[str, Any], case: Any) -> str | None:
    """Why the case's body breaks the operation's model (None when it does not, or has no model)."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return None
    body = case.body
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return "the body is not JSON"
    if body is NOT_SET or body is None:
        return "no body"
    error = jsonschema.exceptions.best_match(jsonschema.Draft4Validator(schema).iter_errors(body))
    return None if error is None else error.message


def _without_security(document: dict[str, Any]) -> dict[str, Any]:
    copied = json.loads(json.dumps(document))
    for path in copied["paths"].values():
        for operation in path.values():
            operation.pop("security", None)
    copied.pop("components", None)
    return copied


def test_fuzzing_the_local_stack_finds_no_5xx_and_no_accepted_forbidden_request(
    local_env: LocalEnvironment, local_demo: Demo
) -> None:
    document = openapi_document(_service_template(local_env))
    assert all("security" in op for path in document["paths"].values() for op in path.values())
    # Every case carries the fuzz user's token: without the security requirements, schemathesis
    # leaves the Authorization header alone (it otherwise sends cases without it; the scenarios
    # no-token, forged-token and others cover those).
    schema = schemathesis.openapi.from_dict(_without_security(document))
    token = local_demo.user(FUZZ_USER).id_token
    base_url = local_env.url.rstrip("/")
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    without_negative: list[str] = []
    clients = iter(ipaddress.ip_network("10.64.0.0/10"))
    next(clients)
    started = time.monotonic()

    def fuzz(operation: Any, spec: dict[str, Any], mode: Any) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            headers = {"Authorization": token, CLIENT_IP_HEADER: str(next(clients))}
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            statuses[response.status_code] += 1
            where = f"{operation.method.upper()} {operation.path} ({mode.value})"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code} for {case.body!r:.200}")
            forbidden = _forbidden_body(spec, case)
            if forbidden is not None and 200 <= response.status_code < 300:
                problems.append(f"{where}: {response.status_code} accepted a body the model forbids: {forbidden}")

        run()

    for result in schema.get_all_operations():
        operation = result.ok()
        spec = document["paths"][operation.path][operation.method.lower()]
        fuzz(operation, spec, schemathesis.GenerationMode.POSITIVE)
        try:
            fuzz(operation, spec, schemathesis.GenerationMode.NEGATIVE)
        except Unsatisfiable:  # only string path parameters: no value breaks the model
            without_negative.append(f"{operation.method.upper()} {operation.path}")
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print(f"fuzzing: {total} requests in {elapsed:.1f} s, statuses {dict(sorted(statuses.items()))}")
    print(f"no negative case possible: {without_negative}")
    assert problems == []
    assert total >= len(document["paths"]) * EXAMPLES  # the run really sent requests (6 paths, 11 operations)
    assert any(200 <= status < 300 for status in statuses)  # and valid ones got through
    operations = sum(len(path) for path in document["paths"].values())
    assert total <= operations * 2 * EXAMPLES  # bounded: at most EXAMPLES per operation and mode
