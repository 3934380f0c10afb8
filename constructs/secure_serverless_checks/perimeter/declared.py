"""Read a function's declared perimeter: the ``SecureServerless::Perimeter`` metadata.

The declaration is the yardstick: whatever the role can reach beyond it is a violation. A
malformed entry therefore declares nothing (it is reported and skipped), so a typo can never
widen what a function is allowed to reach. See docs/perimeter-metadata.md for the contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from secure_serverless_checks.access_levels import (
    DYNAMODB_TABLE,
    NETWORK_INTERFACES_WILDCARD,
    PERIMETER_METADATA_KEY,
    RESOURCE_TYPES,
    S3_PREFIX,
    actions_for,
    is_resource_less,
    kind_of_type,
)

from .control_plane import ControlPlaneEntry, read_control_plane
from .targets import is_pattern
from .template import TemplateIndex

SUPPORTED_VERSIONS = (1, 2)
#: From version 2 on, a shared entry must say why (``share_reason``).
SHARE_REASON_SINCE = 2
_CDK_NAG_RESOURCE = re.compile(r"^<(?P<id>[^.>]+)\.Arn>(?P<suffix>.*)$")
#: Resources a ``wildcards`` entry may name.
RECORDABLE_WILDCARD_RESOURCES = frozenset({"*", NETWORK_INTERFACES_WILDCARD})
_INTRINSIC = re.compile(r"\$\{(AWS::[A-Za-z]+)\}")


class ReachEntry(NamedTuple):
    """One declared resource: its kind, logical id, access level and the level's exact actions."""

    kind: str
    resource: str
    access: str
    actions: tuple[str, ...]
    indexes: tuple[str, ...] = ()
    prefix: str | None = None
    shared: bool = False
    share_reason: str = ""


@dataclass(frozen=True)
class WildcardEntry:
    """A wildcard the library had to write, with its reason: ``actions`` on ``resource``.

    Actions are kept lower-cased: IAM compares action names without regard to case.
    """

    actions: frozenset[str]
    resource: str
    reason: str


@dataclass(frozen=True)
class AssetSource:
    """A CDK asset object outside the assembly that a helper reads at deploy time (``s3:GetObject`` only)."""

    resource: str
    reason: str


#: A CDK asset object: an exact key (the asset's hash) in a bucket outside the assembly, never a pattern.
_ASSET_OBJECT = re.compile(r"^arn:(<AWS::Partition>|aws[a-z-]*):s3:::[a-z0-9.<>:A-Z-]+/[0-9a-f]{64}\.[a-z]+$")


@dataclass(frozen=True)
class Perimeter:
    """A function's declared perimeter."""

    role: str | None
    reach: tuple[ReachEntry, ...] = ()
    wildcards: tuple[WildcardEntry, ...] = ()
    #: Declared control-plane reach (``control_plane``): exact actions on exact resources, with a reason.
    control_plane: tuple[ControlPlaneEntry, ...] = ()
    #: Deploy-time sources outside the assembly (``asset_sources``): CDK asset objects a helper reads.
    asset_sources: tuple[AssetSource, ...] = ()

    def asset_source(self, action: str, resource_text: str) -> AssetSource | None:
        """The ``asset_sources`` entry naming exactly this object, for ``s3:GetObject`` (the only action)."""
        if action.lower() != "s3:getobject":
            return None
        written = _INTRINSIC.sub(r"<\1>", resource_text)
        return next((entry for entry in self.asset_sources if entry.resource == written), None)

    def control_plane_for(self, action: str, resource: str) -> ControlPlaneEntry | None:
        """The ``control_plane`` entry declaring exactly ``action`` on ``resource`` (a logical id or ARN)."""
        lowered = action.lower()
        for entry in self.control_plane:
            if lowered in entry.actions and resource in entry.resources:
                return entry
        return None

    def entries_for(self, logical_id: str) -> list[ReachEntry]:
        """The reach entries naming ``logical_id``, in declaration order (a new list each time)."""
        return list(self._entries_by_resource.get(logical_id, ()))

    @cached_property
    def _entries_by_resource(self) -> dict[str, list[ReachEntry]]:
        """The reach entries by resource: asked for every grant of the function, and for every shared resource."""
        found: dict[str, list[ReachEntry]] = {}
        for entry in self.reach:
            found.setdefault(entry.resource, []).append(entry)
        return found

    def declares_shared(self, logical_id: str) -> bool:
        entries = self.entries_for(logical_id)
        return bool(entries) and all(entry.shared for entry in entries)

    def exemption(self, action: str, resource_text: str) -> WildcardEntry | None:
        """The ``wildcards`` entry naming exactly this action on exactly this resource, if any.

        ``resource_text`` as the analyzer renders it (``${AWS::Region}``); the metadata writes
        intrinsics as ``<AWS::Region>`` (a ``${...}`` outside ``Fn::Sub`` is a template error)."""
        written = _INTRINSIC.sub(r"<\1>", resource_text)
        for entry in self.wildcards:
            if entry.resource == written and action.lower() in entry.actions:
                return entry
        return None


