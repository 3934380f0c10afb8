"""The one reader of a cloud assembly's ``manifest.json``: which stacks it holds and where their files are.

Pure Python (JSON only). Every consumer reads the manifest through ``read_manifest``: the perimeter
loader (templates and environments), the acknowledgment/SARIF/summary reader ``_assembly``
(templates and metadata) and local mode's deployer (stack dependencies and file-asset manifests).
It parses only the manifest; each consumer parses the templates it needs its own way.

Nested assemblies (CDK stages, ``cdk:cloud-assembly`` artifacts) are followed; their stacks carry
the stage path (``Stage/``) in ``path_prefix``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
ASSET_MANIFEST = "cdk:asset-manifest"


class AssemblyError(ValueError):
    """The cloud assembly cannot be read; the message names the file and the problem."""


class NotAnAssemblyError(AssemblyError):
    """The directory is not a cloud assembly (no manifest.json)."""


class ManifestFormatError(AssemblyError):
    """``manifest.json`` is not readable JSON."""


class ManifestStructureError(AssemblyError):
    """``manifest.json`` lacks what a cloud assembly manifest has (artifacts, a stack's templateFile)."""


class TemplateFileMissingError(AssemblyError):
    """A stack's template file, named by the manifest, is not in the assembly."""


@dataclass(frozen=True)
class Environment:
    """Account and region a stack deploys to, when the cloud assembly says (else None)."""

    account: str | None = None
    region: str | None = None

    @classmethod
    def parse(cls, value: object) -> Environment:
        """``aws://123456789012/eu-west-1`` -> account and region; ``unknown-*`` parts are None."""
        if not isinstance(value, str) or not value.startswith("aws://"):
            return cls()
        account, _, region = value[len("aws://") :].partition("/")
        return cls(
            account if account and not account.startswith("unknown-") else None,
            region if region and not region.startswith("unknown-") else None,
        )


@dataclass(frozen=True)
class ManifestStack:
    """One stack artifact of the manifest (of the top assembly or of a nested one)."""

    artifact_id: str
    path_prefix: str  # "" at the top, "Stage/" inside a stage's nested assembly
    directory: Path  # the (nested) assembly directory the paths below are relative to
    template_file: Path
    environment: Environment
    dependencies: tuple[str, ...]  # artifact ids of the stacks it depends on
    asset_manifests: tuple[Path, ...]  # the cdk:asset-manifest files it depends on
    metadata_file: Path | None  # additionalMetadataFile, when it exists
    inline_metadata: dict[str, list[dict[str, Any]]]  # the manifest's own "metadata"

    @property
    def name(self) -> str:
        """The stack's name as the kit's reports print it: ``Stage/Stack`` in a stage, else its id."""
        return self.path_prefix + self.artifact_id

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        """Construct path -> metadata entries (acknowledgments, logical ids), from whichever file has them."""
        if self.metadata_file is not None:
            loaded = _read_json(self.metadata_file)
            return loaded if isinstance(loaded, dict) else {}
        return self.inline_metadata


def is_assembly(directory: str | Path) -> bool:
    return (Path(directory) / MANIFEST).is_file()


def read_manifest(directory: str | Path) -> list[ManifestStack]:
    """Every stack artifact of the assembly in ``directory``, nested assemblies included, sorted by id.

    Raises ``NotAnAssemblyError`` (no manifest.json), ``ManifestFormatError``,
    ``ManifestStructureError`` or ``TemplateFileMissingError``.
    """
    directory = Path(directory)
    if not is_assembly(directory):
        raise NotAnAssemblyError(
            f"{directory} is not a cloud assembly (no {MANIFEST}); synthesize first (make synth, or cdk synth)"
        )
    return list(_stacks(directory, ""))


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _stacks(directory: Path, prefix: str) -> Iterator[ManifestStack]:
    manifest_path = directory / MANIFEST
    try:
        manifest = _read_json(manifest_path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ManifestFormatError(f"{manifest_path}: not a readable JSON manifest: {error}") from error
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise ManifestStructureError(f"{manifest_path}: no 'artifacts' object")
    for artifact_id, artifact in sorted(artifacts.items()):
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        if artifact.get("type") == NESTED_ASSEMBLY and isinstance(properties.get("directoryName"), str):
            stage = properties.get("displayName") or artifact_id
            yield from _stacks(directory / properties["directoryName"], f"{prefix}{stage}/")
            continue
        if artifact.get("type") != STACK_ARTIFACT:
            continue
        template_name = properties.get("templateFile")
        if not isinstance(template_name, str):
            raise ManifestStructureError(f"{manifest_path}: stack {artifact_id!r} has no templateFile")
        template_file = directory / template_name
        if not template_file.is_file():
            raise TemplateFileMissingError(f"{template_file}: template of stack {artifact_id!r} not found")
        dependencies = [dep for dep in artifact.get("dependencies", []) if isinstance(dep, str)]
        metadata_file = directory / str(artifact.get("additionalMetadataFile", f"{artifact_id}.metadata.json"))
        inline = artifact.get("metadata")
        yield ManifestStack(
            artifact_id=artifact_id,
            path_prefix=prefix,
            directory=directory,
            template_file=template_file,
            environment=Environment.parse(artifact.get("environment")),
            dependencies=tuple(dep for dep in dependencies if _type_of(artifacts, dep) == STACK_ARTIFACT),
            asset_manifests=tuple(
                directory / artifacts[dep]["properties"]["file"]
                for dep in dependencies
                if _type_of(artifacts, dep) == ASSET_MANIFEST
                and isinstance(artifacts[dep].get("properties", {}).get("file"), str)
            ),
            metadata_file=metadata_file if metadata_file.is_file() else None,
            inline_metadata=inline if isinstance(inline, dict) else {},
        )


def _type_of(artifacts: dict[str, Any], artifact_id: str) -> object:
    artifact = artifacts.get(artifact_id)
    return artifact.get("type") if isinstance(artifact, dict) else None
