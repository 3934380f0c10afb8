"""The command line, run as users run it: ``python -m secure_serverless_checks.perimeter``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from perimeter_support import COMPLIANT, FILES_TABLE, FIXTURES, NOTES_FUNCTION, NOTES_POLICY, TemplateBuilder, getatt
from secure_serverless_checks.perimeter.analyzer import KIT_GRANTS_HINT
from secure_serverless_checks.perimeter.cli import main


def run(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secure_serverless_checks.perimeter", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def cross_table(builder: TemplateBuilder, tmp_path: Path) -> Path:
    builder.allow(NOTES_POLICY, "dynamodb:GetItem", getatt(FILES_TABLE))
    return builder.write(tmp_path)


def test_compliant_template_exits_zero_with_the_matrix() -> None:
    result = run(COMPLIANT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert "compliant/NotesFunction1234 (role NotesRoleDDDD, perimeter declared)" in result.stdout
    assert "NotesTable5678/index/byUpdatedAt  dynamodb-table  read-write" in result.stdout
    assert result.stdout.endswith("OK: 2 functions within their declared perimeters (1 template).\n")


def test_violation_exits_one_and_names_function_resource_and_action(cross_table: Path) -> None:
    result = run(cross_table)

    assert result.returncode == 1
    assert (
        "  P07 undeclared-reach: stack/NotesFunction1234 -> FilesTable2222 [dynamodb:GetItem]: "
        "FilesTable2222 (AWS::DynamoDB::Table) is not in the function's declared perimeter; kit functions get "
        "access only through the kit's grant methods"
    ) in result.stdout
    assert result.stdout.endswith("FAILED: 3 violations in 2 of 2 functions (1 template).\n")


def test_json_format(cross_table: Path) -> None:
    result = run(cross_table, "--format", "json")

    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["summary"] == {
        "ok": False,
        "functions": 2,
        "violations": 3,
        "warnings": 0,
        "text": "FAILED: 3 violations in 2 of 2 functions (1 template).",
    }
    assert {
        "template": "stack",
        "function": NOTES_FUNCTION,
        "resource": FILES_TABLE,
        "actions": ["dynamodb:GetItem"],
        "code": "P07",
        "rule": "undeclared-reach",
        "message": "FilesTable2222 (AWS::DynamoDB::Table) is not in the function's declared perimeter; "
        + KIT_GRANTS_HINT,
    } in document["violations"]
    notes = next(f for f in document["functions"] if f["function"] == NOTES_FUNCTION)
    assert {"resource": FILES_TABLE, "access": "undeclared"}.items() <= next(
        row for row in notes["reach"] if row["resource"] == FILES_TABLE
    ).items()


def test_markdown_format(cross_table: Path) -> None:
    result = run(cross_table, "--format", "markdown")

    assert result.returncode == 1
    assert "| P07 | undeclared-reach | stack/NotesFunction1234 | FilesTable2222 | dynamodb:GetItem |" in result.stdout
    assert "| NotesTable5678 | dynamodb-table | read-write |" in result.stdout


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_json.template.json", "not valid JSON (line 1, column 1: Expecting value)"),
        ("no_resources.template.json", "not a CloudFormation template (no 'Resources' object)"),
        ("dangling_ref.template.json", "Fn::GetAtt of 'RemovedTable9999', which is not a resource of this template"),
        ("absent.template.json", "no such file or directory"),
    ],
)
def test_bad_input_exits_two_with_one_line_and_no_traceback(name: str, message: str) -> None:
    result = run(FIXTURES / name)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("perimeter: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_one_bad_file_among_good_ones_fails_the_whole_run() -> None:
    assert run(COMPLIANT, FIXTURES / "not_json.template.json").returncode == 2


def test_main_in_process(cross_table: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(COMPLIANT)]) == 0
    assert capsys.readouterr().out.endswith("OK: 2 functions within their declared perimeters (1 template).\n")

    assert main([str(cross_table), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["violations"] == 3


def test_the_analyzer_never_imports_cdk_or_jsii() -> None:
    """It must run where Node.js and CDK are absent (workshops, CI without synth)."""
    code = (
        "import sys, secure_serverless_checks.perimeter, secure_serverless_checks.perimeter.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs', 'cdk_nag')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)

    assert result.stdout == "[]\n"
