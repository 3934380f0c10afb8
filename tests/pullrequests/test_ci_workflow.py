"""The GitHub Actions example of docs/pull-requests.md runs only commands these tests run.

``make synth`` is how the session's assembly is built (conftest.py, with the Makefile's ``OUT``
pointing to a temporary folder); ``make -C base synth`` is the same target in the base checkout;
every ``python -m secure_serverless...`` line runs here exactly as written, in a folder laid out
as the job's workspace: ``cdk.out`` (the pull request, which widens the notes function's reach)
and ``base/cdk.out`` (the base branch).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "pull-requests.md"
VENV_PYTHON = ".venv/bin/python"


def workflow() -> dict[str, Any]:
    (block,) = re.findall(r"^```yaml\n(.*?)^```$", DOC.read_text(), re.MULTILINE | re.DOTALL)
    document: dict[str, Any] = yaml.safe_load(block)
    return document


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    found: list[dict[str, Any]] = job["steps"]
    return found


def commands() -> list[str]:
    return [line.strip() for step in steps() if "run" in step for line in step["run"].splitlines() if line.strip()]


def kit_commands() -> list[str]:
    return [command for command in commands() if command.startswith(f"{VENV_PYTHON} -m secure_serverless")]


def test_every_command_is_the_synth_or_a_kit_command(make_synth_command: tuple[str, ...]) -> None:
    base_checkout = next(step["with"]["path"] for step in steps() if step.get("with", {}).get("ref"))
    make_synth = shlex.join(make_synth_command)
    synth_in_base = shlex.join(["make", "-C", base_checkout, *make_synth_command[1:]])
    others = [c for c in commands() if c not in {make_synth, synth_in_base, *kit_commands()}]

    assert others == [], "add a test that runs these commands, or remove them from the workflow"
    assert commands()[0] == make_synth
    assert synth_in_base in commands()
    assert len(kit_commands()) == 3


def test_actions_are_pinned_to_a_major_version() -> None:
    uses = [step["uses"] for step in steps() if "uses" in step]

    assert uses
    assert [action for action in uses if not re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", action)] == []


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, widened_assembly: Path, synthesized_assembly: Path) -> Path:
    directory = tmp_path_factory.mktemp("workspace")
    shutil.copytree(widened_assembly, directory / "cdk.out")
    shutil.copytree(synthesized_assembly, directory / "base" / "cdk.out")
    return directory


def run_as_written(command: str, workspace: Path) -> subprocess.CompletedProcess[str]:
    """Run a workflow line in the workspace; `.venv/bin/python` is this test's interpreter (the same venv)."""
    arguments = shlex.split(command)
    assert arguments[0] == VENV_PYTHON
    return subprocess.run(
        [sys.executable, *arguments[1:]], cwd=workspace, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def outcomes(workspace: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    return {command.split()[2]: run_as_written(command, workspace) for command in kit_commands()}


def test_the_acknowledgment_step_passes(outcomes: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = outcomes["secure_serverless_checks.acknowledgments"]

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("OK: ")


def test_the_sarif_step_writes_the_file_the_upload_step_reads(
    outcomes: dict[str, subprocess.CompletedProcess[str]], workspace: Path
) -> None:
    upload = next(step for step in steps() if step.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    result = outcomes["secure_serverless_checks.sarif"]

    assert result.returncode == 0, result.stderr
    log = json.loads((workspace / upload["with"]["sarif_file"]).read_text())
    perimeter = [run for run in log["runs"] if run["tool"]["driver"]["name"] == "secure-serverless-perimeter"]
    violations = {result["ruleId"] for result in perimeter[0]["results"] if result["level"] == "error"}
    assert violations == {"P07", "P13"}


def test_the_diff_step_fails_on_widening_and_writes_the_comment_the_next_step_posts(
    outcomes: dict[str, subprocess.CompletedProcess[str]], workspace: Path
) -> None:
    comment = next(step for step in steps() if "sticky-pull-request-comment" in step.get("uses", ""))
    result = outcomes["secure_serverless_checks.perimeter"]

    assert result.returncode == 1, result.stdout + result.stderr
    text = (workspace / comment["with"]["path"]).read_text()
    assert text.startswith("### :warning: Perimeter diff\n")
    assert "| **+** | `FilesTable" in text
