"""Whole-assembly analysis: nested stacks followed in both loading modes, the stack's environment
from the manifest, cross-stack names, hostile files ending in exit 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mutations import nested_child

from perimeter_support import FILES_TABLE, NOTES_FUNCTION, NOTES_POLICY, NOTES_ROLE, TemplateBuilder, getatt
from secure_serverless_checks.perimeter import analyze, load_path
from secure_serverless_checks.perimeter.synthetic import synthetic_assembly

CHILD_FILE = "stackNestedReader.nested.template.json"


def _parent() -> TemplateBuilder:
    builder = TemplateBuilder()
    builder.resources["Nested0001"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://example.invalid/x", "Parameters": {"Reader": getatt(NOTES_ROLE)}},
        "Metadata": {"aws:asset:path": CHILD_FILE},
    }
    return builder


def _manifest(directory: Path, environment: str = "aws://unknown-account/unknown-region") -> None:
    artifacts = {
        "stack": {
            "type": "aws:cloudformation:stack",
            "environment": environment,
            "properties": {"templateFile": "stack.template.json"},
        }
    }
    (directory / "manifest.json").write_text(
        json.dumps({"version": "48.0.0", "artifacts": artifacts}), encoding="utf-8"
    )


def test_nested_stack_of_a_cloud_assembly_is_followed(tmp_path: Path) -> None:
    _parent().write(tmp_path)
    (tmp_path / CHILD_FILE).write_text(json.dumps(nested_child()), encoding="utf-8")
    _manifest(tmp_path)

    templates = load_path(tmp_path)
    report = analyze(templates)

    assert list(templates) == ["stack", "stack/Nested0001"]
    assert report.find("P07", NOTES_FUNCTION, "stack/Nested0001/Key")[0].actions == ("kms:Decrypt",)


def test_nested_stack_file_without_manifest_is_loaded_through_its_parent(tmp_path: Path) -> None:
    _parent().write(tmp_path)
    (tmp_path / CHILD_FILE).write_text(json.dumps(nested_child()), encoding="utf-8")

    assert list(load_path(tmp_path)) == ["stack", "stack/Nested0001"]


def test_nested_stack_file_given_with_its_parent_is_read_once(tmp_path: Path) -> None:
    """What the CDK validation plugin passes: every template file, nested ones included."""
    parent = _parent().write(tmp_path)
    child = tmp_path / CHILD_FILE
    child.write_text(json.dumps(nested_child()), encoding="utf-8")

    templates = load_path([parent, child])

    assert list(templates) == ["stack", "stack/Nested0001"]
    assert not analyze(templates).find("P14")


def test_nested_stack_whose_file_is_missing_is_unresolved(tmp_path: Path) -> None:
    _parent().write(tmp_path)
    _manifest(tmp_path)

    report = analyze(load_path(tmp_path))

    assert "its template is not in the assembly" in report.find("P14", "Nested0001")[0].message


def test_literal_region_and_account_of_the_stacks_environment_name_its_table(tmp_path: Path) -> None:
    builder = TemplateBuilder()
    builder.resources[FILES_TABLE]["Properties"]["TableName"] = "files"
    builder.allow(NOTES_POLICY, "dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/files")
    builder.write(tmp_path)
    _manifest(tmp_path, "aws://123456789012/eu-west-1")

    report = analyze(load_path(tmp_path))

    assert report.find("P07", NOTES_FUNCTION, FILES_TABLE)
    assert report.find("P13", resource=FILES_TABLE)


def test_synthetic_assemblies_are_compliant_at_any_size() -> None:
    report = analyze(synthetic_assembly(functions=40, stacks=3))

    assert report.ok, report.to_text()
    assert len(report.matrix) == 40
    assert sum(len(t["Resources"]) for t in synthetic_assembly(functions=40).values()) == 280


def test_deeply_nested_json_file_is_exit_two_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.template.json"
    path.write_text('{"Resources": {"A": {"Type": "X", "Properties": ' + "[" * 200_000 + "]" * 200_000 + "}}}")

    result = subprocess.run(
        [sys.executable, "-m", "secure_serverless_checks.perimeter", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("perimeter: error: ")
    assert "Traceback" not in result.stderr
