"""``LocalRestApi``: one stage of a REST API from a synthesized template, a request taken
through API Gateway's steps in API Gateway's order (see the package docstring)."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .authorizer import CognitoTokenVerifier, TokenRejected, flatten_claims
from .definition import (
    ACCOUNT_THROTTLE,
    API_GATEWAY_MAX_BODY_BYTES,
    ApiDefinition,
    Route,
    Throttle,
)
from .integration import Integrations
from .request import Request, body_problem, match_route, missing_parameters, parse_query, stable_id
from .responses import GatewayResponse, GatewayResponses
from .server import LocalGatewayServer
from .template import parse_template
from .waf_rate import WafRateLimiter

#: The only hosts ``serve`` binds to: the emulator's signing keys are public (they ship in moto).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_log = logging.getLogger("localmode.gateway")


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


class LocalRestApi:
    """One stage of a REST API from a synthesized template, served locally (see the package docstring)."""

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
        self.api_id = stable_id(definition.rest_api_id, 10)
        self._responses = GatewayResponses(definition, self.api_id, config.now)
        self._integrations = Integrations(definition, self.api_id, config.region, self._responses)

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
        request = Request(
            method=method,
            path=path or "/",
            headers=list(headers),
            query=parse_query(query),
            body=body or b"",
            source_ip=source_ip,
            started=self.config.now(),
            oversized=oversized,
        )
        try:
            response = self._process(request)
        except Exception:  # a bug of the emulator must not look like a pass
            _log.exception("local gateway failed on %s %s", method, path)
            response = self._responses.gateway_response("DEFAULT_5XX", request, "Internal server error", status=500)
        self._responses.write_access_log(request, response)
        return response

    def _process(self, request: Request) -> GatewayResponse:
        definition = self.definition
        if self._waf_rate.blocking_rule(request.method, request.source_ip, request.header):
            request.waf_code = "403"
            return self._responses.gateway_response("WAF_FILTERED", request, "Forbidden")
        size_exceeded = request.oversized or len(request.body) > API_GATEWAY_MAX_BODY_BYTES
        if definition.waf_body_limit is not None and (size_exceeded or len(request.body) > definition.waf_body_limit):
            request.waf_code = "403"
            return self._responses.gateway_response("WAF_FILTERED", request, "Forbidden")
        if size_exceeded:
            return self._responses.gateway_response("REQUEST_TOO_LARGE", request, "Request Too Long")
        now = self.config.now()
        if not self._account_bucket.take(now):
            return self._responses.gateway_response("THROTTLED", request, "Too Many Requests")
        found = match_route(self.definition.root, request.method, request.path)
        if found is None:
            return self._responses.gateway_response(
                "MISSING_AUTHENTICATION_TOKEN", request, "Missing Authentication Token"
            )
        route, parameters = found
        request.route, request.path_parameters = route, parameters
        bucket = self._buckets.get(route.method_id)
        if bucket is not None and not bucket.take(now):
            return self._responses.gateway_response("THROTTLED", request, "Too Many Requests")
        if route.authorizer is not None:
            try:
                claims = self._verifier.verify(
                    request.header(route.authorizer.header),
                    scopes=route.scopes,
                    validation_expression=route.authorizer.validation_expression,
                )
            except TokenRejected as rejected:
                _log.info("authorizer rejected %s %s: %s", request.method, request.path, rejected.reason)
                return self._responses.gateway_response("UNAUTHORIZED", request, rejected.message)
            request.claims = flatten_claims(claims)
        if route.validate_parameters:
            missing = missing_parameters(route, request)
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                return self._responses.gateway_response("BAD_REQUEST_PARAMETERS", request, message)
        if route.validate_body:
            problem = body_problem(route, request)
            if problem is not None:
                request.validation_error = problem
                return self._responses.gateway_response("BAD_REQUEST_BODY", request, "Invalid request body")
        if route.mock is not None:
            return self._integrations.mock_response(route, request)
        return self._invoke(route, request)

    # ------------------------------------------------------------------ routing
    def _invoke(self, route: Route, request: Request) -> GatewayResponse:
        assert route.function_id is not None
        event = self._integrations.proxy_event(route, request)
        try:
            result = self.config.invoke(route.function_id, event)
        except TimeoutError:
            request.integration_error = "timeout"
            return self._responses.gateway_response("INTEGRATION_TIMEOUT", request, "Endpoint request timed out")
        except Exception as error:
            request.integration_error = type(error).__name__
            _log.warning("function %s failed: %s", route.function_id, type(error).__name__)
            return self._responses.gateway_response("DEFAULT_5XX", request, "Internal server error", status=502)
        proxied = self._integrations.proxy_result(result, request)
        if proxied is None:
            request.integration_error = "Malformed Lambda proxy response"
            _log.warning("function %s returned a malformed Lambda proxy response", route.function_id)
            return self._responses.gateway_response("DEFAULT_5XX", request, "Internal server error", status=502)
        return proxied

    # ------------------------------------------------------------------ serving
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> LocalGatewayServer:
        """Serve the stage over HTTP on loopback in a daemon thread (``ValueError`` for other hosts)."""
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"the local gateway binds to loopback only ({', '.join(sorted(LOOPBACK_HOSTS))}), not {host!r}: "
                "the emulator's token signing keys are public"
            )
        return LocalGatewayServer(self, host, port)
