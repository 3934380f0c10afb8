"""Read a synthesized cloud assembly's stacks: template, metadata and recorded acknowledgments.

Pure Python (JSON files only), shared by the summary, the acknowledgment check and the SARIF
writer, so they agree on where a construct path, a logical id and an acknowledgment come from.
The manifest is read by ``cloud_assembly.read_manifest`` (the one manifest reader).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cloud_assembly import NotAnAssemblyError, read_manifest

__all__ = [
    "ACKNOWLEDGED_RULES",
    "LOGICAL_ID",
    "NotAnAssemblyError",
    "RecordedAcknowledgment",
    "StackArtifact",
    "read_stacks",
]

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
LOGICAL_ID = "aws:cdk:logicalId"


@dataclass(frozen=True)
class RecordedAcknowledgment:
    """One acknowledgment as the assembly records it (qualified id, e.g. ``AwsSolutions::AwsSolutions-IAM5[...]``)."""

    stack: str
    path: str
    acknowledged_id: str
    reason: str

    @property
    def pack(self) -> str:
        return self.acknowledged_id.split("::", 1)[0] if "::" in self.acknowledged_id else ""

    @property
    def rule(self) -> str:
        """The rule id without the pack qualifier, as cdk-nag names findings."""
        return self.acknowledged_id.split("::", 1)[-1]


@dataclass(frozen=True)
class StackArtifact:
    """One stack of the assembly."""

    name: str
    template_file: Path
    template: dict[str, Any]
    metadata: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def acknowledgments(self) -> list[RecordedAcknowledgment]:
        found = []
        for path, entries in sorted(self.metadata.items()):
            for entry in entries:
                if entry.get("type") == ACKNOWLEDGED_RULES and isinstance(entry.get("data"), dict):
                    for rule, reason in sorted(entry["data"].items()):
                        found.append(RecordedAcknowledgment(self.name, path, rule, str(reason)))
        return found

    def resource_at(self, construct_path: str) -> tuple[str, dict[str, Any]] | None:
        """(logical id, resource) of the CloudFormation resource a construct path names, if any."""
        wanted = construct_path.strip("/")
        for logical_id, resource in self.template.get("Resources", {}).items():
            metadata = resource.get("Metadata") if isinstance(resource, dict) else None
            if isinstance(metadata, dict) and str(metadata.get("aws:cdk:path", "")).strip("/") == wanted:
                return logical_id, resource
        for path, entries in self.metadata.items():
            if path.strip("/") == wanted:
                for entry in entries:
                    if entry.get("type") == LOGICAL_ID and entry.get("data") in self.template.get("Resources", {}):
                        return entry["data"], self.template["Resources"][entry["data"]]
        return None

    def nearest_resource(self, construct_path: str) -> tuple[str, dict[str, Any]] | None:
        """The resource of ``construct_path``, else of its ``Resource`` child, else of its first descendant."""
        wanted = construct_path.strip("/")
        located = self.resource_at(wanted) or self.resource_at(f"{wanted}/Resource")
        if located is not None:
            return located
        for logical_id, resource in sorted(self.template.get("Resources", {}).items()):
            metadata = resource.get("Metadata") if isinstance(resource, dict) else None
            if isinstance(metadata, dict) and str(metadata.get("aws:cdk:path", "")).startswith(f"{wanted}/"):
                return logical_id, resource
        return None


def read_stacks(outdir: str | Path) -> list[StackArtifact]:
    """Every stack of the cloud assembly in ``outdir``, nested assemblies (CDK stages) included."""
    return [
        StackArtifact(stack.artifact_id, stack.template_file, _read_json(stack.template_file), stack.metadata())
        for stack in read_manifest(outdir)
    ]


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
