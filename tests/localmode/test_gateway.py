"""The local API gateway serving the reference app's REAL synthesized NotesService template.

Every expectation is read from the template (routes, models, gateway responses, throttling),
so these tests fail when the gateway stops enforcing what the stack declares.
"""

from __future__ import annotations

import copy
import http.client
import json
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest
from gateway_support import (
    CLIENT_ID,
    ISSUER,
    REST_EVENT_FIXTURE,
    Clock,
    Recorder,
    Tokens,
    gateway,
    gateway_response_body,
    kit_common,
    reference_template,
    resources_of,
)

from localmode.gateway import GatewayResponse, LocalRestApi
from stacks.contract import CONTRACT

pytestmark = pytest.mark.slow  # synthesizes the reference app once (about 6 s)

VALID_NOTE = {"title": "Groceries", "content": "milk, eggs"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return reference_template()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def tokens(clock: Clock) -> Tokens:
    return Tokens(clock)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def api(template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock) -> LocalRestApi:
    return gateway(template, tokens, recorder, clock)


def _stage(template: dict[str, Any]) -> dict[str, Any]:
    (stage,) = resources_of(template, "AWS::ApiGateway::Stage").values()
    return stage["Properties"]


def _route_paths(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, path) of every method, rebuilt from the template's resource tree."""
    resources = resources_of(template, "AWS::ApiGateway::Resource")

    def path_of(value: dict[str, Any]) -> str:
        if "Fn::GetAtt" in value:
            return ""
        props = resources[value["Ref"]]["Properties"]
        return path_of(props["ParentId"]) + "/" + props["PathPart"]

    return {
        (m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"]) or "/")
        for m in resources_of(template, "AWS::ApiGateway::Method").values()
    }


def _assert_gateway_response(
    template: dict[str, Any], response: GatewayResponse, status: int, response_type: str
) -> None:
    request_id = response.headers["x-amzn-RequestId"]
    assert response.status == status
    assert response.json() == gateway_response_body(template, response_type, request_id)


def _post_note(api: LocalRestApi, token: str, body: Any, content_type: str = "application/json") -> GatewayResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.handle("POST", "/notes", {"Authorization": token, "Content-Type": content_type}, raw)


# ---------------------------------------------------------------------------- routes
def test_every_template_route_reaches_its_function(api: LocalRestApi, template: dict[str, Any]) -> None:
    declared = _route_paths(template)
    assert {(r.http_method, r.resource_path) for r in api.routes} == declared
    assert api.stage_name == _stage(template)["StageName"]
    functions = {
        logical_id
        for logical_id in resources_of(template, "AWS::Lambda::Function")
        if any(
            logical_id in json.dumps(m["Properties"]["Integration"]["Uri"])
            for m in resources_of(template, "AWS::ApiGateway::Method").values()
        )
    }
    assert functions and api.function_ids == functions


def test_route_with_path_parameter_invokes_its_function_with_claims(
    api: LocalRestApi, tokens: Tokens, recorder: Recorder
) -> None:
    claims = tokens.claims("id", **{"cognito:groups": ["admins", "editors"]})
    response = api.handle("GET", "/notes/note-123", {"Authorization": tokens.sign(claims)}, None)

    assert response.status == 200
    assert response.json() == {"ok": True}
    function_id, event = recorder.calls[-1]
    assert function_id.startswith("NotesFunction")
    assert event["resource"] == "/notes/{noteId}"
    assert event["path"] == "/notes/note-123"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"noteId": "note-123"}
    context = event["requestContext"]
    assert context["authorizer"]["claims"]["sub"] == claims["sub"]
    assert all(isinstance(v, str) for v in context["authorizer"]["claims"].values())
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["path"] == f"/{api.stage_name}/notes/note-123"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    # The kit's handlers read the caller from exactly these claims.
    caller = kit_common().caller_from_event(event)
    assert caller.sub == claims["sub"]
    # Two groups joined with a comma read as one ambiguous claim (issue 11, finding 1).
    assert caller.groups.names == frozenset({"admins", "editors"}) and caller.groups.ambiguous


def test_event_has_the_shape_of_a_rest_v1_proxy_event(api: LocalRestApi, tokens: Tokens, recorder: Recorder) -> None:
    fixture = json.loads(REST_EVENT_FIXTURE.read_text())
    api.handle("GET", "/notes", {"Authorization": tokens.id_token(), "User-Agent": "pytest"}, None, "limit=5&x=1&x=2")
    event = recorder.last_event

    assert set(event) == set(fixture)
    assert set(fixture["requestContext"]) <= set(event["requestContext"])
    assert set(fixture["requestContext"]["identity"]) <= set(event["requestContext"]["identity"])
    assert event["queryStringParameters"] == {"limit": "5", "x": "2"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "x": ["1", "2"]}
    assert event["pathParameters"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["requestContext"]["identity"]["userAgent"] == "pytest"
    assert event["headers"]["User-Agent"] == "pytest"
    assert event["multiValueHeaders"]["User-Agent"] == ["pytest"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("GET", "/"), ("PATCH", "/notes/abc"), ("POST", "/notes/abc"), ("GET", "/notes/a/b")],
)
def test_unknown_route_or_method_is_missing_authentication_token(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder, method: str, path: str
) -> None:
    response = api.handle(method, path, {"Authorization": tokens.id_token()}, None)

    _assert_gateway_response(template, response, 403, "MISSING_AUTHENTICATION_TOKEN")
    assert response.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    assert recorder.calls == []


# ---------------------------------------------------------------------------- Cognito authorizer
def test_no_token_is_401_and_nothing_runs(api: LocalRestApi, template: dict[str, Any], recorder: Recorder) -> None:
    for headers in ({}, {"Authorization": ""}, {"Authorization": "   "}):
        response = api.handle("GET", "/notes", headers, None)
        _assert_gateway_response(template, response, 401, "UNAUTHORIZED")
    assert recorder.calls == []


def _rejected_tokens(tokens: Tokens) -> dict[str, str]:
    import base64

    forged_claims = tokens.claims("id")
    valid = tokens.sign(forged_claims)
    head, _, signature = valid.split(".")
    tampered_payload = base64.urlsafe_b64encode(json.dumps({**forged_claims, "sub": "someone-else"}).encode()).rstrip(
        b"="
    )
    unsigned_header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"pool-key-1"}').rstrip(b"=").decode()
    return {
        "forged signature": tokens.sign(forged_claims, key=tokens.impostor),
        "tampered payload": f"{head}.{tampered_payload.decode()}.{signature}",
        "alg none": f"{unsigned_header}.{valid.split('.')[1]}.",
        "unknown kid": tokens.sign(forged_claims, header={"kid": "not-in-the-jwks"}),
        "expired": tokens.id_token(exp=int(tokens.clock()) - 1),
        "expires now": tokens.id_token(exp=int(tokens.clock())),
        "no exp": tokens.id_token(exp=None),
        "wrong issuer": tokens.id_token(iss=ISSUER.replace("LocalTest", "Elsewhere")),
        "access token": tokens.access_token(),
        "no token_use": tokens.id_token(token_use=None),
        "wrong audience": tokens.id_token(aud="a-client-of-another-pool"),
        "not a jwt": "hello",
        "jwe-shaped": "a.b.c.d.e",
    }


