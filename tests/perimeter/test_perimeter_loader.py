"""Reading cloud assemblies and template files, and refusing what cannot be analyzed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perimeter_support import COMPLIANT, FIXTURES
from secure_serverless_checks.perimeter import (
    DanglingReferenceError,
    InputNotFoundError,
    PerimeterInputError,
    TemplateFormatError,
    TemplateStructureError,
    analyze,
    load_path,
)


def write_assembly(directory: Path, stacks: dict[str, str]) -> Path:
    """A minimal cdk.out: manifest.json naming each stack's template file."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, object] = {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}
    for stack, template in stacks.items():
        (directory / f"{stack}.template.json").write_text(template, encoding="utf-8")
        artifacts[stack] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {"templateFile": f"{stack}.template.json"},
        }
    (directory / "manifest.json").write_text(
        json.dumps({"version": "48.0.0", "artifacts": artifacts}), encoding="utf-8"
    )
    return directory


def test_cloud_assembly_is_read_through_its_manifest(tmp_path: Path) -> None:
    compliant = COMPLIANT.read_text(encoding="utf-8")
    assembly = write_assembly(tmp_path / "out", {"NotesStack": compliant, "FilesStack": compliant})
    (assembly / "Unlisted.template.json").write_text("{}", encoding="utf-8")  # not in the manifest: ignored

    templates = load_path(assembly)

    assert sorted(templates) == ["FilesStack", "NotesStack"]
    assert analyze(templates).ok


def test_nested_assembly_of_a_stage(tmp_path: Path) -> None:
    assembly = write_assembly(tmp_path / "out", {})
    write_assembly(assembly / "assembly-Prod", {"NotesStack": COMPLIANT.read_text(encoding="utf-8")})
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    manifest["artifacts"]["assembly-Prod"] = {
        "type": "cdk:cloud-assembly",
        "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"},
    }
    (assembly / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    assert list(load_path(assembly)) == ["Prod/NotesStack"]


def test_directory_without_manifest_falls_back_to_template_files(tmp_path: Path) -> None:
    (tmp_path / "A.template.json").write_text(COMPLIANT.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a template", encoding="utf-8")

    assert list(load_path(tmp_path)) == ["A"]


def test_several_files_keep_distinct_names(tmp_path: Path) -> None:
    other = tmp_path / "compliant.template.json"
    other.write_text(COMPLIANT.read_text(encoding="utf-8"), encoding="utf-8")

    assert list(load_path([COMPLIANT, other])) == ["compliant", "compliant#2"]


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        (
            FIXTURES / "not_json.template.json",
            TemplateFormatError,
            "not_json.template.json: not valid JSON (line 1, column 1: Expecting value)",
        ),
        (
            FIXTURES / "no_resources.template.json",
            TemplateStructureError,
            "no_resources.template.json: not a CloudFormation template (no 'Resources' object)",
        ),
        (FIXTURES / "missing.template.json", InputNotFoundError, "missing.template.json: no such file or directory"),
    ],
)
def test_unreadable_input(path: Path, error: type[PerimeterInputError], message: str) -> None:
    with pytest.raises(error) as raised:
        load_path(path)

    assert str(raised.value).endswith(message)


def test_yaml_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text("Resources: {}\n", encoding="utf-8")

    with pytest.raises(
        TemplateFormatError, match=r"stack.yaml: YAML templates are not supported; give the JSON template"
    ):
        load_path(path)


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="neither a cloud assembly"):
        load_path(tmp_path)


def test_dangling_ref_in_a_policy_is_an_input_error() -> None:
    templates = load_path(FIXTURES / "dangling_ref.template.json")

    with pytest.raises(DanglingReferenceError) as raised:
        analyze(templates)

    assert str(raised.value) == (
        "dangling_ref: WorkerRole0001 inline policy data Statement[0].Resource: Fn::GetAtt of 'RemovedTable9999', "
        "which is not a resource of this template"
    )


def test_resource_without_type_is_an_input_error() -> None:
    with pytest.raises(TemplateStructureError, match=r"x: resource 'Broken' has no 'Type'"):
        analyze({"x": {"Resources": {"Broken": {"Properties": {}}}}})
