"""Response builders: JSON bodies with headers that keep personal data out of caches."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from .errors import generic_message

__all__ = ["SECURITY_HEADERS", "error_response", "json_response", "no_content"]

# Responses carry personal data and short-lived signed URLs: no cache may keep them.
SECURITY_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def json_response(status_code: int, body: Any) -> Response[Any]:
    """A JSON response with the security headers."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=dict(SECURITY_HEADERS),
    )


def no_content() -> Response[Any]:
    """204 without a body."""
    return Response(status_code=204, body="", headers=dict(SECURITY_HEADERS))


def error_response(status_code: int, correlation_id: str | None) -> Response[Any]:
    """The only error shape clients see: a generic message and the id to quote to support."""
    return json_response(
        status_code,
        {"message": generic_message(status_code), "correlationId": correlation_id or "unknown"},
    )