@pytest.mark.parametrize(
    "case",
    [
        "forged signature",
        "tampered payload",
        "alg none",
        "unknown kid",
        "expired",
        "expires now",
        "no exp",
        "wrong issuer",
        "access token",
        "no token_use",
        "wrong audience",
        "not a jwt",
        "jwe-shaped",
    ],
)
def test_invalid_token_is_401_and_nothing_runs(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder, case: str
) -> None:
    token = _rejected_tokens(tokens)[case]

    response = api.handle("GET", "/notes", {"Authorization": token}, None)

    _assert_gateway_response(template, response, 401, "UNAUTHORIZED")
    assert response.header("x-amzn-ErrorType") == "UnauthorizedException"
    assert recorder.calls == []


def test_token_of_an_unlisted_client_is_401(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    only_other = gateway(template, tokens, recorder, clock, client_ids={"someotherclient"})
    response = only_other.handle("GET", "/notes", {"Authorization": tokens.id_token(aud=CLIENT_ID)}, None)
    assert response.status == 401
    assert recorder.calls == []


def test_token_expires_with_the_clock(api: LocalRestApi, tokens: Tokens, clock: Clock, recorder: Recorder) -> None:
    token = tokens.id_token(exp=int(clock()) + 60)
    assert api.handle("GET", "/notes", {"Authorization": token}, None).status == 200
    clock.advance(61)
    try:
        assert api.handle("GET", "/notes", {"Authorization": token}, None).status == 401
    finally:
        clock.advance(-61)
    assert len(recorder.calls) == 1


def test_bearer_prefix_is_accepted_like_api_gateway(api: LocalRestApi, tokens: Tokens, recorder: Recorder) -> None:
    response = api.handle("GET", "/me", {"authorization": f"Bearer {tokens.id_token()}"}, None)
    assert response.status == 200
    assert recorder.calls[-1][0].startswith("ProfilesFunction")


# ---------------------------------------------------------------------------- request validation
@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("missing required property", {"title": "no content"}),
        ("extra property", {**VALID_NOTE, "owner": "someone-else"}),
        ("wrong type", {"title": 42, "content": "x"}),
        ("control character", {"title": "bad\u0007title", "content": "x"}),
        ("not an object", ["a", "list"]),
        ("malformed JSON", b'{"title": "x", "content": '),
        ("NaN", b'{"title": "x", "content": NaN}'),
        ("empty body", b""),
        ("not UTF-8", b'{"title": "\xff", "content": "x"}'),
    ],
)
def test_invalid_body_is_400_and_nothing_runs(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder, case: str, body: Any
) -> None:
    response = _post_note(api, tokens.id_token(), body)

    _assert_gateway_response(template, response, 400, "BAD_REQUEST_BODY")
    assert recorder.calls == []


