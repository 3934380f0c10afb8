"""The integrations: AWS_PROXY (the REST v1 proxy event a function receives, and the proxy
result it returns, checked and turned into the response) and MOCK (CDK's CORS preflight)."""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any

from ..emulator import ACCOUNT_ID
from .definition import ApiDefinition, Route
from .request import Request, matches_media, media_type, stable_id
from .responses import GatewayResponse, GatewayResponses

_REMAPPED = frozenset(
    {"authorization", "connection", "content-length", "date", "server", "www-authenticate", "x-amzn-requestid"}
)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"})
_PROXY_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class Integrations:
    """Builds what a stage's integrations receive and turns what they return into responses."""

    def __init__(self, definition: ApiDefinition, api_id: str, region: str, responses: GatewayResponses) -> None:
        self.definition = definition
        self.api_id = api_id
        self.region = region
        self.responses = responses

    def mock_response(self, route: Route, request: Request) -> GatewayResponse:
        mock = route.mock
        assert mock is not None
        headers = dict(mock.headers)
        origin = request.header("Origin")
        if mock.override_header and origin is not None and origin in mock.override_origins:
            headers[mock.override_header] = origin
        headers.setdefault("Content-Type", "application/json")
        request.integration_status = mock.status
        return self.responses.finish(request, mock.status, {k: [v] for k, v in headers.items()}, mock.body.encode())

    def proxy_event(self, route: Route, request: Request) -> dict[str, Any]:
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
            if matches_media(media_type(request.header("Content-Type")), self.definition.binary_media_types):
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
            else:
                body = request.body.decode("utf-8", errors="replace")
        started = request.started
        host = request.header("Host") or f"{self.api_id}.execute-api.{self.region}.amazonaws.com"
        request_context: dict[str, Any] = {
            "resourceId": stable_id(route.resource_id, 6),
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

    def proxy_result(self, result: Any, request: Request) -> GatewayResponse | None:
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
            accept = media_type((request.header("Accept") or "").split(",", 1)[0])
            if matches_media(accept, self.definition.binary_media_types):
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
        return self.responses.finish(request, status, remapped, payload)

    # ------------------------------------------------------------------ responses


def _header_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None
