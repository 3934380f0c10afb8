"""HTTP errors raised by handlers and the generic messages clients see for them.

A raised error's `msg` is an internal reason for the logs only (never client data); the client
always receives the generic message of the status code.
"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    RequestEntityTooLargeError,
    ServiceError,
    UnauthorizedError,
)

__all__ = [
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ServiceError",
    "UnauthorizedError",
    "generic_message",
]

PayloadTooLargeError = RequestEntityTooLargeError

_GENERIC_MESSAGES: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Unprocessable request",
    500: "Internal server error",
}


class ConflictError(ServiceError):
    """409: the write's condition failed (stale version, id collision)."""

    def __init__(self, msg: str = "Conflict"):
        super().__init__(HTTPStatus.CONFLICT, msg)


def generic_message(status_code: int) -> str:
    """The client-facing message of a status code: fixed text, never details of the failure."""
    if status_code in _GENERIC_MESSAGES:
        return _GENERIC_MESSAGES[status_code]
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"
