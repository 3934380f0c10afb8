"""The caller's identity, taken only from the claims the Cognito authorizer verified."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import UnauthorizedError

__all__ = ["SUB_PATTERN", "Caller", "caller_from_event", "is_valid_sub", "parse_groups"]

# A Cognito `sub` is a UUID; the looser pattern still keeps "/" and ".." out of S3 keys.
SUB_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's subject and its groups."""

    sub: str
    groups: frozenset[str]

    def is_member(self, group: str) -> bool:
        return group in self.groups


def is_valid_sub(value: object) -> bool:
    return isinstance(value, str) and SUB_PATTERN.fullmatch(value) is not None


def parse_groups(raw: object) -> frozenset[str]:
    """Parse `cognito:groups` as API Gateway passes it.

    REST API authorizers flatten the claim to a string: "admins", "[admins, editors]",
    "admins,editors" or a JSON array; a list is accepted too. Membership is exact names only:
    "notadmins" never grants "admins".
    """
    items: list[object]
    if isinstance(raw, list | tuple):
        items = list(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        parsed: object = None
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        # Cognito group names never contain whitespace or commas.
        items = list(parsed) if isinstance(parsed, list) else list(re.split(r"[,\s]+", text.strip("[]")))
    else:
        return frozenset()
    names = (item.strip().strip("\"'") for item in items if isinstance(item, str))
    return frozenset(name for name in names if name)


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    """The caller of a REST API (v1) proxy event; 401 without a usable `sub` claim."""
    request_context = event.get("requestContext")
    authorizer = request_context.get("authorizer") if isinstance(request_context, Mapping) else None
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if not isinstance(claims, Mapping):
        raise UnauthorizedError("no authorizer claims")
    sub = claims.get("sub")
    if not is_valid_sub(sub):
        raise UnauthorizedError("missing or malformed sub claim")
    assert isinstance(sub, str)
    return Caller(sub=sub, groups=parse_groups(claims.get("cognito:groups")))
