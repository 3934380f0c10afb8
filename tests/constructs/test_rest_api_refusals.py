"""SecureRestApi refusals (each invalid option or route, the synth-time authorizer check) and cdk-nag.

The default API and each option are tested in test_rest_api.py; these tests synthesize their own apps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs

from cdk_support import nag_report, new_app, open_findings
from rest_api_support import (
    CODE,
    NO_WAF_REASON,
    NOTE_SCHEMA,
    OPEN_REASON,
    ORIGINS,
    SHORT_LOGS_REASON,
    add_notes_routes,
    handler,
    synthesize,
)
from secure_serverless import ConfigurationError, Invocation, SecureFunction, SecureRestApi, SecureUserPool


# ---------------------------------------------------------------- refusals
def new_api(**options: Any) -> SecureRestApi:
    stack = cdk.Stack(new_app(), "Test")
    pool = cognito.UserPool(stack, "Pool")
    return SecureRestApi(stack, "Api", user_pool=pool, **options)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"throttle_rate_limit": 0}, "throttle_rate_limit=0: must be a number of requests per second above 0"),
        ({"throttle_rate_limit": -5}, "throttle_rate_limit=-5: must be a number"),
        ({"throttle_burst_limit": -1}, "throttle_burst_limit=-1: must be a whole number of requests, at least 1"),
        ({"throttle_burst_limit": 0}, "throttle_burst_limit=0:"),
        ({"cors_allowed_origins": ["app.example.com"]}, "cors_allowed_origins='app.example.com': use an origin like"),
        ({"cors_allowed_origins": ["https://*.example.com"]}, "cors_allowed_origins='https://*.example.com': wildcard"),
        ({"cors_allowed_origins": ["*"]}, "cors_allowed_origins='*': wildcard origins"),
        ({"cors_allowed_origins": ["http://app.example.com"]}, "cors_allowed_origins='http://app.example.com'"),
        ({"cors_allowed_origins": "https://app.example.com"}, "give a list of origins"),
        ({"waf": False}, "waf=False: leaves the stage without a web ACL (APIG3); pass no_waf_reason="),
        ({"waf": False, "no_waf_reason": "because"}, "waf=False: leaves the stage without a web ACL"),
        ({"no_waf_reason": NO_WAF_REASON}, "only applies with waf=False; remove it"),
        ({"waf_rate_limit": 99}, "waf_rate_limit=99: must be a number between 100 and 2e+09"),
        ({"waf_unauthenticated_rate_limit": 5}, "waf_unauthenticated_rate_limit=5: must be a number between 10"),
        (
            {"waf_rate_limit": 500, "waf_unauthenticated_rate_limit": 500},
            "waf_unauthenticated_rate_limit=500: must be below waf_rate_limit (500)",
        ),
        ({"waf_token_rate_limit": 5}, "waf_token_rate_limit=5: must be a number between 10"),
        ({"waf_token_rate_limit": 100}, "waf_token_rate_limit=100: must be below throttle_burst_limit (100)"),
        (
            {"throttle_burst_limit": 10, "throttle_rate_limit": 5, "waf_token_rate_limit": 10},
            "waf_token_rate_limit=10: must be below throttle_burst_limit (10)",
        ),
        ({"max_body_bytes": 70_000}, "max_body_bytes=70000: must be a number between 8192 and 65536 bytes"),
        ({"max_body_bytes": 1024}, "max_body_bytes=1024: must be a number between 8192"),
        ({"stage_name": "prod stage"}, "stage_name='prod stage': use 1-128 letters"),
        ({"log_retention": logs.RetentionDays.ONE_WEEK}, "is shorter than 365 days; pass short_log_retention_reason="),
        ({"log_retention": 45}, "log_retention=45: use a logs.RetentionDays member"),
    ],
)
def test_refuses_an_invalid_option(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(expected)):
        new_api(**options)


def test_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        new_api(throttle_rate_limit=0, throttle_burst_limit=-1, cors_allowed_origins=["*"], waf=False)
    assert error.value.construct_path == "Test/Api"
    assert [problem.split("=", 1)[0] for problem in error.value.problems] == [
        "throttle_rate_limit",
        "throttle_burst_limit",
        "cors_allowed_origins",
        "waf",
    ]


@pytest.mark.parametrize(
    ("method", "path", "options", "expected"),
    [
        ("FETCH", "/notes", {}, "method='FETCH': must be one of GET, POST, PUT, PATCH, DELETE, HEAD"),
        ("ANY", "/notes", {}, "method='ANY': must be one of"),
        ("OPTIONS", "/notes", {}, "method='OPTIONS': must be one of"),
        ("GET", "notes", {}, "path='notes': must start with '/'"),
        ("GET", "/notes/", {}, "segment '' is malformed"),
        ("GET", "/notes//x", {}, "segment '' is malformed"),
        ("GET", "/notes/{note id}", {}, "segment '{note id}' is malformed"),
        ("GET", "/notes/{noteId", {}, "segment '{noteId' is malformed"),
        ("GET", "/files/{key+}/meta", {}, "greedy segment '{key+}' must be the last one"),
        ("GET", "/a/{id}/b/{id}", {}, "path parameter 'id' appears twice"),
        ("GET", "/notes", {"request_schema": NOTE_SCHEMA}, "request_schema='...': GET requests carry no body"),
        ("DELETE", "/notes", {"request_schema": NOTE_SCHEMA}, "DELETE requests carry no body"),
        ("POST", "/notes", {"request_schema": {"properties": {}}}, 'give a JSON-schema object with a "type"'),
        ("POST", "/notes", {"request_schema": "note.json"}, 'give a JSON-schema object with a "type"'),
        (
            "POST",
            "/notes",
            {"request_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}},
            "draft-04 only",
        ),
        (
            "GET",
            "/health",
            {"open_without_authorization_reason": "public"},
            "open_without_authorization_reason='public'",
        ),
        (
            "GET",
            "/health",
            {"open_without_authorization_reason": OPEN_REASON, "authorization_scopes": ["a/b"]},
            "authorization_scopes=['a/b']: an open route checks no token",
        ),
        ("GET", "/notes", {"authorization_scopes": ["notes read"]}, "authorization_scopes=['notes read']"),
        ("GET", "/notes", {"request_parameters": {"limit": False}}, "request_parameters=['limit']"),
    ],
)
def test_add_route_refuses_an_invalid_route(method: str, path: str, options: dict[str, Any], expected: str) -> None:
    api = new_api()
    fn = handler(cdk.Stack.of(api))
    with pytest.raises(ConfigurationError, match=re.escape(expected)) as error:
        api.add_route(method, path, fn, **options)
    assert error.value.construct_path == f"Test/Api {method} {path}"


def test_add_route_refuses_a_duplicate_route_and_reports_every_problem_at_once() -> None:
    api = new_api()
    fn = handler(cdk.Stack.of(api))
    api.add_route("POST", "/notes", fn, request_schema=NOTE_SCHEMA)
    with pytest.raises(ConfigurationError) as error:
        api.add_route("post", "/notes", fn, request_schema={"title": "no type"}, request_parameters={"x": True})
    assert error.value.construct_path == "Test/Api POST /notes"
    assert len(error.value.problems) == 3
    assert "this route exists already" in error.value.problems[0]


def test_synth_fails_for_a_method_added_without_the_authorizer(tmp_path: Path) -> None:
    def build(stack: cdk.Stack, made: dict[str, Any]) -> None:
        api = SecureRestApi(stack, "Api", user_pool=cognito.UserPool(stack, "Pool"), cors_allowed_origins=ORIGINS)
        fn = handler(stack)
        api.add_route("GET", "/notes", fn)  # its CORS preflight is exempt
        raw = api.api.root.add_resource("raw")
        raw.add_method("GET", apigateway.LambdaIntegration(fn))
        raw.add_method("POST", apigateway.LambdaIntegration(fn), authorizer=api.authorizer)
        raw.add_method("OPTIONS", apigateway.LambdaIntegration(fn))  # not a preflight: reaches a function

    with pytest.raises(RuntimeError) as error:
        synthesize(tmp_path, build)
    message = str(error.value)
    assert "method GET /raw has no Cognito authorizer" in message
    assert "method OPTIONS /raw has no Cognito authorizer" in message
    assert "open_without_authorization_reason" in message
    assert "POST /raw" not in message and "/notes" not in message


# ---------------------------------------------------------------- cdk-nag
def nag_apis(stack: cdk.Stack, apis: dict[str, dict[str, Any]], *, open_route: bool = False) -> None:
    """A SecureUserPool, a SecureFunction, and one SecureRestApi per entry of ``apis``."""
    users = SecureUserPool(stack, "Users")
    fn = SecureFunction(stack, "Notes", code=CODE, handler="index.handler", invocation=Invocation.SYNCHRONOUS)
    for name, api_options in apis.items():
        api = SecureRestApi(stack, name, user_pool=users.user_pool, **api_options)
        add_notes_routes(api, fn.function)
        if open_route:
            api.add_route("GET", "/health", fn.function, open_without_authorization_reason=OPEN_REASON)


@pytest.mark.slow
def test_nag_default_api_has_no_open_findings_and_acknowledges_nothing(tmp_path: Path) -> None:
    report = nag_report(
        lambda stack: nag_apis(stack, {"Api": {}, "CorsApi": {"cors_allowed_origins": ORIGINS}}), tmp_path
    )
    assert report.packs, "the packs ran"
    assert report.findings == [], open_findings(report)
    assert [a for a in report.acknowledged if a.path.startswith(("Test/Api/", "Test/CorsApi/"))] == []


@pytest.mark.slow
def test_nag_weakened_api_records_exactly_the_findings_it_triggers(tmp_path: Path) -> None:
    weakened = {
        "waf": False,
        "no_waf_reason": NO_WAF_REASON,
        "log_retention": logs.RetentionDays.ONE_MONTH,
        "short_log_retention_reason": SHORT_LOGS_REASON,
    }
    report = nag_report(lambda stack: nag_apis(stack, {"Api": weakened}, open_route=True), tmp_path)
    assert report.findings == [], open_findings(report)
    open_reason = f"GET /health is public on purpose: {OPEN_REASON}"
    assert sorted((a.rule, a.path, a.reason) for a in report.acknowledged if a.path.startswith("Test/Api/")) == [
        (
            "AwsSolutions-APIG3",
            "Test/Api/Resource/DeploymentStage.prod/Resource",
            f"No WAF web ACL on this stage: {NO_WAF_REASON}",
        ),
        ("AwsSolutions-APIG4", "Test/Api/Resource/Default/health/GET/Resource", open_reason),
        ("AwsSolutions-COG4", "Test/Api/Resource/Default/health/GET/Resource", open_reason),
    ]
    assert re.search(r"SecureServerless-ShortLogRetention", (tmp_path / "Test.metadata.json").read_text())