EMPTY = Perimeter(role=None)


def read_perimeter(index: TemplateIndex, function: str) -> tuple[Perimeter | None, list[str]]:
    """Parse the function's metadata. Returns (perimeter or None when absent, problems found)."""
    metadata = index.metadata(function)
    if PERIMETER_METADATA_KEY not in metadata:
        return None, []
    raw = metadata[PERIMETER_METADATA_KEY]
    if not isinstance(raw, dict):
        return EMPTY, [f"{PERIMETER_METADATA_KEY} must be an object, got {type(raw).__name__}"]
    problems: list[str] = []
    version = raw.get("version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        problems.append(f"version must be one of {list(SUPPORTED_VERSIONS)}, got {version!r}")
        version = max(SUPPORTED_VERSIONS)
    role = logical_id_of(raw.get("role"))
    if role is None:
        problems.append("'role' must name the logical id of the function's role")
    reach = [
        entry
        for position, item in enumerate(_list(raw, "reach", problems))
        if (entry := _reach_entry(index, item, f"reach[{position}]", problems, version)) is not None
    ]
    wildcards = [
        wildcard
        for position, item in enumerate(_list(raw, "wildcards", problems))
        if (wildcard := _wildcard_entry(item, f"wildcards[{position}]", problems)) is not None
    ]
    control_plane = read_control_plane(
        raw.get("control_plane"), has_resource=index.has, own=(role, function), where="control_plane", problems=problems
    )
    asset_sources = [
        source
        for position, item in enumerate(_list(raw, "asset_sources", problems))
        if (source := _asset_source(item, f"asset_sources[{position}]", problems)) is not None
    ]
    return Perimeter(role, tuple(reach), tuple(wildcards), control_plane, tuple(asset_sources)), problems


def _asset_source(item: Any, where: str, problems: list[str]) -> AssetSource | None:
    if not isinstance(item, dict):
        problems.append(f"{where} must be an object")
        return None
    resource, reason = item.get("resource"), item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}: an asset source needs a 'reason'")
        return None
    if not isinstance(resource, str) or not _ASSET_OBJECT.match(resource):
        problems.append(
            f"{where}: {resource!r} is not a CDK asset object: name one exact object "
            "'arn:<AWS::Partition>:s3:::<asset bucket>/<64-hex asset hash>.<ext>', never a pattern"
        )
        return None
    return AssetSource(resource, reason.strip())


