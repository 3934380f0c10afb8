"""Identifiers, timestamps and DynamoDB helpers shared by the functions."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

__all__ = ["is_condition_check_failure", "is_valid_id", "new_id", "to_int", "utc_now_iso"]

_ID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_id() -> str:
    """A random UUID version 7: time-ordered, so a sort key of these lists in creation order."""
    unix_ms = time.time_ns() // 1_000_000
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= secrets.randbits(12) << 64
    value |= 0b10 << 62
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))


def is_valid_id(value: object) -> bool:
    """Whether `value` has the form of an id the service generates (lowercase UUID)."""
    return isinstance(value, str) and _ID_PATTERN.fullmatch(value) is not None


def utc_now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a Z suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_int(value: Any) -> int:
    """A DynamoDB number (Decimal through the resource API) as int."""
    return int(value) if isinstance(value, Decimal | int) else int(str(value))


def is_condition_check_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
