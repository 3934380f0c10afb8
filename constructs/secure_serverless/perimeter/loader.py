"""Read CloudFormation templates from a cloud assembly (cdk.out) or from template files.

The analyzer works on synthesized JSON, never on CDK code, so it runs without Node.js and on
any template, whoever wrote it. A cloud assembly is read through its ``manifest.json`` (the
stacks CDK says it synthesized, under their artifact ids); a directory without a manifest falls
back to every ``*.template.json`` in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import InputNotFoundError, TemplateFormatError, TemplateStructureError

Template = dict[str, Any]

_STACK_ARTIFACT = "aws:cloudformation:stack"
_NESTED_ASSEMBLY = "cdk:cloud-assembly"
_YAML_SUFFIXES = (".yaml", ".yml")


def load_path(paths: str | Path | Iterable[str | Path]) -> dict[str, Template]:
    """Load every template named by ``paths``: cloud assembly directories or template files.

    Returns ``{name: template}``; a stack's name is its artifact id (nested assemblies of CDK
    stages as ``Stage/Stack``), a file's name is its file name without ``.template.json`` /
    ``.json``. Raises a ``PerimeterInputError`` subclass naming the path on any problem.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    templates: dict[str, Template] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _load_assembly(path)
        elif path.is_file():
            found = [(_file_stem(path), load_template_file(path))]
        else:
            raise InputNotFoundError(f"{path}: no such file or directory")
        for name, template in found:
            templates[_unique(name, templates)] = template
    if not templates:
        raise InputNotFoundError("no template given")
    return templates


def load_template_file(path: Path) -> Template:
    """Parse one JSON template and check it has a ``Resources`` mapping."""
    if path.suffix.lower() in _YAML_SUFFIXES:
        raise TemplateFormatError(
            f"{path}: YAML templates are not supported; give the JSON template (cdk synth writes "
            "JSON into cdk.out, or convert with `cfn-flip`)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateFormatError(f"{path}: cannot read: {error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateFormatError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    check_template(document, str(path))
    return dict(document)


def check_template(document: object, origin: str) -> None:
    """Raise unless ``document`` looks like a CloudFormation template (a ``Resources`` object)."""
    if not isinstance(document, dict):
        raise TemplateStructureError(f"{origin}: not a CloudFormation template (expected a JSON object)")
    resources = document.get("Resources")
    if not isinstance(resources, dict):
        raise TemplateStructureError(f"{origin}: not a CloudFormation template (no 'Resources' object)")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateStructureError(f"{origin}: resource {logical_id!r} has no 'Type'")


def _load_assembly(directory: Path, prefix: str = "") -> list[tuple[str, Template]]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        files = sorted(directory.glob("*.template.json"))
        if not files:
            raise InputNotFoundError(
                f"{directory}: neither a cloud assembly (no manifest.json) nor a folder of *.template.json"
            )
        return [(prefix + _file_stem(file), load_template_file(file)) for file in files]
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TemplateFormatError(f"{manifest_path}: not a readable JSON manifest: {error}") from error
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise TemplateStructureError(f"{manifest_path}: no 'artifacts' object")
    found: list[tuple[str, Template]] = []
    for artifact_id, artifact in sorted(artifacts.items()):
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        if artifact.get("type") == _STACK_ARTIFACT:
            template_file = properties.get("templateFile")
            if not isinstance(template_file, str):
                raise TemplateStructureError(f"{manifest_path}: stack {artifact_id!r} has no templateFile")
            file = directory / template_file
            if not file.is_file():
                raise InputNotFoundError(f"{file}: template of stack {artifact_id!r} not found")
            found.append((prefix + artifact_id, load_template_file(file)))
        elif artifact.get("type") == _NESTED_ASSEMBLY and isinstance(properties.get("directoryName"), str):
            nested = directory / properties["directoryName"]
            stage = properties.get("displayName") or artifact_id
            found.extend(_load_assembly(nested, f"{prefix}{stage}/"))
    if not found and not prefix:
        raise InputNotFoundError(f"{directory}: the cloud assembly holds no CloudFormation stack")
    return found


def _file_stem(path: Path) -> str:
    name = path.name
    for suffix in (".template.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _unique(name: str, taken: dict[str, Template]) -> str:
    candidate, counter = name, 2
    while candidate in taken:
        candidate, counter = f"{name}#{counter}", counter + 1
    return candidate
