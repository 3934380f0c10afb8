"""The perimeter diff: a widened grant exits 1 and shows, a narrowed one exits 0 and shows too."""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from perimeter_support import (
    COMPLIANT,
    FILES_FUNCTION,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
)
from secure_serverless_checks.perimeter import analyze, load_path
from secure_serverless_checks.perimeter.diff import diff_reports

Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run(run_module: Run) -> Run:
    return functools.partial(run_module, "secure_serverless_checks.perimeter", "diff")


@pytest.fixture
def cross_table(tmp_path: Path) -> Path:
    builder = TemplateBuilder()
    builder.allow(NOTES_POLICY, "dynamodb:GetItem", getatt(FILES_TABLE))
    return builder.write(tmp_path, "cross-table.template.json")


# ------------------------------------------------------------- on the reference app's assembly
def test_a_widened_grant_shows_in_the_diff_and_exits_one(
    run: Run, synthesized_assembly: Path, widened_assembly: Path
) -> None:
    result = run(synthesized_assembly, widened_assembly)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("Reach WIDENED: 1 function can do more than before; 1 changed, 0 added")
    (block,) = [b for b in result.stdout.split("\n\n") if "/NotesFunction" in b.splitlines()[0]]
    assert "    + FilesTable" in block
    assert "dynamodb-table  access undeclared: +dynamodb:GetItem" in block
    assert "P07 undeclared-reach: SecureServerlessKit-dev-NotesService/NotesFunction" in result.stdout


def test_a_narrowed_grant_shows_in_the_diff_and_exits_zero(
    run: Run, synthesized_assembly: Path, narrowed_assembly: Path
) -> None:
    result = run(synthesized_assembly, narrowed_assembly)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Reach not widened: 0 functions can do more than before; 1 changed")
    assert "  access read-write: -dynamodb:DeleteItem" in result.stdout


def test_the_same_assembly_is_unchanged(run: Run, synthesized_assembly: Path) -> None:
    result = run(synthesized_assembly, synthesized_assembly)

    assert result.returncode == 0
    assert result.stdout == "Perimeters unchanged (3 functions).\n"


def test_markdown_for_a_pull_request_comment(
    run: Run, synthesized_assembly: Path, widened_assembly: Path, tmp_path: Path
) -> None:
    comment = tmp_path / "perimeter-diff.md"
    result = run(synthesized_assembly, widened_assembly, "--format", "markdown", "--output", comment)

    assert result.returncode == 1
    assert (
        result.stdout
        == f"Reach WIDENED: 1 function can do more than before; 1 changed, 0 added, 0 removed, 2 unchanged. Written to {comment}.\n"
    )
    text = comment.read_text()
    assert text.startswith("### :warning: Perimeter diff\n")
    assert "| **+** | `FilesTable" in text
    assert "| dynamodb-table | undeclared | +dynamodb:GetItem |" in text


# ------------------------------------------------------------- on templates (no synth)
def test_json_lists_the_added_reach(run: Run, cross_table: Path) -> None:
    result = run(COMPLIANT, cross_table, "--format", "json")

    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["widened"] is True
    (function,) = document["functions"]
    assert (function["function"], function["status"]) == (NOTES_FUNCTION, "changed")
    (row,) = function["reach"]
    assert row == {
        "resource": FILES_TABLE,
        "kind": "dynamodb-table",
        "change": "added",
        "access": "undeclared",
        "old_access": None,
        "added_actions": ["dynamodb:GetItem"],
        "removed_actions": [],
        "added_conditions": [],
        "removed_conditions": [],
        "wildcard": False,
        "widened": True,
    }
    assert document["sharing"] == [
        {
            "template": "cross-table",
            "resource": FILES_TABLE,
            "old_functions": [FILES_FUNCTION],
            "new_functions": [FILES_FUNCTION, NOTES_FUNCTION],
        }
    ]


