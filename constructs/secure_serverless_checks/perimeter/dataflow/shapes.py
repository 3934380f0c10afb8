"""Small readers of template shapes the edge readers share: lists, JSON strings, key prefixes,
S3 filter prefixes, and finding a key or a marker anywhere under a property.

Pure functions over the JSON of one property; they never resolve intrinsics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from .graph import NodeKey


def text(value: Any) -> str:
    """A literal key prefix; anything else (an intrinsic) is read as the whole bucket, which overlaps all."""
    return value if isinstance(value, str) else ""


def default_bus(template: str) -> NodeKey:
    return (template, "<default event bus>", "")


def list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def key_head(suffix: str) -> str:
    """The literal start of an object key: ``/files/*`` -> ``files/``; a Firehose ``!{...}`` ends it too."""
    key = suffix[1:] if suffix.startswith("/") else suffix
    for position, character in enumerate(key):
        if character in "*?" or key.startswith("!{", position):
            return key[:position]
    return key


def filter_prefix(rule: Mapping[str, Any]) -> str:
    rule_filter = rule.get("Filter")
    for holder in (rule_filter, rule_filter.get("And") if isinstance(rule_filter, dict) else None, rule):
        if isinstance(holder, dict) and isinstance(holder.get("Prefix"), str):
            return str(holder["Prefix"])
    return ""


def notification_prefix(notification_filter: Any) -> str:
    """The ``prefix`` rule of an S3 notification filter (CloudFormation's or CDK's spelling)."""
    if not isinstance(notification_filter, dict):
        return ""
    key = notification_filter.get("S3Key") or notification_filter.get("Key")
    rules = (key.get("Rules") or key.get("FilterRules")) if isinstance(key, dict) else None
    for rule in list_of(rules):
        if (
            isinstance(rule, dict)
            and str(rule.get("Name", "")).lower() == "prefix"
            and isinstance(rule.get("Value"), str)
        ):
            return str(rule["Value"])
    return ""


def outside(sym: tuple[Any, ...]) -> bool:
    return all(isinstance(part, str) or part.kind == "pseudo" for part in sym)


def find(value: Any, key: str, where: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of every ``key`` anywhere under ``value``."""
    if isinstance(value, dict) and cfn_intrinsics.intrinsic(value) is None:
        for name, child in value.items():
            path = f"{where}.{name}"
            if name == key:
                yield path, child
            else:
                yield from find(child, key, path)
    elif isinstance(value, list):
        for position, child in enumerate(value):
            yield from find(child, key, f"{where}[{position}]")


def parent(root: Any, path: str, start: str) -> Any:
    """The object holding the value at ``path`` (as ``_find`` spells it)."""
    steps = re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[len(start) :])
    value = root
    for name, position in steps[:-1]:
        value = value[int(position)] if position else value.get(name)
    return value


def strings_with(value: Any, marker: str, where: str) -> Iterator[tuple[str, Any]]:
    """Every string, ``Fn::Sub`` or ``Fn::Join`` under ``value`` whose text contains ``marker``."""
    call = cfn_intrinsics.intrinsic(value)
    if isinstance(value, str):
        if marker in value:
            yield where, value
    elif call is not None:
        if call[0] in ("Fn::Sub", "Fn::Join") and contains(value, marker):
            yield where, value
        elif call[0] == "Fn::If" or call[0] == "Fn::Select":
            yield from strings_with(call[1], marker, where)
    elif isinstance(value, dict):
        for name, child in value.items():
            yield from strings_with(child, marker, f"{where}.{name}")
    elif isinstance(value, list):
        for position, child in enumerate(value):
            yield from strings_with(child, marker, f"{where}[{position}]")


def contains(value: Any, marker: str) -> bool:
    if isinstance(value, str):
        return marker in value
    if isinstance(value, dict):
        return any(contains(child, marker) for child in value.values())
    if isinstance(value, list):
        return any(contains(child, marker) for child in value)
    return False
