"""The largest request bodies the reference app's models allow, as real clients send them.

Each string is at its maxLength of the character whose JSON text is widest: a character outside
the Basic Multilingual Plane (4 bytes of UTF-8, e.g. what JavaScript's JSON.stringify sends),
or, where the schema allows control characters, one escaped as ``\\u0001`` (6 bytes). Numbers
are at their maximum. Tests prove each body valid against its schema, accepted by its handler,
and no larger than the WAF's body limit (issue 11, finding 2).
"""

from __future__ import annotations

import json
from typing import Any

WIDE = "\U0001f600"  # 4 bytes in UTF-8
CONTROL = "\x01"  # 6 bytes as the JSON escape \u0001


def _note(content_character: str) -> dict[str, Any]:
    return {"title": WIDE * 200, "content": content_character * 8000}


LARGEST_BODIES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("notes", "create_note"): [_note(WIDE), _note(CONTROL)],
    ("notes", "update_note"): [{**_note(WIDE), "version": 1_000_000_000}, {**_note(CONTROL), "version": 1_000_000_000}],
    ("profiles", "put_profile"): [{"displayName": WIDE * 64, "bio": CONTROL * 1000}],
    ("files", "create_upload"): [
        {"fileName": WIDE * 255, "contentType": "a" * 63 + "/" + "b" * 63, "size": 5_368_709_120}
    ],
}


def wire_bytes(body: dict[str, Any]) -> bytes:
    """The body as a UTF-8 client sends it (characters as UTF-8, control characters escaped)."""
    return json.dumps(body, ensure_ascii=False, separators=(", ", ": ")).encode("utf-8")
