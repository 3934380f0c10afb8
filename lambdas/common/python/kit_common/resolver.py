"""The REST (v1) resolver every function uses, with the kit's error handling.

Every failure becomes the same generic JSON body with the request's correlation id. Rejected
requests are logged with an internal reason; unexpected exceptions are logged with their type
and stack frames but not their message, which may quote request data.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from botocore.exceptions import ClientError

from .contract import CONTRACT, ORIGIN_PATTERN
from .errors import ServiceError
from .headers import refuse_duplicated_headers
from .idempotency import IDEMPOTENCY_KEY_HEADER
from .identity import Caller, caller_from_event
from .responses import error_response

__all__ = ["ORIGIN_PATTERN", "correlation_id", "create_resolver", "current_caller", "guard_callers"]


def correlation_id(app: APIGatewayRestResolver) -> str | None:
    """The API Gateway request id (what the logs use as correlation id)."""
    request_context = app.current_event.raw_event.get("requestContext")
    if isinstance(request_context, dict) and isinstance(request_context.get("requestId"), str):
        return str(request_context["requestId"])
    context = getattr(app, "lambda_context", None)
    return getattr(context, "aws_request_id", None)


def current_caller(app: APIGatewayRestResolver) -> Caller:
    """The caller of the request being resolved; 401 without a usable `sub` claim."""
    return caller_from_event(app.current_event.raw_event)


def _route_label(app: APIGatewayRestResolver) -> str:
    # The resource template ("/notes/{noteId}"), never the concrete path with its ids.
    event = app.current_event.raw_event
    return f"{event.get('httpMethod', '?')} {event.get('resource', '?')}"


def create_resolver(*, logger: Logger, cors_allowed_origins: Sequence[str] = ()) -> APIGatewayRestResolver:
    """An `APIGatewayRestResolver` whose errors are generic; CORS only for the listed origins."""
    cors = None
    if cors_allowed_origins:
        cors = CORSConfig(
            allow_origin=cors_allowed_origins[0],
            extra_origins=list(cors_allowed_origins[1:]),
            allow_headers=["Authorization", "Content-Type", IDEMPOTENCY_KEY_HEADER],
            max_age=300,
            allow_credentials=False,
        )
    app = APIGatewayRestResolver(cors=cors)

    def handle_service_error(error: ServiceError) -> Response[Any]:
        status_code = int(error.status_code)
        reason = error.msg if isinstance(error.msg, str) else "unspecified"
        log = logger.warning if status_code in (401, 403) else logger.info
        log("Request rejected", extra={"status_code": status_code, "reason": reason, "route": _route_label(app)})
        return error_response(status_code, correlation_id(app))

    def handle_unexpected_error(error: Exception) -> Response[Any]:
        details: dict[str, Any] = {
            "status_code": 500,
            "route": _route_label(app),
            "error_type": type(error).__name__,
            "stack": "".join(traceback.format_tb(error.__traceback__)),
        }
        if isinstance(error, ClientError):
            details["aws_error_code"] = error.response.get("Error", {}).get("Code")
        logger.error("Unhandled error", extra=details)
        return error_response(500, correlation_id(app))

    # The most specific handler wins: ServiceError (and NotFoundError for unknown routes) first.
    app.exception_handler(ServiceError)(handle_service_error)
    app.exception_handler(Exception)(handle_unexpected_error)
    # Before every route: one value per security-relevant header (kit_common.headers).
    app.use(middlewares=[refuse_duplicated_headers])
    return app


def guard_callers(app: APIGatewayRestResolver, *, service: str, require_admin: Callable[[Caller], None]) -> None:
    """Enforce each route's ``callers`` from the contract before the route runs.

    A route whose callers are "admins" first passes ``require_admin(caller)`` (which raises 403),
    so a caller who is not a current admin learns nothing about the path. "users" routes need
    only the caller (401 without a usable ``sub``), which every route asks for anyway.
    """
    admin_routes = {(route.method, route.path) for route in CONTRACT.routes_of(service) if route.callers == "admins"}

    def guard(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        event = app.current_event.raw_event
        if (event.get("httpMethod"), event.get("resource")) in admin_routes:
            require_admin(current_caller(app))
        return next_middleware(app)

    app.use(middlewares=[guard])
