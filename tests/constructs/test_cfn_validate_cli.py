"""A CloudFormation error fails the synth in the kit's validation mode, under ``python app.py`` and ``cdk synth``.

The app registers the kit's checks with ``cloudformation_validation="kit"`` on
``cdk.App(builtin_cloud_formation_validation=False)``, as the reference app does. The first run
(``python app.py``) validates with the side process and fills the verdict cache; the second (the
pinned CDK CLI, which judges the report itself) reads the verdict from that cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cfn_validate_support import needs_kit_validation

pytestmark = needs_kit_validation


ROOT = Path(__file__).resolve().parents[2]
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"

APP = """
import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from secure_serverless.compliance import register_compliance_checks

app = cdk.App(builtin_cloud_formation_validation=False)
register_compliance_checks(
    app, packs=(), perimeter=False, perimeter_off_reason="a queue-only app: no function, no perimeter to prove",
    cloudformation_validation="kit",
)
queue = sqs.CfnQueue(cdk.Stack(app, "Flawed"), "Queue")
queue.add_property_override("VisibilityTimeout", "not-a-number")
app.synth()
"""
CONTEXT = {"@aws-cdk/core:validateAgainstDefaultRules": True}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("cfn-kit-app")
    (folder / "app.py").write_text(APP)
    (folder / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py", "context": CONTEXT}))
    cache = folder / "verdicts"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "CDK_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "constructs"), str(ROOT)]),
        SECURE_SERVERLESS_CFN_VALIDATE_CACHE=str(cache),
        CDK_DISABLE_STACK_TRACE="1",
    )
    return folder, env


def _run(args: list[str], folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False)


def _cfn_reports(outdir: Path) -> list[dict[str, object]]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return [r for r in report["pluginReports"] if r["pluginName"] == "CloudFormation Validate"]


@pytest.fixture(scope="module")
def python_run(project: tuple[Path, dict[str, str]]) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder, env = project
    outdir = folder / "out-python"
    result = _run(
        [sys.executable, "app.py"],
        folder,
        env | {"CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(CONTEXT)},
    )
    return result, outdir


def test_python_app_py_fails_on_a_template_error(
    project: tuple[Path, dict[str, str]], python_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    result, outdir = python_run
    assert result.returncode != 0, result.stderr[-3000:]
    assert "F3012" in result.stderr and "ValidationFailed" in result.stderr
    (report,) = _cfn_reports(outdir)  # exactly one CloudFormation Validate report: the built-in did not run too
    assert report["conclusion"] == "failure"
    assert list((project[0] / "verdicts").glob("*.json")), "the verdict was cached"


def test_cdk_synth_fails_on_a_template_error_from_a_cached_verdict(
    project: tuple[Path, dict[str, str]], python_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    if not CDK_CLI.exists():
        pytest.fail("the pinned CDK CLI is not installed: run make setup (node_modules/.bin/cdk)")
    folder, env = project
    entries = {path: path.stat().st_mtime_ns for path in (folder / "verdicts").glob("*.json")}
    assert entries, "python app.py cached the verdict"
    outdir = folder / "out-cli"
    result = _run([str(CDK_CLI), "synth", "--quiet", "--output", str(outdir)], folder, env)
    assert result.returncode != 0, f"exit 0: the template error passed the CLI\n{result.stderr[-3000:]}"
    assert "F3012" in result.stdout + result.stderr
    (report,) = _cfn_reports(outdir)
    assert report["conclusion"] == "failure"
    assert {path: path.stat().st_mtime_ns for path in entries} == entries, "a hit: no entry was written again"