def test_valid_body_reaches_the_function_as_a_string(api: LocalRestApi, tokens: Tokens, recorder: Recorder) -> None:
    response = _post_note(api, tokens.id_token(), VALID_NOTE, "application/json; charset=utf-8")

    assert response.status == 200
    assert json.loads(recorder.last_event["body"]) == VALID_NOTE
    assert recorder.last_event["isBase64Encoded"] is False


def test_body_is_validated_only_against_the_model_of_its_content_type(
    api: LocalRestApi, tokens: Tokens, recorder: Recorder
) -> None:
    """As in AWS: no model for text/plain, so no validation; the handler validates again."""
    response = _post_note(api, tokens.id_token(), {"owner": "x"}, "text/plain")
    assert response.status == 200
    assert len(recorder.calls) == 1


def test_validation_follows_the_template_models(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    changed = copy.deepcopy(template)
    for model in resources_of(changed, "AWS::ApiGateway::Model").values():
        if model["Properties"]["Description"] == "Body of POST /notes":
            model["Properties"]["Schema"]["required"].append("tags")
            model["Properties"]["Schema"]["properties"]["tags"] = {"type": "array"}
    stricter = gateway(changed, tokens, recorder, clock)

    assert _post_note(stricter, tokens.id_token(), VALID_NOTE).status == 400
    assert _post_note(stricter, tokens.id_token(), {**VALID_NOTE, "tags": []}).status == 200


def test_authorizer_runs_before_validation(api: LocalRestApi, template: dict[str, Any]) -> None:
    response = api.handle("POST", "/notes", {"Content-Type": "application/json"}, b"not json")
    _assert_gateway_response(template, response, 401, "UNAUTHORIZED")


# ---------------------------------------------------------------------------- WAF and size limits
def test_body_over_the_web_acls_limit_is_blocked_by_the_stage_web_acl(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder
) -> None:
    assert resources_of(template, "AWS::WAFv2::WebACLAssociation"), "the reference stage has a web ACL"
    limit = CONTRACT.max_body_bytes  # the web ACL's BodySizeLimit rule (issue 11, finding 2)
    big = json.dumps({"title": "big", "content": "x" * limit}).encode()
    response = _post_note(api, tokens.id_token(), big)

    _assert_gateway_response(template, response, 403, "WAF_FILTERED")
    assert response.header("x-amzn-ErrorType") == "ForbiddenException"
    assert recorder.calls == []
    # Just under the limit passes the WAF (and then fails the model's maxLength: 400, not 403).
    fits = json.dumps({"title": "big", "content": "x" * (limit - 100)}).encode()
    assert len(fits) <= limit
    assert _post_note(api, tokens.id_token(), fits).status == 400


def test_without_a_web_acl_the_gateway_limit_applies(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    no_waf = copy.deepcopy(template)
    for logical_id in resources_of(no_waf, "AWS::WAFv2::WebACLAssociation"):
        del no_waf["Resources"][logical_id]
    api = gateway(no_waf, tokens, recorder, clock)

    medium = json.dumps({"title": "t", "content": "x" * 7000} | {"pad": "y" * 2000}).encode()
    assert len(medium) > 8192
    assert _post_note(api, tokens.id_token(), medium).status == 400  # reached validation: no WAF
    huge = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    response = _post_note(api, tokens.id_token(), huge)
    _assert_gateway_response(template, response, 413, "REQUEST_TOO_LARGE")
    assert recorder.calls == []


# ---------------------------------------------------------------------------- throttling
def test_stage_throttling_allows_the_burst_then_429(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    (settings,) = _stage(template)["MethodSettings"]
    burst, rate = settings["ThrottlingBurstLimit"], settings["ThrottlingRateLimit"]
    api = gateway(template, tokens, recorder, clock)
    headers = {"Authorization": tokens.id_token()}
    # Each request from an address of its own: the web ACL's per-IP rules stay out of the way.
    statuses = [
        api.handle_request("GET", "/notes", list(headers.items()), None, source_ip=client(i)).status
        for i in range(burst)
    ]
    assert statuses == [200] * burst
    throttled = api.handle_request("GET", "/notes", list(headers.items()), None, source_ip=client(burst))
    _assert_gateway_response(template, throttled, 429, "THROTTLED")
    assert throttled.header("x-amzn-ErrorType") == "TooManyRequestsException"
    assert len(recorder.calls) == burst
    # Stage limits apply per method: another method still has its own burst.
    assert api.handle("GET", "/me", headers, None).status == 200
    # The bucket refills at the stage rate.
    clock.advance(1)
    try:
        refill = int(rate)
        statuses = [
            api.handle_request("GET", "/notes", list(headers.items()), None, source_ip=client(burst + 1 + i)).status
            for i in range(refill + 1)
        ]
        assert statuses == [200] * refill + [429]
    finally:
        clock.advance(-1)


def test_requests_without_a_token_use_the_bucket_too(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    (settings,) = _stage(template)["MethodSettings"]
    api = gateway(template, tokens, recorder, clock)
    burst = settings["ThrottlingBurstLimit"]
    for i in range(burst):  # a distributed flood: below every per-IP rule of the web ACL
        assert api.handle_request("GET", "/notes", [], None, source_ip=client(i)).status == 401
    assert api.handle("GET", "/notes", {"Authorization": tokens.id_token()}, None).status == 429


def client(number: int) -> str:
    """The ``number``-th address of 10.0.0.0/8: one client each."""
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def test_a_flood_of_forged_well_formed_tokens_from_one_client_leaves_others_served(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    (settings,) = _stage(template)["MethodSettings"]
    burst = settings["ThrottlingBurstLimit"]
    api = gateway(template, tokens, recorder, clock)
    (rule,) = [r for r in api.definition.waf_rate_rules if r.when_header is not None]
    assert rule.limit < burst
    forged = [("Authorization", tokens.sign(tokens.claims("id"), key=tokens.impostor))]
    statuses = [
        api.handle_request("GET", "/notes", forged, None, source_ip="203.0.113.66").status for _ in range(burst + 50)
    ]
    assert statuses == [401] * rule.limit + [403] * (burst + 50 - rule.limit)
    assert recorder.calls == []
    served = api.handle_request(
        "GET", "/notes", [("Authorization", tokens.id_token())], None, source_ip="198.51.100.20"
    )
    assert served.status == 200


def test_the_client_address_header_is_trusted_only_when_configured(
    template: dict[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock
) -> None:
    header = "X-Localmode-Client-Ip"
    plain = gateway(template, tokens, recorder, clock)
    trusting = gateway(template, tokens, recorder, clock, trusted_client_ip_header=header)
    assert plain.client_address("127.0.0.1", [(header, "203.0.113.9")]) == "127.0.0.1"
    assert trusting.client_address("127.0.0.1", [(header.lower(), " 203.0.113.9 ")]) == "203.0.113.9"
    assert trusting.client_address("127.0.0.1", [(header, "2001:db8::1")]) == "2001:db8::1"
    for odd in ([(header, "203.0.113.9, 10.0.0.1")], [(header, "evil")], [(header, "1.2.3.4"), (header, "5.6.7.8")]):
        assert trusting.client_address("127.0.0.1", odd) == "127.0.0.1"


# ---------------------------------------------------------------------------- integration failures
@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": "abc", "body": ""},
        {"statusCode": 700, "body": ""},
        {"body": "no status"},
        {"statusCode": 200, "body": "", "unexpected": True},
        {"errorMessage": "boom", "errorType": "RuntimeError"},
        ["not", "an", "object"],
        None,
    ],
)
def test_malformed_proxy_result_is_502_default_5xx(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder, result: Any
) -> None:
    recorder.result = result
    response = api.handle("GET", "/notes", {"Authorization": tokens.id_token()}, None)
    _assert_gateway_response(template, response, 502, "DEFAULT_5XX")


def test_invoke_exception_is_502_without_internals(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder
) -> None:
    recorder.error = RuntimeError("secret table name arn:aws:dynamodb:...")
    response = api.handle("GET", "/notes", {"Authorization": tokens.id_token()}, None)

    _assert_gateway_response(template, response, 502, "DEFAULT_5XX")
    assert b"secret" not in response.body
    assert response.header("x-amzn-ErrorType") == "InternalServerErrorException"


def test_invoke_timeout_is_504(api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder) -> None:
    recorder.error = TimeoutError()
    response = api.handle("GET", "/notes", {"Authorization": tokens.id_token()}, None)
    _assert_gateway_response(template, response, 504, "DEFAULT_5XX")


def test_proxy_result_status_headers_and_body_pass_through(
    api: LocalRestApi, tokens: Tokens, recorder: Recorder
) -> None:
    recorder.result = {
        "statusCode": 409,
        "headers": {"Cache-Control": "no-store", "WWW-Authenticate": "Bearer"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": '{"message": "Conflict"}',
        "isBase64Encoded": False,
    }
    response = api.handle(
        "PUT", "/notes/n1", {"Authorization": tokens.id_token()}, json.dumps({**VALID_NOTE, "version": 1}).encode()
    )

    assert response.status == 409
    assert response.json() == {"message": "Conflict"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"
    assert response.multi_value_headers["Set-Cookie"] == ["a=1", "b=2"]
    assert response.headers["x-amzn-Remapped-WWW-Authenticate"] == "Bearer"
    assert "WWW-Authenticate" not in response.headers
    assert recorder.last_event["pathParameters"] == {"noteId": "n1"}


# ---------------------------------------------------------------------------- gateway responses
def test_every_response_carries_the_request_id(api: LocalRestApi, tokens: Tokens) -> None:
    ok = api.handle("GET", "/notes", {"Authorization": tokens.id_token()}, None)
    denied = api.handle("GET", "/notes", {}, None)
    ids = {ok.headers["x-amzn-RequestId"], denied.headers["x-amzn-RequestId"]}
    assert len(ids) == 2
    assert denied.json()["correlationId"] == denied.headers["x-amzn-RequestId"]


# ---------------------------------------------------------------------------- serving over HTTP
def _http(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback test server)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_answers_real_http_on_loopback(
    api: LocalRestApi, template: dict[str, Any], tokens: Tokens, recorder: Recorder
) -> None:
    server = api.serve()
    try:
        assert server.url == f"http://127.0.0.1:{server.port}/{api.stage_name}/"
        token = tokens.id_token()

        status, headers, body = _http(server.url + "notes/n-1", headers={"Authorization": token})
        assert status == 200 and json.loads(body) == {"ok": True}
        assert headers["x-amzn-RequestId"] == recorder.last_event["requestContext"]["requestId"]
        assert recorder.last_event["pathParameters"] == {"noteId": "n-1"}

        status, headers, body = _http(
            server.url + "notes?limit=2",
            "POST",
            {"Authorization": token, "Content-Type": "application/json"},
            json.dumps(VALID_NOTE).encode(),
        )
        assert status == 200
        assert json.loads(recorder.last_event["body"]) == VALID_NOTE
        assert recorder.last_event["queryStringParameters"] == {"limit": "2"}

        status, headers, body = _http(server.url + "notes")
        assert status == 401
        assert json.loads(body) == gateway_response_body(template, "UNAUTHORIZED", headers["x-amzn-RequestId"])

        status, headers, body = _http(f"{server.base_url}/not-the-stage/notes", headers={"Authorization": token})
        assert status == 403
        assert json.loads(body) == {"message": "Forbidden"}
        assert headers["x-amzn-RequestId"]

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            chunks = iter([b'{"title": "chunked", ', b'"content": "body"}'])
            connection.request(
                "POST",
                f"/{api.stage_name}/notes",
                body=chunks,
                headers={"Authorization": token, "Content-Type": "application/json"},
                encode_chunked=True,
            )
            assert connection.getresponse().status == 200
            assert json.loads(recorder.last_event["body"]) == {"title": "chunked", "content": "body"}
        finally:
            connection.close()
    finally:
        server.shutdown()


def test_access_log_uses_the_stage_format(
    api: LocalRestApi, tokens: Tokens, template: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    claims = tokens.claims("id")
    with caplog.at_level(logging.INFO, logger="localmode.gateway.access"):
        ok = api.handle("GET", "/notes", {"Authorization": tokens.sign(claims)}, None)
        denied = api.handle("GET", "/notes", {"Authorization": "forged"}, None)

    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "localmode.gateway.access"]
    assert set(records[0]) == set(json.loads(_stage(template)["AccessLogSetting"]["Format"]))
    assert records[0]["requestId"] == ok.headers["x-amzn-RequestId"]
    assert (records[0]["status"], records[0]["sub"], records[0]["resourcePath"]) == ("200", claims["sub"], "/notes")
    assert records[1]["requestId"] == denied.headers["x-amzn-RequestId"]
    assert (records[1]["status"], records[1]["errorResponseType"], records[1]["sub"]) == ("401", "UNAUTHORIZED", "-")
    assert "forged" not in caplog.text


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.10", "example.com"])  # noqa: S104
def test_serve_refuses_anything_but_loopback(api: LocalRestApi, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        api.serve(host=host)
