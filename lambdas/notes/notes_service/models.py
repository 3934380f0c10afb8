"""Types of the notes service: what is stored, what a client receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kit_common import to_int

#: The table's key attributes (partition: the token's ``sub``; sort: a server-generated UUIDv7).
KEY_NAMES = ("ownerId", "noteId")
#: What a list returns of each note: no content.
SUMMARY_ATTRIBUTES = ("noteId", "title", "version", "createdAt", "updatedAt")


@dataclass(frozen=True)
class Note:
    """One note of one owner; ``version`` counts its writes (optimistic locking)."""

    owner_id: str
    note_id: str
    title: str
    version: int
    created_at: str
    updated_at: str
    content: str = ""

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Note:
        return cls(
            owner_id=str(item.get("ownerId", "")),
            note_id=str(item["noteId"]),
            title=str(item["title"]),
            version=to_int(item["version"]),
            created_at=str(item["createdAt"]),
            updated_at=str(item["updatedAt"]),
            content=str(item.get("content", "")),
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "ownerId": self.owner_id,
            "noteId": self.note_id,
            "title": self.title,
            "content": self.content,
            "version": self.version,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def to_json(self, *, with_content: bool = True) -> dict[str, Any]:
        """The response body of one note (without its content in a list)."""
        body: dict[str, Any] = {
            "noteId": self.note_id,
            "title": self.title,
            "version": self.version,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
        if with_content:
            body["content"] = self.content
        return body


@dataclass(frozen=True)
class NotePage:
    """One page of the caller's notes, newest first, and the cursor of the next page."""

    notes: tuple[Note, ...]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"items": [note.to_json(with_content=False) for note in self.notes], "nextCursor": self.next_cursor}
