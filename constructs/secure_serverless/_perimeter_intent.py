"""Record, in the synthesized template, what each function is meant to reach.

The perimeter analyzer (``secure_serverless_checks.perimeter``) compares this declaration with what the
function's role can actually reach. The format is documented in docs/perimeter-metadata.md.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii

from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY, actions_for

from ._validation import is_token


class PerimeterDeclaration:
    """The declared reach of one function: resources with access levels, and explained wildcards."""

    def __init__(self, function: cdk.CfnResource, role: cdk.CfnResource) -> None:
        self._stack = cdk.Stack.of(function)
        self._role = role
        self._reach: list[dict[str, Any]] = []
        self._wildcards: list[dict[str, Any]] = []
        self._control_plane: list[dict[str, Any]] = []
        self._function = function
        # One record, produced when the template is rendered (each synth), from what was declared by
        # then: not rewritten on each change (two round trips to Node.js each time).
        function.add_metadata(PERIMETER_METADATA_KEY, cdk.Lazy.uncached_any(_Record(self)))

    def declare(
        self,
        *,
        kind: str,
        resource: cdk.CfnResource,
        access: str,
        share_reason: str | None = None,
        indexes: tuple[str, ...] = (),
        prefix: str | None = None,
    ) -> tuple[str, ...]:
        """Declare a reach and return the exact actions its access level grants.

        ``share_reason`` marks the resource as deliberately reached by other functions too.
        """
        actions = actions_for(kind, str(access))
        entry: dict[str, Any] = {
            "kind": kind,
            "resource": self._stack.get_logical_id(resource),
            "access": str(access),
            "shared": share_reason is not None,
        }
        if share_reason is not None:
            entry["share_reason"] = share_reason
        if indexes:
            entry["indexes"] = list(indexes)
        if prefix is not None:
            entry["prefix"] = prefix
        self._reach.append(entry)
        return actions

    def _resolved(self, logical_id: str) -> Any:
        """``get_logical_id`` gives the allocated id as text; a Stack subclass might give a token."""
        return self._stack.resolve(logical_id) if is_token(logical_id) else logical_id

    def _entries_of(self, resource: cdk.CfnResource) -> list[dict[str, Any]]:
        """The reach entries that name ``resource``."""
        wanted = self._resolved(self._stack.get_logical_id(resource))
        return [entry for entry in self._reach if self._resolved(entry["resource"]) == wanted]

    def mark_shared(self, resource: cdk.CfnResource, reason: str) -> None:
        """Record that a resource this function reaches is now reached by another function too."""
        for entry in self._entries_of(resource):
            entry["shared"] = True
            entry.setdefault("share_reason", reason)

    def covers(self, resource: cdk.CfnResource, actions: tuple[str, ...]) -> bool:
        """True when the declared access levels on ``resource`` already include ``actions``."""
        held = {
            action for entry in self._entries_of(resource) for action in actions_for(entry["kind"], entry["access"])
        }
        return set(actions) <= held

    def explain_wildcard(self, *, actions: list[str], resource: str, reason: str) -> None:
        """Record a statement that must use a wildcard, with the reason also given to cdk-nag."""
        self._wildcards.append({"actions": sorted(actions), "resource": resource, "reason": reason})

    def declare_control_plane(self, *, actions: list[str], resources: list[str], reason: str) -> None:
        """Record a control-plane reach: exact actions on exact resources (logical ids or ARNs)."""
        self._control_plane.append({"actions": sorted(actions), "resources": resources, "reason": reason})

    def to_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "version": 2,
            "role": self._stack.get_logical_id(self._role),
            "reach": self._reach,
            "wildcards": self._wildcards,
        }
        if self._control_plane:  # absent unless declared: templates without one stay unchanged
            metadata["control_plane"] = self._control_plane
        return metadata


@jsii.implements(cdk.IAnyProducer)
class _Record:
    """Produces a declaration's record when CDK renders the template (one call from Node.js per synth)."""

    def __init__(self, declaration: PerimeterDeclaration) -> None:
        self._declaration = declaration

    def produce(self, context: Any = None) -> Any:  # jsii passes no usable resolve context; none is needed
        return self._declaration.to_metadata()
