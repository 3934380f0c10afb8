"""Small readers of a synthesized CloudFormation template, shared by the diagrams."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

Template = Mapping[str, Any]
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(value: Any) -> set[str]:
    """Logical ids that ``value`` refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), pseudo parameters excluded."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, inner in node.items():
                if key == "Ref" and isinstance(inner, str):
                    found.add(inner)
                elif key == "Fn::GetAtt":
                    target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                    found.add(str(target))
                elif key == "Fn::Sub":
                    text = inner[0] if isinstance(inner, list) else inner
                    found.update(_SUB_REFERENCE.findall(str(text)))
                    if isinstance(inner, list) and len(inner) > 1:
                        walk(inner[1])
                else:
                    walk(inner)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return {ref for ref in found if not ref.startswith("AWS::")}


def resources_of(template: Template, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(logical id, resource)`` of the given types, sorted by logical id (stable output)."""
    for logical_id, resource in sorted(template.get("Resources", {}).items()):
        if resource.get("Type") in types:
            yield logical_id, resource


def properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    value: Mapping[str, Any] = resource.get("Properties") or {}
    return value


def short_name(template: Template, logical_id: str) -> str:
    """The construct path without the stack and the trailing ``Resource`` parts (``Notes/Table``)."""
    resource = template.get("Resources", {}).get(logical_id, {})
    path = str((resource.get("Metadata") or {}).get("aws:cdk:path", logical_id))
    parts = path.split("/")[1:] or [logical_id]
    while len(parts) > 1 and parts[-1] == "Resource":
        parts.pop()
    return "/".join(parts)
