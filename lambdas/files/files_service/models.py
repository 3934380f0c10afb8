"""Types of the files service."""

from __future__ import annotations

from dataclasses import dataclass

PENDING = "pending"
UPLOADED = "uploaded"


@dataclass(frozen=True)
class Limits:
    """The function's configured bounds (from its environment, read by app.py)."""

    allowed_content_types: frozenset[str]
    max_upload_bytes: int
    url_expiry_seconds: int
    max_pending_uploads: int
    user_quota_bytes: int


@dataclass(frozen=True)
class Usage:
    """What one owner holds now: uploads whose link can still write, and bytes of all files."""

    pending_uploads: int
    stored_bytes: int


@dataclass(frozen=True)
class ObjectHead:
    """What S3 holds under a key (HeadObject)."""

    size: int
    content_type: str
    etag: str
