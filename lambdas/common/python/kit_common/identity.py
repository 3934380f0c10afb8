"""The caller's identity, taken only from the claims the Cognito authorizer verified."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import GROUP_NAME_PATTERN
from .errors import UnauthorizedError

__all__ = ["SUB_PATTERN", "Caller", "GroupClaim", "caller_from_event", "is_valid_sub", "parse_groups"]

# A Cognito `sub` is a UUID; the looser pattern still keeps "/" and ".." out of S3 keys.
SUB_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_GROUP_NAME = re.compile(GROUP_NAME_PATTERN)


@dataclass(frozen=True)
class GroupClaim:
    """The groups named by `cognito:groups`, and whether the claim can be read only one way.

    A REST API's Cognito authorizer flattens the token's group list to one string joined with
    commas ("admins", "admins,editors"). Cognito allows commas, brackets, quotes and spaces in
    group names, so "readers,admins" may be two groups or one group named "readers,admins".
    Such a claim is ambiguous: it names candidates, never memberships.
    """

    names: frozenset[str]
    ambiguous: bool

    def includes(self, group: str) -> bool:
        """Membership that the claim alone proves: an unambiguous claim naming `group` exactly."""
        return not self.ambiguous and group in self.names

    def may_include(self, group: str) -> bool:
        """Whether `group` is one possible reading of the claim (for a check against Cognito itself)."""
        return group in self.names


NO_GROUPS = GroupClaim(names=frozenset(), ambiguous=False)


def parse_groups(raw: object) -> GroupClaim:
    """Parse `cognito:groups` exactly as a REST API delivers it: group names joined with commas.

    One name matching the contract's group-name pattern is unambiguous. A claim with a comma
    could be one group whose name contains that comma, so it is ambiguous; so is any item
    outside the pattern (brackets, quotes, spaces, an empty item). A list (the JWT's own form,
    e.g. from another integration) is unambiguous when every item is a well-formed name.
    """
    if raw is None or raw == "":
        return NO_GROUPS
    if isinstance(raw, list | tuple):
        items = [item for item in raw if isinstance(item, str)]
        well_formed = len(items) == len(raw) and all(_GROUP_NAME.fullmatch(item) for item in items)
        return GroupClaim(names=frozenset(items), ambiguous=not well_formed)
    if not isinstance(raw, str):
        return GroupClaim(names=frozenset(), ambiguous=True)
    items = raw.split(",")
    well_formed = all(_GROUP_NAME.fullmatch(item) for item in items)
    return GroupClaim(names=frozenset(items), ambiguous=len(items) > 1 or not well_formed)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's subject, its user name and its group claim."""

    sub: str
    groups: GroupClaim
    username: str | None = None

    def is_member(self, group: str) -> bool:
        """Membership proven by the claim alone (False whenever the claim is ambiguous)."""
        return self.groups.includes(group)


def is_valid_sub(value: object) -> bool:
    return isinstance(value, str) and SUB_PATTERN.fullmatch(value) is not None


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
    username = claims.get("cognito:username")
    return Caller(
        sub=sub,
        groups=parse_groups(claims.get("cognito:groups")),
        username=username if isinstance(username, str) and username else None,
    )