def test_two_template_files_are_compared_as_one_stack_whatever_their_names(run: Run, cross_table: Path) -> None:
    """Reverse of the widening: the grant is removed, so reach narrowed."""
    result = run(cross_table, COMPLIANT)

    assert result.returncode == 0
    assert f"    - {FILES_TABLE}  dynamodb-table  access undeclared: -dynamodb:GetItem\n" in result.stdout
    assert "Resolved perimeter violations (3):" in result.stdout


def test_a_wider_action_on_a_declared_resource_is_still_widening() -> None:
    """Intended or not, a reviewer sees it: the access column says what the code declares."""
    new = TemplateBuilder().allow(NOTES_POLICY, "dynamodb:Scan", getatt(NOTES_TABLE))

    diff = diff_reports(analyze(load_path(COMPLIANT)), new.analyze())

    assert diff.widened
    (function,) = diff.functions
    (row,) = [change for change in function.reach if change.resource == NOTES_TABLE]
    assert (row.change, row.added_actions, row.access) == ("changed", ("dynamodb:Scan",), "read-write")


def test_a_dropped_condition_is_widening_and_an_added_one_narrowing() -> None:
    conditioned = TemplateBuilder().allow(
        NOTES_POLICY,
        "dynamodb:GetItem",
        getatt(FILES_TABLE),
        Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}},
    )
    plain = TemplateBuilder().allow(NOTES_POLICY, "dynamodb:GetItem", getatt(FILES_TABLE))

    dropped = diff_reports(conditioned.analyze(), plain.analyze())
    added = diff_reports(plain.analyze(), conditioned.analyze())

    assert dropped.widened and dropped.functions[0].reach[0].removed_conditions
    assert not added.widened and added.functions[0].reach[0].added_conditions


def test_a_new_function_is_widening_and_a_removed_one_is_not() -> None:
    without_files = TemplateBuilder()
    for logical_id in [k for k in without_files.resources if k.startswith("Files")]:
        del without_files.resources[logical_id]
    without_files.resources.pop("UploadsBucketPolicy0000")

    added = diff_reports(without_files.analyze(), TemplateBuilder().analyze())
    removed = diff_reports(TemplateBuilder().analyze(), without_files.analyze())

    assert added.widened
    assert [(f.function, f.status) for f in added.functions] == [(FILES_FUNCTION, "added")]
    assert not removed.widened
    assert [(f.function, f.status) for f in removed.functions] == [(FILES_FUNCTION, "removed")]
    assert "- stack/FilesFunction7777 (function removed (was role FilesRole5555))" in removed.to_text()


def test_an_unreadable_input_exits_two_naming_which_side(run: Run, tmp_path: Path) -> None:
    result = run(COMPLIANT, tmp_path / "missing.json")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"perimeter diff: error: NEW {tmp_path / 'missing.json'}: ")


def test_the_plain_check_still_takes_paths(run_module: Run) -> None:
    result = run_module("secure_serverless_checks.perimeter", COMPLIANT)

    assert result.returncode == 0
    assert result.stdout.endswith("OK: 2 functions within their declared perimeters (1 template).\n")


def test_a_role_change_and_a_wildcard_are_named() -> None:
    new = TemplateBuilder()
    new.resources[NOTES_FUNCTION]["Properties"]["Role"] = getatt("FilesRole5555")
    new.allow("FilesRoleDefaultPolicy6666", "s3:*", "*")

    diff = diff_reports(TemplateBuilder().analyze(), new.analyze())
    notes = next(f for f in diff.functions if f.function == NOTES_FUNCTION)
    wildcard = next(change for change in notes.reach if change.resource == "*" and "s3:*" in change.added_actions)

    assert diff.widened
    assert notes.role_changed and (notes.old_role, notes.new_role) == ("NotesRoleDDDD", "FilesRole5555")
    assert wildcard.wildcard
    assert "~ stack/NotesFunction1234 (role changed: NotesRoleDDDD -> FilesRole5555)" in diff.to_text()
    assert "+s3:*  [wildcard]" in diff.to_text()
