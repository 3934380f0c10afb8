"""Record, in the synthesized template, what each function is meant to reach.

The perimeter analyzer (``secure_serverless.perimeter``) compares this declaration with what the
function's role can actually reach. The format is documented in docs/perimeter-metadata.md.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from .access_levels import PERIMETER_METADATA_KEY, actions_for


class PerimeterDeclaration:
    """The declared reach of one function: resources with access levels, and explained wildcards."""

    def __init__(self, function: cdk.CfnResource, role: cdk.CfnResource) -> None:
        self._stack = cdk.Stack.of(function)
        self._role = role
        self._reach: list[dict[str, Any]] = []
        self._wildcards: list[dict[str, Any]] = []
        self._function = function
        self._write()

    def _write(self) -> None:
        # addMetadata replaces the value under the key: rewrite the whole record on each change.
        self._function.add_metadata(PERIMETER_METADATA_KEY, self.to_metadata())

    def declare(
        self,
        *,
        kind: str,
        resource: cdk.CfnResource,
        access: str,
        shared: bool = False,
        indexes: tuple[str, ...] = (),
        prefix: str | None = None,
    ) -> tuple[str, ...]:
        """Declare a reach and return the exact actions its access level grants."""
        actions = actions_for(kind, access)
        entry: dict[str, Any] = {
            "kind": kind,
            "resource": self._stack.get_logical_id(resource),
            "access": access,
            "shared": shared,
        }
        if indexes:
            entry["indexes"] = list(indexes)
        if prefix is not None:
            entry["prefix"] = prefix
        self._reach.append(entry)
        self._write()
        return actions

    def explain_wildcard(self, *, actions: list[str], resource: str, reason: str) -> None:
        """Record a statement that must use a wildcard, with the reason also given to cdk-nag."""
        self._wildcards.append({"actions": sorted(actions), "resource": resource, "reason": reason})
        self._write()

    def to_metadata(self) -> dict[str, Any]:
        return {
            "version": 1,
            "role": self._stack.get_logical_id(self._role),
            "reach": self._reach,
            "wildcards": self._wildcards,
        }
