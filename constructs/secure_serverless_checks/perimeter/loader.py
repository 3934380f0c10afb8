"""Read CloudFormation templates from a cloud assembly (cdk.out) or from template files.

The analyzer works on synthesized JSON, never on CDK code, so it runs without Node.js and on
any template, whoever wrote it. A cloud assembly is read through its ``manifest.json`` (the
stacks CDK says it synthesized, under their artifact ids, with their environments); a directory
without a manifest falls back to every ``*.template.json`` in it. Nested stacks
(``AWS::CloudFormation::Stack`` whose ``aws:asset:path`` metadata names a template file of the
directory) are loaded too, as ``Parent/LogicalId``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..cloud_assembly import (
    Environment,
    ManifestFormatError,
    ManifestStructureError,
    NotAnAssemblyError,
    TemplateFileMissingError,
    read_manifest,
)
from ._gc import cyclic_gc_paused
from .errors import InputNotFoundError, TemplateFormatError, TemplateStructureError

Template = dict[str, Any]


class LoadedTemplates(dict[str, Template]):
    """``{name: template}`` plus what the assembly says about each stack (its environment)."""

    def __init__(self) -> None:
        super().__init__()
        self.environments: dict[str, Environment] = {}


_YAML_SUFFIXES = (".yaml", ".yml")


def load_path(paths: str | Path | Iterable[str | Path]) -> LoadedTemplates:
    """Load every template named by ``paths``: cloud assembly directories or template files.

    Returns ``{name: template}``; a stack's name is its artifact id (nested assemblies of CDK
    stages as ``Stage/Stack``), a file's name is its file name without ``.template.json`` /
    ``.json``. Raises a ``PerimeterInputError`` subclass naming the path on any problem.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    templates = LoadedTemplates()
    files = {Path(raw): load_template_file(Path(raw)) for raw in paths if Path(raw).is_file()}
    # A nested stack's template given as a file too is read once, through its parent.
    nested_files = {file.parent / asset for file, template in files.items() for asset in _nested_assets(template)}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _load_assembly(path)
        elif path in files:
            if path in nested_files:
                continue
            found = [(_file_stem(path), files[path], None)]
            found += _nested(path.parent, found[0][0], found[0][1])
        else:
            raise InputNotFoundError(f"{path}: no such file or directory")
        for name, template, environment in found:
            unique = _unique(name, templates)
            templates[unique] = template
            if environment is not None:
                templates.environments[unique] = environment
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
        with cyclic_gc_paused():  # linear cost at scale (perimeter/_gc.py)
            document = json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateFormatError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    except RecursionError:
        raise TemplateFormatError(f"{path}: JSON nested too deeply to be a CloudFormation template") from None
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


Loaded = tuple[str, Template, Environment | None]


def _nested_assets(template: Template) -> list[str]:
    """File names of the nested stack templates a template names (CDK's ``aws:asset:path``)."""
    assets: list[str] = []
    for resource in template["Resources"].values():
        metadata = resource.get("Metadata")
        asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        if resource.get("Type") == "AWS::CloudFormation::Stack" and isinstance(asset, str):
            assets.append(asset)
    return assets


def _nested(directory: Path, name: str, template: Template, depth: int = 0) -> list[Loaded]:
    """Templates of the nested stacks of ``template`` found in ``directory``, recursively."""
    if depth > _MAX_NESTING:
        raise TemplateStructureError(f"{name}: nested stacks more than {_MAX_NESTING} levels deep")
    found: list[Loaded] = []
    for logical_id, resource in sorted(template["Resources"].items()):
        if resource.get("Type") != "AWS::CloudFormation::Stack":
            continue
        metadata = resource.get("Metadata")
        asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        if not isinstance(asset, str) or "/" in asset or "\\" in asset:
            continue
        file = directory / asset
        if file.is_file():
            child = (f"{name}/{logical_id}", load_template_file(file), None)
            found.append(child)
            found.extend(_nested(directory, child[0], child[1], depth + 1))
    return found


def _load_assembly(directory: Path, prefix: str = "") -> list[Loaded]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        files = sorted(directory.glob("*.template.json"))
        if not files:
            raise InputNotFoundError(
                f"{directory}: neither a cloud assembly (no manifest.json) nor a folder of *.template.json"
            )
        parsed = {file: load_template_file(file) for file in files}
        # A nested stack's template is loaded through its parent, as Parent/LogicalId.
        nested_files = {asset for template in parsed.values() for asset in _nested_assets(template)}
        loaded: list[Loaded] = []
        for file, template in parsed.items():
            if file.name in nested_files:
                continue
            stack: Loaded = (prefix + _file_stem(file), template, None)
            loaded.append(stack)
            loaded.extend(_nested(directory, stack[0], template))
        return loaded
    try:
        stacks = read_manifest(directory)
    except (ManifestFormatError, NotAnAssemblyError) as error:
        raise TemplateFormatError(str(error)) from error
    except ManifestStructureError as error:
        raise TemplateStructureError(str(error)) from error
    except TemplateFileMissingError as error:
        raise InputNotFoundError(str(error)) from error
    found: list[Loaded] = []
    for manifest_stack in stacks:
        stack = (
            prefix + manifest_stack.name,
            load_template_file(manifest_stack.template_file),
            manifest_stack.environment,
        )
        found.append(stack)
        found.extend(_nested(manifest_stack.directory, stack[0], stack[1]))
    if not found and not prefix:
        raise InputNotFoundError(f"{directory}: the cloud assembly holds no CloudFormation stack")
    return found


_MAX_NESTING = 10


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
