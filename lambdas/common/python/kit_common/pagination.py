"""Page size and opaque cursors for DynamoDB queries.

A cursor is the base64url (unpadded) JSON of a DynamoDB key. It is not trusted when it comes
back: it must decode to exactly the expected string attributes, and its partition key must be
the caller's, so a cursor can never reach another owner's items.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import BadRequestError

__all__ = ["MAX_CURSOR_LENGTH", "decode_cursor", "encode_cursor", "parse_limit"]

MAX_CURSOR_LENGTH = 1024
_CURSOR_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    """A page size in [1, maximum]; `default` when absent; 400 otherwise."""
    if raw is None:
        return min(default, maximum)
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        raise BadRequestError("limit is not a whole number")
    limit = int(raw)
    if not 1 <= limit <= maximum:
        raise BadRequestError("limit out of range")
    return limit


def encode_cursor(key: Mapping[str, Any]) -> str:
    text = json.dumps(dict(key), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, *, key_names: tuple[str, ...], owner_attribute: str, owner: str) -> dict[str, str]:
    """The DynamoDB key inside `cursor`; 400 if it is malformed or not the owner's."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not _CURSOR_PATTERN.fullmatch(cursor):
        raise BadRequestError("cursor is malformed")
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(decoded.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        raise BadRequestError("cursor is malformed") from None
    if (
        not isinstance(key, dict)
        or set(key) != set(key_names)
        or not all(isinstance(value, str) and value for value in key.values())
    ):
        raise BadRequestError("cursor is malformed")
    if key[owner_attribute] != owner:
        raise BadRequestError("cursor belongs to another owner")
    return key