def logical_id_of(value: Any) -> str | None:
    """A logical id written plainly, or as ``{"Ref": X}`` / ``{"Fn::GetAtt": [X, ...]}``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
    return None


def _list(raw: Mapping[str, Any], key: str, problems: list[str]) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        problems.append(f"'{key}' must be a list")
        return []
    return value


def _reach_entry(index: TemplateIndex, item: Any, where: str, problems: list[str], version: Any) -> ReachEntry | None:
    if not isinstance(item, dict):
        problems.append(f"{where} must be an object")
        return None
    kind, access = item.get("kind"), item.get("access")
    try:
        actions = actions_for(str(kind), str(access))
    except KeyError as error:
        problems.append(f"{where}: {error.args[0]}")
        return None
    resource = logical_id_of(item.get("resource"))
    expected_type = RESOURCE_TYPES[str(kind)]
    if resource is None:
        problems.append(f"{where}: 'resource' must be a logical id")
        return None
    if not index.has(resource):
        problems.append(f"{where}: resource {resource!r} is not in the template")
        return None
    if kind_of_type(index.type_of(resource)) != kind:
        problems.append(f"{where}: {resource} is an {index.type_of(resource)}, but kind {kind!r} is {expected_type}")
        return None
    shared = item.get("shared", False)
    if not isinstance(shared, bool):
        problems.append(f"{where}: 'shared' must be true or false, got {shared!r}")
        return None
    share_reason = item.get("share_reason", "")
    if not isinstance(share_reason, str):
        problems.append(f"{where}: 'share_reason' must be a string, got {share_reason!r}")
        return None
    if shared and not share_reason.strip() and isinstance(version, int) and version >= SHARE_REASON_SINCE:
        problems.append(f"{where}: a shared resource needs a 'share_reason' (version {version})")
        shared = False
    indexes = _indexes(index, resource, item, where, problems) if kind == DYNAMODB_TABLE else ()
    if kind != DYNAMODB_TABLE and "indexes" in item:
        problems.append(f"{where}: 'indexes' only applies to {DYNAMODB_TABLE}")
    prefix = item.get("prefix")
    if kind == S3_PREFIX and (not isinstance(prefix, str) or is_pattern(prefix)):
        problems.append(f"{where}: {S3_PREFIX} needs a 'prefix' string without wildcards, got {prefix!r}")
        return None
    if indexes is None:
        return None
    return ReachEntry(
        kind=str(kind),
        resource=resource,
        access=str(access),
        actions=actions,
        indexes=indexes,
        prefix=prefix if kind == S3_PREFIX else None,
        shared=shared,
        share_reason=share_reason.strip(),
    )


def _indexes(
    index: TemplateIndex, table: str, item: Mapping[str, Any], where: str, problems: list[str]
) -> tuple[str, ...] | None:
    names = item.get("indexes", [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        problems.append(f"{where}: 'indexes' must be a list of index names")
        return None
    defined = {
        definition.get("IndexName")
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        for definition in _list_value(index.properties(table).get(key))
        if isinstance(definition, dict) and isinstance(definition.get("IndexName"), str)
    }
    unknown = [name for name in names if name not in defined]
    if unknown:
        problems.append(f"{where}: {table} defines no index named {', '.join(sorted(unknown))}")
    return tuple(names)


def _list_value(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _wildcard_entry(item: Any, where: str, problems: list[str]) -> WildcardEntry | None:
    if not isinstance(item, dict):
        problems.append(f"{where} must be an object")
        return None
    actions, resource, reason = item.get("actions"), item.get("resource"), item.get("reason")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) and a for a in actions):
        problems.append(f"{where}: 'actions' must be a non-empty list of actions")
        return None
    if not isinstance(resource, str) or not resource:
        problems.append(f"{where}: 'resource' must be '*' or a resource such as 'Table/index/*'")
        return None
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}: a wildcard needs a 'reason'")
        return None
    nag_form = _CDK_NAG_RESOURCE.match(resource)
    if nag_form:
        resource = nag_form["id"] + nag_form["suffix"]
    # Whatever the reason, a wildcard may only stand for what IAM cannot scope: actions with no
    # resource-level permissions, on "*". Data actions and account-wide data reach never.
    scoped = sorted(action for action in actions if not is_resource_less(action))
    if scoped:
        problems.append(
            f"{where}: only actions without resource-level permissions may be recorded as wildcards "
            f"(such as xray:PutTraceSegments); not {', '.join(scoped)}: name the exact resources instead"
        )
        return None
    if resource not in RECORDABLE_WILDCARD_RESOURCES:
        problems.append(
            f"{where}: a recorded wildcard must be on resource '*' (or, for a function's network interfaces, "
            f"{NETWORK_INTERFACES_WILDCARD!r}), got {resource!r}"
        )
        return None
    return WildcardEntry(frozenset(action.lower() for action in actions), resource, reason.strip())
