"""A local API Gateway (REST, v1) that serves a stack's API from its synthesized template.

moto deploys API Gateway resources but does not run AWS_PROXY integrations, authorizers,
validators, throttling or gateway responses. This module does, reading everything from the
template (``gateway_template``): nothing about the kit's routes is hard-coded.

    from localmode.gateway import GatewayConfig, LocalRestApi
    api = LocalRestApi.from_template(template, GatewayConfig(region=..., user_pool_id=...,
        client_ids={...}, jwks=..., issuer=..., invoke=run_function))
    response = api.handle("GET", "/notes", {"Authorization": id_token}, None)
    server = api.serve()                # http://127.0.0.1:<port>/<stage>/... on loopback only
    server.url                          # "http://127.0.0.1:<port>/<stage>/", like RestApi.url
    server.shutdown()

``handle`` takes the path *within the stage* ("/notes/abc", as ``event["path"]``); the HTTP
server takes the full path ("/<stage>/notes/abc") as the deployed API does, and answers 403
``{"message": "Forbidden"}`` outside the stage.

Before anything else, the HTTP server refuses a request line plus headers over 10,240 bytes
(API Gateway's limit) with 413 ``{"message": "Request Too Long"}``, and answers a request too
malformed to parse with a JSON 400; any method name reaches the API (an undeclared one gets the
API's 403, as on AWS, never an HTML 501); no response carries a ``Server`` banner. Every
rejection below is logged on ``localmode.gateway`` at INFO with its reason (the validation
error, the authorizer's reason), as API Gateway's execution log would say it.

What a request goes through, in API Gateway's order (each rejection is the API's own gateway
response, rendered from the template's ResponseTemplates/ResponseParameters):

1. WAF, only when the template associates a web ACL with the stage: if the ACL runs the AWS
   managed common rule set with SizeRestrictions_BODY blocking, a body over 8 KB -> 403
   WAF_FILTERED (the WAF sees requests first, so this includes bodies over 10 MB). The ACL's
   per-IP rate rules are emulated too (``waf_rate``: exact counts per client address; the
   address is the socket's, or ``GatewayConfig.trusted_client_ip_header``'s in local mode). No
   other WAF rule is emulated: the IP reputation list, known-bad-inputs and the other
   common-rule-set rules (XSS, LFI, missing User-Agent...) let requests through.
2. Size: bodies over 10 MB, API Gateway's hard limit -> 413 REQUEST_TOO_LARGE.
3. Throttling, account level: one bucket of 10,000 rps, burst 5,000 (AWS's default quota).
4. Routing over the AWS::ApiGateway::Resource tree (literal segments before ``{param}`` before
   ``{proxy+}``; one trailing slash ignored; paths and methods are case-sensitive). An unknown
   path, or a method the resource does not declare (``ANY`` matches every method) -> 403
   MISSING_AUTHENTICATION_TOKEN, as AWS answers.
   Then throttling, method level: one token bucket per method with the stage's default method
   throttling (MethodSettings "/*" "*") or the method's own override (AWS applies stage limits
   per method, not to the stage as a whole) -> 429 THROTTLED. Tokens refill with
   ``GatewayConfig.now``; requests the authorizer rejects later have used their token (AWS
   counts every request submission; limits on a stage or method apply without invoking an
   authorizer: docs/local-mode.md cites the sources).
5. The Cognito authorizer (``gateway_auth``): missing, malformed, forged, expired or
   wrong-type token -> 401 UNAUTHORIZED ("The incoming token has expired" for an expired one;
   EXPIRED_TOKEN is AWS's type for expired SigV4 credentials, not Cognito tokens). The claims
   go to ``requestContext.authorizer.claims`` flattened to strings.
6. The request validator: required parameters (query string, headers; "not blank") -> 400
   BAD_REQUEST_PARAMETERS "Missing required request parameters: [a, b]"; then the body against
   the model for the request's Content-Type (media type only; application/json when absent;
   ``$default`` model as fallback) -> 400 BAD_REQUEST_BODY for malformed JSON, an empty body or
   a schema violation (draft-04, fastjsonschema). A Content-Type with no model is not validated,
   as in AWS: the handlers validate bodies again (``kit_common.request_body``).
7. The integration: AWS_PROXY calls ``GatewayConfig.invoke(function logical id, event)`` with a
   REST v1 proxy event; MOCK (the CORS preflight) answers its integration response, including
   CDK's multi-origin ``Access-Control-Allow-Origin`` override.
8. The proxy result (statusCode, headers, multiValueHeaders, body, isBase64Encoded; other keys,
   a non-string body or a bad status make it malformed): an exception from ``invoke`` or a
   malformed result -> 502 with the DEFAULT_5XX gateway response; ``TimeoutError`` from
   ``invoke`` -> 504 INTEGRATION_TIMEOUT (the invoker owns the 29 s integration timeout).
   Reserved headers a function sets (Authorization, Connection, Content-Length, Date, Server,
   WWW-Authenticate, x-amzn-RequestId) come back as ``x-amzn-Remapped-<name>``; a missing
   Content-Type becomes application/json; a base64 body is decoded only when the API's
   BinaryMediaTypes match the request's Accept header.

Every response carries ``x-amzn-RequestId`` (the event's ``requestContext.requestId``) and
``x-amz-apigw-id``; gateway responses also carry ``x-amzn-ErrorType``. Gateway responses fall
back as in AWS: the specific type's response, else DEFAULT_4XX/DEFAULT_5XX, else AWS's default
``{"message": ...}``. One access log line per request (the stage's AccessLogSetting format,
"-" for absent values) goes to the ``localmode.gateway.access`` logger at INFO.

Event details: ``path`` and ``pathParameters`` stay percent-encoded (as REST APIs deliver
them); query parameters are decoded; ``headers``/``queryStringParameters`` keep the last value,
the ``multiValue`` forms keep all; X-Forwarded-For/-Port/-Proto and X-Amzn-Trace-Id are added;
``requestContext.accountId`` is moto's default account (123456789012); ``apiId``/``resourceId``
are stable ids derived from the logical ids (not moto's ids).

Where AWS documents no exact behaviour, the choice made here (the kit's handlers cope with
either way): an access token lacking the method's scopes is 401 (some reports say 403); an
empty body against a model is 400; list claims such as ``cognito:groups`` are joined with
commas; query values are decoded with ``+`` as a space.

Not emulated (``from_template`` refuses templates that need them, listing every problem):
AWS_IAM, Lambda (CUSTOM) authorizers, API keys and usage plans, resource policies, OpenAPI
bodies, integrations other than AWS_PROXY and MOCK, VTL beyond ``$context``/``$stageVariables``
substitution and CDK's CORS template. Ignored because they change no outcome here: caching,
canary settings, logging/tracing settings, custom domains, mTLS.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_plus

import fastjsonschema

from .gateway_auth import CognitoTokenVerifier, TokenRejected, flatten_claims
from .gateway_template import (
    ACCOUNT_THROTTLE,
    API_GATEWAY_MAX_BODY_BYTES,
    ApiDefinition,
    GatewayTemplateError,
    ResourceNode,
    Route,
    Throttle,
    parse_template,
)
from .waf_rate import WafRateLimiter

__all__ = [
    "ACCOUNT_ID",
    "API_GATEWAY_MAX_HEADER_BYTES",
    "LOOPBACK_HOSTS",
    "GatewayConfig",
    "GatewayResponse",
    "GatewayTemplateError",
    "LocalGatewayServer",
    "LocalRestApi",
    "RouteInfo",
]

#: ``requestContext.accountId``: moto's default account.
ACCOUNT_ID = "123456789012"
#: API Gateway's limit for the request line and headers together.
API_GATEWAY_MAX_HEADER_BYTES = 10_240
#: The only hosts ``serve`` binds to: the emulator's signing keys are public (they ship in moto).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_access_log = logging.getLogger("localmode.gateway.access")
_log = logging.getLogger("localmode.gateway")

#: AWS's default status of each gateway response type the local gateway produces.
_DEFAULT_STATUS = {
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "INTEGRATION_TIMEOUT": 504,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "REQUEST_TOO_LARGE": 413,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
    "WAF_FILTERED": 403,
}
_ERROR_TYPE = {
    "BAD_REQUEST_BODY": "BadRequestException",
    "BAD_REQUEST_PARAMETERS": "BadRequestException",
    "DEFAULT_5XX": "InternalServerErrorException",
    "INTEGRATION_TIMEOUT": "InternalServerErrorException",
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "REQUEST_TOO_LARGE": "RequestTooLargeException",
    "THROTTLED": "TooManyRequestsException",
    "UNAUTHORIZED": "UnauthorizedException",
    "WAF_FILTERED": "ForbiddenException",
}
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_REMAPPED = frozenset(
    {"authorization", "connection", "content-length", "date", "server", "www-authenticate", "x-amzn-requestid"}
)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"})
_PROXY_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_VARIABLE = re.compile(
    r"\$(?P<quiet>!)?(?P<brace>\{)?(?P<root>context|stageVariables)\.(?P<name>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)(?(brace)\})"
)


@dataclass(frozen=True)
class GatewayConfig:
    """What the template cannot tell: the user pool's keys and clients, and how to run a function.

    ``client_ids`` should hold every app client of the pool: a REST API Cognito authorizer
    names the pool, not clients, so it accepts tokens of any of its clients. ``issuer`` is
    ``https://cognito-idp.<region>.amazonaws.com/<pool id>`` (moto issues the same form).
    ``invoke(function logical id, event)`` returns the Lambda proxy result; it may raise
    (502) or raise ``TimeoutError`` (504).
    """

    region: str
    user_pool_id: str
    client_ids: set[str]
    jwks: dict[str, Any]
    issuer: str
    invoke: Callable[[str, dict[str, Any]], dict[str, Any]]
    stage_name: str | None = None
    now: Callable[[], float] = time.time
    #: A request header whose value (one IPv4 or IPv6 address) the HTTP server takes as the
    #: client's address instead of the socket's: every local client is 127.0.0.1, and a demo
    #: of "one client floods, another is served" needs two. Only local mode sets it; API Gateway
    #: and WAF use the connection's source address, so on AWS the header changes nothing.
    #: A value that is not exactly one address is ignored (the socket's address counts).
    trusted_client_ip_header: str | None = None


@dataclass(frozen=True)
class GatewayResponse:
    """What the client receives. ``headers`` joins repeated values with ", "."""

    status: int
    headers: dict[str, str]
    body: bytes
    multi_value_headers: dict[str, list[str]] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class RouteInfo:
    """A route of the API, for callers that start workers or print the API."""

    http_method: str
    resource_path: str
    function_id: str | None
    authorization_type: str
    scopes: tuple[str, ...]


class _TokenBucket:
    def __init__(self, limits: Throttle) -> None:
        self.rate = max(0.0, limits.rate)
        self.capacity = float(max(0, limits.burst))
        self.tokens = self.capacity
        self.updated: float | None = None
        self.lock = threading.Lock()

    def take(self, now: float) -> bool:
        with self.lock:
            if self.updated is not None and now > self.updated:
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            # The emulated clock can move back (a scenario's shifted() ends): re-anchor there, or
            # the bucket would not refill until real time caught up with the shifted one.
            if self.updated is None or now != self.updated:
                self.updated = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


def _stable_id(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _media_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _matches_media(media: str | None, patterns: Iterable[str]) -> bool:
    if media is None:
        return False
    major = media.split("/", 1)[0]
    return any(p in (media, "*/*", f"{major}/*") for p in patterns)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_query(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


@dataclass
class _Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    body: bytes
    source_ip: str
    started: float
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_id: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(10)).decode()[:14] + "=")
    trace_id: str = field(default_factory=lambda: f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}")
    oversized: bool = False
    route: Route | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)
    claims: dict[str, str] | None = None
    error_message: str | None = None
    error_type: str | None = None
    validation_error: str | None = None
    integration_status: int | None = None
    integration_error: str | None = None
    waf_code: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        found = [v for k, v in self.headers if k.lower() == wanted]
        return found[-1] if found else None


class LocalRestApi:
    """One stage of a REST API from a synthesized template, served locally (see the module doc)."""

    def __init__(self, definition: ApiDefinition, config: GatewayConfig) -> None:
        self.definition = definition
        self.config = config
        self._verifier = CognitoTokenVerifier(
            issuer=config.issuer, client_ids=frozenset(config.client_ids), jwks=config.jwks, now=config.now
        )
        self._account_bucket = _TokenBucket(ACCOUNT_THROTTLE)
        self._waf_rate = WafRateLimiter(definition.waf_rate_rules, config.now)
        stage = definition.stage
        self._buckets: dict[str, _TokenBucket] = {}
        for route in definition.routes:
            limits = stage.method_throttles.get((route.resource_path, route.http_method), stage.default_throttle)
            if limits is not None:
                self._buckets[route.method_id] = _TokenBucket(limits)
        self.api_id = _stable_id(definition.rest_api_id, 10)

    def client_address(self, socket_address: str, headers: Sequence[tuple[str, str]]) -> str:
        """The client's address: the socket's, or the trusted header's (local mode only; see GatewayConfig)."""
        name = self.config.trusted_client_ip_header
        if name is None:
            return socket_address
        values = [v.strip() for k, v in headers if k.lower() == name.lower()]
        if len(values) != 1:
            return socket_address
        try:
            return str(ipaddress.ip_address(values[0]))
        except ValueError:
            return socket_address

    def forget_waf_rate_counts(self) -> None:
        """Drop the web ACL's rate counts, as if their windows had passed (for demos that flood)."""
        self._waf_rate = WafRateLimiter(self.definition.waf_rate_rules, self.config.now)

    @classmethod
    def from_template(cls, template: Mapping[str, Any], config: GatewayConfig) -> LocalRestApi:
        """Build the gateway; ``GatewayTemplateError`` lists what the template needs but is not emulated."""
        return cls(parse_template(template, config.stage_name), config)

    # ------------------------------------------------------------------ introspection
    @property
    def stage_name(self) -> str:
        return self.definition.stage.name

    @property
    def routes(self) -> list[RouteInfo]:
        return [
            RouteInfo(r.http_method, r.resource_path, r.function_id, r.authorization_type, r.scopes)
            for r in self.definition.routes
        ]

    @property
    def function_ids(self) -> set[str]:
        """The logical ids of every function an AWS_PROXY integration of the stage invokes."""
        return {r.function_id for r in self.definition.routes if r.function_id}

    # ------------------------------------------------------------------ requests
    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        query: str = "",
    ) -> GatewayResponse:
        """Answer one request: ``path`` within the stage ("/notes"), ``query`` raw ("a=1&b=2"), ``method`` as sent
        (case-sensitive, like API Gateway)."""
        if "?" in path:
            path, _, inline = path.partition("?")
            query = f"{inline}&{query}" if query else inline
        return self.handle_request(method, path, list(headers.items()), body, query)

    def handle_request(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        query: str = "",
        *,
        source_ip: str = "127.0.0.1",
    ) -> GatewayResponse:
        """``handle`` with repeated headers (name, value) and the caller's address."""
        return self._handle(method, path, headers, body, query, source_ip=source_ip, oversized=False)

    def _handle(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        query: str,
        *,
        source_ip: str,
        oversized: bool,
    ) -> GatewayResponse:
        request = _Request(
            method=method,
            path=path or "/",
            headers=list(headers),
            query=_parse_query(query),
            body=body or b"",
            source_ip=source_ip,
            started=self.config.now(),
            oversized=oversized,
        )
        try:
            response = self._process(request)
        except Exception:  # a bug of the emulator must not look like a pass
            _log.exception("local gateway failed on %s %s", method, path)
            response = self._gateway_response("DEFAULT_5XX", request, "Internal server error", status=500)
        self._write_access_log(request, response)
        return response

    def _process(self, request: _Request) -> GatewayResponse:
        definition = self.definition
        if self._waf_rate.blocking_rule(request.method, request.source_ip, request.header):
            request.waf_code = "403"
            return self._gateway_response("WAF_FILTERED", request, "Forbidden")
        size_exceeded = request.oversized or len(request.body) > API_GATEWAY_MAX_BODY_BYTES
        if definition.waf_body_limit is not None and (size_exceeded or len(request.body) > definition.waf_body_limit):
            request.waf_code = "403"
            return self._gateway_response("WAF_FILTERED", request, "Forbidden")
        if size_exceeded:
            return self._gateway_response("REQUEST_TOO_LARGE", request, "Request Too Long")
        now = self.config.now()
        if not self._account_bucket.take(now):
            return self._gateway_response("THROTTLED", request, "Too Many Requests")
        found = self._match(request.method, request.path)
        if found is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", request, "Missing Authentication Token")
        route, parameters = found
        request.route, request.path_parameters = route, parameters
        bucket = self._buckets.get(route.method_id)
        if bucket is not None and not bucket.take(now):
            return self._gateway_response("THROTTLED", request, "Too Many Requests")
        if route.authorizer is not None:
            try:
                claims = self._verifier.verify(
                    request.header(route.authorizer.header),
                    scopes=route.scopes,
                    validation_expression=route.authorizer.validation_expression,
                )
            except TokenRejected as rejected:
                _log.info("authorizer rejected %s %s: %s", request.method, request.path, rejected.reason)
                return self._gateway_response("UNAUTHORIZED", request, rejected.message)
            request.claims = flatten_claims(claims)
        if route.validate_parameters:
            missing = self._missing_parameters(route, request)
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                return self._gateway_response("BAD_REQUEST_PARAMETERS", request, message)
        if route.validate_body:
            problem = self._body_problem(route, request)
            if problem is not None:
                request.validation_error = problem
                return self._gateway_response("BAD_REQUEST_BODY", request, "Invalid request body")
        if route.mock is not None:
            return self._mock_response(route, request)
        return self._invoke(route, request)

    # ------------------------------------------------------------------ routing
    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        if not path.startswith("/"):
            return None
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        segments = [] if path == "/" else path[1:].split("/")
        if any(s == "" for s in segments):
            return None
        found = _find(self.definition.root, segments, {})
        if found is None:
            return None
        node, parameters = found
        route = node.methods.get(method) or node.methods.get("ANY")
        return (route, parameters) if route is not None else None

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _missing_parameters(route: Route, request: _Request) -> list[str]:
        missing: list[str] = []
        for key, required in route.request_parameters.items():
            if not required:
                continue
            where, _, name = key.removeprefix("method.request.").partition(".")
            if where == "path":
                value: str | None = request.path_parameters.get(name)
            elif where in ("querystring", "multivaluequerystring"):
                values = [v for k, v in request.query if k == name]
                value = values[-1] if values else None
            else:
                value = request.header(name)
            if value is None or not value.strip():
                missing.append(name)
        return missing

    @staticmethod
    def _body_problem(route: Route, request: _Request) -> str | None:
        media = _media_type(request.header("Content-Type")) or "application/json"
        model = route.models.get(media) or route.models.get("$default")
        if model is None:
            return None  # AWS validates a body only against the model of its content type
        try:
            data = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return "[body is not valid JSON]"
        try:
            model.validate(data)
        except fastjsonschema.JsonSchemaValueException as error:
            return f"[{error.message}]"
        return None

    # ------------------------------------------------------------------ integrations
    def _mock_response(self, route: Route, request: _Request) -> GatewayResponse:
        mock = route.mock
        assert mock is not None
        headers = dict(mock.headers)
        origin = request.header("Origin")
        if mock.override_header and origin is not None and origin in mock.override_origins:
            headers[mock.override_header] = origin
        headers.setdefault("Content-Type", "application/json")
        request.integration_status = mock.status
        return self._finish(request, mock.status, {k: [v] for k, v in headers.items()}, mock.body.encode())

    def _invoke(self, route: Route, request: _Request) -> GatewayResponse:
        assert route.function_id is not None
        event = self._event(route, request)
        try:
            result = self.config.invoke(route.function_id, event)
        except TimeoutError:
            request.integration_error = "timeout"
            return self._gateway_response("INTEGRATION_TIMEOUT", request, "Endpoint request timed out")
        except Exception as error:
            request.integration_error = type(error).__name__
            _log.warning("function %s failed: %s", route.function_id, type(error).__name__)
            return self._gateway_response("DEFAULT_5XX", request, "Internal server error", status=502)
        proxied = self._proxy_result(result, request)
        if proxied is None:
            request.integration_error = "Malformed Lambda proxy response"
            _log.warning("function %s returned a malformed Lambda proxy response", route.function_id)
            return self._gateway_response("DEFAULT_5XX", request, "Internal server error", status=502)
        return proxied

    def _event(self, route: Route, request: _Request) -> dict[str, Any]:
        stage = self.definition.stage.name
        headers = [*request.headers]
        present = {k.lower() for k, _ in headers}
        added = {
            "X-Forwarded-For": request.source_ip,
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https",
            "X-Amzn-Trace-Id": request.trace_id,
        }
        for name, value in added.items():
            if name.lower() == "x-forwarded-for" and name.lower() in present:
                headers = [(k, f"{v}, {value}" if k.lower() == "x-forwarded-for" else v) for k, v in headers]
            elif name.lower() not in present:
                headers.append((name, value))
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        query_single: dict[str, str] = {}
        query_multi: dict[str, list[str]] = {}
        for name, value in request.query:
            query_single[name] = value
            query_multi.setdefault(name, []).append(value)
        body: str | None = None
        is_base64 = False
        if request.body:
            if _matches_media(_media_type(request.header("Content-Type")), self.definition.binary_media_types):
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
            else:
                body = request.body.decode("utf-8", errors="replace")
        started = request.started
        host = request.header("Host") or f"{self.api_id}.execute-api.{self.config.region}.amazonaws.com"
        request_context: dict[str, Any] = {
            "resourceId": _stable_id(route.resource_id, 6),
            "resourcePath": route.resource_path,
            "httpMethod": request.method,
            "extendedRequestId": request.extended_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(started)),
            "path": f"/{stage}{request.path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(".", 1)[0],
            "requestTimeEpoch": int(started * 1000),
            "requestId": request.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.header("User-Agent"),
                "user": None,
            },
            "domainName": host,
            "apiId": self.api_id,
        }
        if request.claims is not None:
            request_context["authorizer"] = {"claims": dict(request.claims)}
        return {
            "resource": route.resource_path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": single or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": query_single or None,
            "multiValueQueryStringParameters": query_multi or None,
            "pathParameters": dict(request.path_parameters) or None,
            "stageVariables": dict(self.definition.stage.variables) if self.definition.stage.variables else None,
            "requestContext": request_context,
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def _proxy_result(self, result: Any, request: _Request) -> GatewayResponse | None:
        if not isinstance(result, Mapping) or not set(result) <= _PROXY_KEYS:
            return None
        status = result.get("statusCode")
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            return None
        headers: dict[str, list[str]] = {}
        raw_multi = result.get("multiValueHeaders")
        raw_single = result.get("headers")
        if raw_single is not None and not isinstance(raw_single, Mapping):
            return None
        if raw_multi is not None and not isinstance(raw_multi, Mapping):
            return None
        for name, value in (raw_single or {}).items():
            text = _header_text(value)
            if text is None:
                return None
            headers[str(name)] = [text]
        for name, values in (raw_multi or {}).items():
            if not isinstance(values, list):
                return None
            texts = [_header_text(v) for v in values]
            if any(t is None for t in texts):
                return None
            headers[str(name)] = [t for t in texts if t is not None]  # multiValueHeaders win
        body = result.get("body")
        if body is None:
            body = ""
        if not isinstance(body, str):
            return None
        is_base64 = result.get("isBase64Encoded", False)
        if not isinstance(is_base64, bool):
            return None
        payload = body.encode("utf-8")
        if is_base64:
            accept = _media_type((request.header("Accept") or "").split(",", 1)[0])
            if _matches_media(accept, self.definition.binary_media_types):
                try:
                    payload = base64.b64decode(body, validate=True)
                except ValueError:
                    return None
        remapped: dict[str, list[str]] = {}
        for name, values in headers.items():
            lowered = name.lower()
            if lowered in _HOP_BY_HOP and lowered != "connection":
                continue
            key = f"x-amzn-Remapped-{name}" if lowered in _REMAPPED else name
            remapped.setdefault(key, []).extend(values)
        if not any(k.lower() == "content-type" for k in remapped):
            remapped["Content-Type"] = ["application/json"]
        request.integration_status = status
        return self._finish(request, status, remapped, payload)

    # ------------------------------------------------------------------ responses
    def _finish(self, request: _Request, status: int, headers: dict[str, list[str]], body: bytes) -> GatewayResponse:
        headers = dict(headers)
        headers["x-amzn-RequestId"] = [request.request_id]
        headers["x-amz-apigw-id"] = [request.extended_id]
        headers["X-Amzn-Trace-Id"] = [request.trace_id]
        single = {k: ", ".join(v) for k, v in headers.items()}
        return GatewayResponse(status=status, headers=single, body=body, multi_value_headers=headers)

    def _context(self, request: _Request, status: int | None = None, length: int | None = None) -> dict[str, str]:
        stage = self.definition.stage.name
        route = request.route
        values: dict[str, Any] = {
            "requestId": request.request_id,
            "extendedRequestId": request.extended_id,
            "apiId": self.api_id,
            "accountId": ACCOUNT_ID,
            "stage": stage,
            "httpMethod": request.method,
            "path": f"/{stage}{request.path}",
            "resourcePath": route.resource_path if route else None,
            "resourceId": _stable_id(route.resource_id, 6) if route else None,
            "protocol": "HTTP/1.1",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.started)),
            "requestTimeEpoch": int(request.started * 1000),
            "domainName": request.header("Host"),
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.header("User-Agent"),
            "error.message": request.error_message,
            "error.messageString": json.dumps(request.error_message) if request.error_message is not None else None,
            "error.responseType": request.error_type,
            "error.validationErrorString": request.validation_error,
            "integration.status": request.integration_status,
            "integration.error": request.integration_error,
            "integrationStatus": request.integration_status,
            "wafResponseCode": request.waf_code,
            "xrayTraceId": request.trace_id.removeprefix("Root="),
            "status": status,
            "responseLength": length,
        }
        for claim, value in (request.claims or {}).items():
            values[f"authorizer.claims.{claim}"] = value
        return {k: str(v) for k, v in values.items() if v is not None}

    def _gateway_response(
        self, kind: str, request: _Request, message: str, *, status: int | None = None
    ) -> GatewayResponse:
        """The API's gateway response of ``kind`` (or its DEFAULT_4XX/5XX group, or AWS's default)."""
        request.error_message = message
        request.error_type = kind
        default_status = status or _DEFAULT_STATUS.get(kind, 500)
        responses = self.definition.gateway_responses
        group = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
        spec = responses.get(kind) or responses.get(group)
        final_status = (spec.status_code if spec and spec.status_code else None) or default_status
        context = self._context(request, final_status)
        template = _DEFAULT_TEMPLATE
        if spec and spec.templates:
            template = spec.templates.get("application/json") or next(iter(spec.templates.values()))
        body = _render(template, context, self.definition.stage.variables, missing="")
        headers: dict[str, list[str]] = {"Content-Type": ["application/json"]}
        for name, source in (spec.parameters if spec else {}).items():
            value = self._parameter_value(source, request, context)
            if value is not None:
                headers[name] = [value]
        error_type = _ERROR_TYPE.get(kind)
        if error_type:
            headers["x-amzn-ErrorType"] = [error_type]
        # What API Gateway's execution log would say: every gateway rejection, with its reason.
        reason = request.validation_error or message
        _log.info(
            "gateway rejected %s %s: %d %s: %s (request %s)",
            request.method,
            request.path,
            final_status,
            kind,
            reason,
            request.request_id,
        )
        return self._finish(request, final_status, headers, body.encode("utf-8"))

    def _parameter_value(self, source: str, request: _Request, context: Mapping[str, str]) -> str | None:
        if len(source) >= 2 and source[0] == source[-1] == "'":
            return source[1:-1]
        if source.startswith("method.request.header."):
            return request.header(source.removeprefix("method.request.header."))
        if source.startswith("method.request.querystring."):
            name = source.removeprefix("method.request.querystring.")
            values = [v for k, v in request.query if k == name]
            return values[-1] if values else None
        if source.startswith("method.request.path."):
            return request.path_parameters.get(source.removeprefix("method.request.path."))
        if source.startswith("context."):
            return context.get(source.removeprefix("context."))
        if source.startswith("stageVariables."):
            return (self.definition.stage.variables or {}).get(source.removeprefix("stageVariables."))
        return None

    def _write_access_log(self, request: _Request, response: GatewayResponse) -> None:
        template = self.definition.stage.access_log_format
        if template is None or not _access_log.isEnabledFor(logging.INFO):
            return
        context = self._context(request, response.status, len(response.body))
        context["responseLatency"] = str(max(0, int((self.config.now() - request.started) * 1000)))
        _access_log.info(_render(template, context, self.definition.stage.variables, missing="-"))

    # ------------------------------------------------------------------ serving
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> LocalGatewayServer:
        """Serve the stage over HTTP on loopback in a daemon thread (``ValueError`` for other hosts)."""
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"the local gateway binds to loopback only ({', '.join(sorted(LOOPBACK_HOSTS))}), not {host!r}: "
                "the emulator's token signing keys are public"
            )
        return LocalGatewayServer(self, host, port)


