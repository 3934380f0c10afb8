"""Types of the profiles service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Profile:
    """One user's profile, keyed by the user's ``sub``."""

    user_id: str
    display_name: str
    bio: str
    created_at: str | None
    updated_at: str | None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Profile:
        return cls(
            user_id=str(item["userId"]),
            display_name=str(item.get("displayName", "")),
            bio=str(item.get("bio", "")),
            created_at=item.get("createdAt"),
            updated_at=item.get("updatedAt"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "displayName": self.display_name,
            "bio": self.bio,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
