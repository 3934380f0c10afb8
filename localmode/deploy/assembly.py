"""A cloud assembly as local mode reads it (``manifest.json``: stacks in dependency order, their
file assets) and the publishing of those assets to the emulator's bootstrap bucket."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secure_serverless_checks.cloud_assembly import read_manifest

from ..emulator import ACCOUNT_ID, Emulator
from .handling import DeployError, UnsupportedResourceError


@dataclass(frozen=True)
class FileAsset:
    source: Path
    packaging: str  # "zip" (a folder) or "file"
    bucket: str  # with ${AWS::AccountId} / ${AWS::Region} / ${AWS::Partition} placeholders
    key: str


@dataclass(frozen=True)
class StackArtifact:
    name: str
    template_path: Path
    template: dict[str, Any]
    assets: tuple[FileAsset, ...]
    dependencies: tuple[str, ...]

    def asset_for_key(self, key: str) -> FileAsset | None:
        return next((asset for asset in self.assets if asset.key == key), None)


@dataclass(frozen=True)
class Assembly:
    directory: Path
    stacks: tuple[StackArtifact, ...]  # in deployment order

    def stack(self, name: str) -> StackArtifact:
        for stack in self.stacks:
            if stack.name == name:
                return stack
        raise KeyError(name)


def load_assembly(directory: Path) -> Assembly:
    """Read ``manifest.json`` of a cloud assembly: stacks in dependency order, with their file assets."""
    directory = Path(directory)
    stacks: dict[str, StackArtifact] = {}
    for stack in read_manifest(directory):  # the one manifest reader (secure_serverless_checks)
        assets: list[FileAsset] = []
        for asset_manifest_file in stack.asset_manifests:
            asset_manifest = json.loads(asset_manifest_file.read_text())
            if asset_manifest.get("dockerImages"):
                raise UnsupportedResourceError(
                    f"stack {stack.name} has container image assets: local mode runs no Docker images"
                )
            for entry in asset_manifest.get("files", {}).values():
                source = entry["source"]
                for destination in entry["destinations"].values():
                    assets.append(
                        FileAsset(
                            source=stack.directory / source["path"],
                            packaging=source.get("packaging", "file"),
                            bucket=destination["bucketName"],
                            key=destination["objectKey"],
                        )
                    )
        stacks[stack.artifact_id] = StackArtifact(
            stack.artifact_id,
            stack.template_file,
            json.loads(stack.template_file.read_text()),
            tuple(assets),
            stack.dependencies,
        )
    ordered: list[StackArtifact] = []

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in trail:
            raise DeployError(f"stack dependency cycle: {' -> '.join((*trail, name))}")
        if any(stack.name == name for stack in ordered):
            return
        for dependency in stacks[name].dependencies:
            visit(dependency, (*trail, name))
        ordered.append(stacks[name])

    for name in stacks:
        visit(name)
    return Assembly(directory, tuple(ordered))


def _zip_folder(folder: Path) -> bytes:
    """Zip a folder's contents as CDK does: relative paths, sorted, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (path.stat().st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _placeholders(text: str, region: str) -> str:
    return (
        text.replace("${AWS::AccountId}", ACCOUNT_ID)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", "aws")
    )


def publish_assets(emulator: Emulator, stack: StackArtifact) -> int:
    """Upload the stack's file assets to their bootstrap bucket in the emulator; returns the count."""
    s3 = emulator.client("s3")
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for asset in stack.assets:
        bucket = _placeholders(asset.bucket, emulator.region)
        if bucket not in existing:
            if emulator.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
            existing.add(bucket)
        body = _zip_folder(asset.source) if asset.packaging == "zip" else asset.source.read_bytes()
        s3.put_object(Bucket=bucket, Key=_placeholders(asset.key, emulator.region), Body=body)
    return len(stack.assets)


# --------------------------------------------------------------------------- intrinsics
