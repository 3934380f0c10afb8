"""Retries that do not duplicate: the ``Idempotency-Key`` header, with Powertools Idempotency.

A client that retries ``POST /notes`` or ``POST /files`` after a timeout sends the same
``Idempotency-Key``; the function answers the repeat with the first result instead of creating
a second item. The key is scoped to the caller (the token's ``sub``), so one user's key can never
return another user's result; a repeat with another body is refused (422), a repeat while the
first request still runs is refused (409). Without the header a request is simply processed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from .errors import BadRequestError, ConflictError, ServiceError

__all__ = ["IDEMPOTENCY_KEY_HEADER", "create_once", "idempotency_config", "idempotency_key", "idempotent_errors"]

Created = dict[str, Any]

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
#: A UUID, a ULID or any opaque token a client generates: 8 to 128 URL-safe characters.
_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")


def idempotency_config(*, expires_after_seconds: int) -> IdempotencyConfig:
    """The record key is [owner, key]; the body must be the same on every repeat."""
    return IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )


def idempotency_key(headers: dict[str, Any] | None) -> str | None:
    """The request's Idempotency-Key (header names are case-insensitive); 400 when malformed."""
    for name, value in (headers or {}).items():
        if name.lower() == IDEMPOTENCY_KEY_HEADER.lower():
            if not isinstance(value, str) or not _KEY.fullmatch(value):
                raise BadRequestError("malformed Idempotency-Key header")
            return value
    return None


@contextmanager
def idempotent_errors() -> Iterator[None]:
    """Powertools' idempotency errors as the HTTP answers clients expect."""
    try:
        yield
    except IdempotencyValidationError:
        raise ServiceError(HTTPStatus.UNPROCESSABLE_ENTITY, "Idempotency-Key reused with another body") from None
    except IdempotencyAlreadyInProgressError:
        raise ConflictError("the first request with this Idempotency-Key is still running") from None


def create_once(
    *,
    key: str | None,
    owner: str,
    body: dict[str, Any],
    create: Callable[[str, dict[str, Any]], Created],
    idempotent_create: Callable[..., Created],
) -> Created:
    """``create(owner, body)``; with a key, through ``idempotent_create`` (the function's
    ``@idempotent_function``, data keyword ``request`` = {owner, key, body})."""
    if key is None:
        return create(owner, body)
    with idempotent_errors():
        return idempotent_create(request={"owner": owner, "key": key, "body": body})