def _find(
    node: ResourceNode, segments: list[str], parameters: dict[str, str]
) -> tuple[ResourceNode, dict[str, str]] | None:
    if not segments:
        return node, parameters
    head, rest = segments[0], segments[1:]
    child = node.literal.get(head)
    if child is not None:
        found = _find(child, rest, parameters)
        if found is not None:
            return found
    if node.parameter is not None:
        name, child = node.parameter
        found = _find(child, rest, {**parameters, name: head})
        if found is not None:
            return found
    if node.greedy is not None:
        name, child = node.greedy
        return child, {**parameters, name: "/".join(segments)}
    return None


def _plain_error(status: int, error_type: str, message: str) -> GatewayResponse:
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": error_type,
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return GatewayResponse(status, headers, json.dumps({"message": message}).encode())


def _header_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _render(template: str, context: Mapping[str, str], variables: Mapping[str, str] | None, *, missing: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        source = context if match["root"] == "context" else (variables or {})
        return source.get(match["name"], missing)

    return _VARIABLE.sub(substitute, template)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the gateway writes its own access log
        return

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the API (TRACE, CONNECT, "FOO" ...): API Gateway answers an
        # undeclared method with its JSON 403, never an HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Status line and Date only: API Gateway sends no ``Server`` banner."""
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Requests too malformed to reach the API (bad request line, header overflow): JSON, no banner."""
        self.close_connection = True
        self.request_version = "HTTP/1.1"  # a status line even for a request line that never parsed
        status = 413 if code in (414, 431) else 400
        text = "Request Too Long" if status == 413 else "Bad Request"
        _log.info("gateway rejected a malformed request: %d (%s)", status, message or code)
        body = json.dumps({"message": text}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", "RequestTooLargeException" if status == 413 else "BadRequestException")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)

    def _header_bytes(self) -> int:
        """Request line plus headers, as API Gateway counts them against its 10,240-byte limit."""
        return len(self.requestline) + 2 + sum(len(k) + len(v) + 4 for k, v in self.headers.items())

    def _dispatch(self) -> None:
        api = self.server.api
        stage = api.stage_name
        target = self.path
        if "://" in target:  # absolute-form request target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, query = target.partition("?")
        prefix = f"/{stage}"
        if self._header_bytes() > API_GATEWAY_MAX_HEADER_BYTES:
            self.close_connection = True
            _log.info(
                "gateway rejected %s %s: 413 request line and headers are %d bytes, over API Gateway's %d",
                self.command,
                raw_path[:80],
                self._header_bytes(),
                API_GATEWAY_MAX_HEADER_BYTES,
            )
            self._send(_plain_error(413, "RequestTooLargeException", "Request Too Long"))
            return
        try:
            body = self._read_body()
        except ValueError:  # malformed chunked framing: the connection cannot be trusted
            self.close_connection = True
            self._send(_plain_error(400, "BadRequestException", "Bad Request"))
            return
        if raw_path != prefix and not raw_path.startswith(prefix + "/"):
            # Outside the stage: API Gateway's own answer, not one of the API's gateway responses.
            self.close_connection = self.close_connection or body is None
            self._send(_plain_error(403, "ForbiddenException", "Forbidden"))
            return
        path = raw_path[len(prefix) :] or "/"
        if body is None:  # larger than API Gateway's limit: answer without reading it all
            self.close_connection = True
        response = api._handle(
            self.command,
            path,
            list(self.headers.items()),
            body,
            query,
            source_ip=api.client_address(self.client_address[0], list(self.headers.items())),
            oversized=body is None,
        )
        self._send(response)

    def _read_body(self) -> bytes | None:
        """The request body; None when over API Gateway's limit (left unread); ValueError on bad framing."""
        limit = API_GATEWAY_MAX_BODY_BYTES
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(65537)
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size += length
                if size > limit:
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline(3)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: GatewayResponse) -> None:
        self.send_response(response.status)
        for name, values in (response.multi_value_headers or {k: [v] for k, v in response.headers.items()}).items():
            if name.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # A thread per connection, and a listen backlog that absorbs bursts of parallel clients
    # (the default of 5 resets connections at about 20 at once).
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:  # e.g. a client that hung up
        _log.debug("connection from %s failed", client_address, exc_info=True)

    def __init__(self, api: LocalRestApi, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family
        self.api = api
        super().__init__(address, _Handler)


class LocalGatewayServer:
    """The gateway on ``http://<loopback>:<port>/<stage>/``; ``shutdown()`` stops it."""

    def __init__(self, api: LocalRestApi, host: str, port: int) -> None:
        family = socket.AF_INET6 if host == "::1" else socket.AF_INET
        bind = "127.0.0.1" if host == "localhost" else host
        self.api = api
        self._server = _Server(api, (bind, port), family)
        self.host = bind
        self.port: int = self._server.server_address[1]
        shown = f"[{bind}]" if family == socket.AF_INET6 else bind
        #: ``http://127.0.0.1:<port>``: no stage.
        self.base_url = f"http://{shown}:{self.port}"
        #: The stage's URL with a trailing slash, like CDK's ``RestApi.url``.
        self.url = f"{self.base_url}/{api.stage_name}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"local-gateway-{self.port}", daemon=True
        )
        self._thread.start()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalGatewayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
