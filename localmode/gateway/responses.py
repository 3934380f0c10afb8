"""What the client receives: ``GatewayResponse``, and the API's gateway responses (the
template's ResponseTemplates/ResponseParameters, with AWS's fallbacks), the ``$context``
variables they and the access log render, and the access log line itself."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..emulator import ACCOUNT_ID
from .definition import ApiDefinition
from .request import Request, stable_id

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
_VARIABLE = re.compile(
    r"\$(?P<quiet>!)?(?P<brace>\{)?(?P<root>context|stageVariables)\.(?P<name>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)(?(brace)\})"
)


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


class GatewayResponses:
    """The stage's gateway responses and access log, for the requests of one ``LocalRestApi``."""

    def __init__(self, definition: ApiDefinition, api_id: str, now: Callable[[], float]) -> None:
        self.definition = definition
        self.api_id = api_id
        self.now = now

    def finish(self, request: Request, status: int, headers: dict[str, list[str]], body: bytes) -> GatewayResponse:
        headers = dict(headers)
        headers["x-amzn-RequestId"] = [request.request_id]
        headers["x-amz-apigw-id"] = [request.extended_id]
        headers["X-Amzn-Trace-Id"] = [request.trace_id]
        single = {k: ", ".join(v) for k, v in headers.items()}
        return GatewayResponse(status=status, headers=single, body=body, multi_value_headers=headers)

    def context(self, request: Request, status: int | None = None, length: int | None = None) -> dict[str, str]:
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
            "resourceId": stable_id(route.resource_id, 6) if route else None,
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

    def gateway_response(
        self, kind: str, request: Request, message: str, *, status: int | None = None
    ) -> GatewayResponse:
        """The API's gateway response of ``kind`` (or its DEFAULT_4XX/5XX group, or AWS's default)."""
        request.error_message = message
        request.error_type = kind
        default_status = status or _DEFAULT_STATUS.get(kind, 500)
        responses = self.definition.gateway_responses
        group = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
        spec = responses.get(kind) or responses.get(group)
        final_status = (spec.status_code if spec and spec.status_code else None) or default_status
        context = self.context(request, final_status)
        template = _DEFAULT_TEMPLATE
        if spec and spec.templates:
            template = spec.templates.get("application/json") or next(iter(spec.templates.values()))
        body = _render(template, context, self.definition.stage.variables, missing="")
        headers: dict[str, list[str]] = {"Content-Type": ["application/json"]}
        for name, source in (spec.parameters if spec else {}).items():
            value = self.parameter_value(source, request, context)
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
        return self.finish(request, final_status, headers, body.encode("utf-8"))

    def parameter_value(self, source: str, request: Request, context: Mapping[str, str]) -> str | None:
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

    def write_access_log(self, request: Request, response: GatewayResponse) -> None:
        template = self.definition.stage.access_log_format
        if template is None or not _access_log.isEnabledFor(logging.INFO):
            return
        context = self.context(request, response.status, len(response.body))
        context["responseLatency"] = str(max(0, int((self.now() - request.started) * 1000)))
        _access_log.info(_render(template, context, self.definition.stage.variables, missing="-"))


def plain_error(status: int, error_type: str, message: str) -> GatewayResponse:
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": error_type,
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return GatewayResponse(status, headers, json.dumps({"message": message}).encode())


def _render(template: str, context: Mapping[str, str], variables: Mapping[str, str] | None, *, missing: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        source = context if match["root"] == "context" else (variables or {})
        return source.get(match["name"], missing)

    return _VARIABLE.sub(substitute, template)
