"""One value per security-relevant request header, or the request is refused.

A REST API delivers a repeated header twice: ``headers`` keeps the last value,
``multiValueHeaders`` keeps all of them. Layers that read different copies disagree: a WAF rule,
the authorizer, the request validator and a handler could each see another ``Authorization``,
``Content-Type`` or ``Idempotency-Key``. The kit's rule: a request that repeats one of these
headers (names compared case-insensitively) is refused with 400 before any route runs, so no
layer ever has to choose a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import BadRequestError
from .idempotency import IDEMPOTENCY_KEY_HEADER

__all__ = ["SINGLE_VALUE_HEADERS", "refuse_duplicated_headers", "repeated_headers"]

#: Headers whose copies could be read differently by different layers.
SINGLE_VALUE_HEADERS: frozenset[str] = frozenset(
    {"authorization", "content-type", "content-length", "host", IDEMPOTENCY_KEY_HEADER.lower()}
)


def repeated_headers(event: Mapping[str, Any]) -> list[str]:
    """The security-relevant headers the event carries more than once (lower case, sorted)."""
    counts: dict[str, int] = {}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if not isinstance(name, str):
            continue
        lowered = name.lower()
        if lowered in SINGLE_VALUE_HEADERS:
            counts[lowered] = counts.get(lowered, 0) + (len(values) if isinstance(values, list) else 1)
    return sorted(name for name, count in counts.items() if count > 1)


def refuse_duplicated_headers(app: Any, next_middleware: Callable[[Any], Any]) -> Any:
    """Powertools middleware: 400 for a request that repeats a ``SINGLE_VALUE_HEADERS`` header."""
    repeated = repeated_headers(app.current_event.raw_event)
    if repeated:
        raise BadRequestError(f"repeated headers: {', '.join(repeated)}")
    return next_middleware(app)
