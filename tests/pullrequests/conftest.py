"""Cloud assemblies for the pull-request tools, built once per test run (synth costs seconds).

- ``synthesized_assembly``: the reference app synthesized by ``make synth`` (the command the CI
  example runs), written to a temporary folder through the Makefile's ``OUT`` variable; the
  default assembly of the whole test run (``tests/shared_assembly.py``).
- ``widened_assembly`` / ``narrowed_assembly``: copies of it whose notes function can do more
  (a read of the files table) or less (no DeleteItem on its own table) than in the synthesized one.
- ``hygiene_assembly``: a small app with one acknowledgment of each kind the hygiene check
  must reject, and sound ones next to them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared_assembly import MAKE_SYNTH, shared_reference_assembly

ROOT = Path(__file__).resolve().parents[2]
# The perimeter tests' template builder (tests/perimeter/perimeter_support.py) builds the diff's inputs.
sys.path.insert(0, str(ROOT / "tests" / "perimeter"))
NOTES_SERVICE = "SecureServerlessKit-dev-NotesService"


RunModule = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def run_module() -> RunModule:
    """Run ``python -m MODULE ARGS...`` as users run it (this venv's interpreter), capturing its output."""

    def run(module: str, *arguments: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", module, *map(str, arguments)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=cwd,
        )

    return run


def _once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(outdir)`` once for the whole test run, even when xdist workers each start a session.

    The workers share the parent of their base temporary folders; a lock file there makes the
    first worker build and the others wait for it and reuse the result (the xdist-documented way).
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    outdir, done = shared / name / "cdk.out", shared / name / "done"
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(outdir, ignore_errors=True)
            build(outdir)
            done.touch()
    return outdir


@pytest.fixture(scope="session")
def make_synth_command() -> tuple[str, ...]:
    return MAKE_SYNTH


@pytest.fixture(scope="session")
def synthesized_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """What ``make synth`` wrote: this run's default assembly (tests/shared_assembly.py), shared with the other tests."""
    return shared_reference_assembly(tmp_path_factory, worker_id, tmp_path_factory.mktemp("make-synth") / "cdk.out")


def _notes_template(outdir: Path) -> tuple[Path, dict[str, Any]]:
    path = outdir / f"{NOTES_SERVICE}.template.json"
    return path, json.loads(path.read_text(encoding="utf-8"))


def _logical_id(template: dict[str, Any], cfn_type: str, prefix: str) -> str:
    (found,) = [k for k, v in template["Resources"].items() if v["Type"] == cfn_type and k.startswith(prefix)]
    return found


def _notes_policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    policy = _logical_id(template, "AWS::IAM::ManagedPolicy", "NotesFunctionPolicy")
    statements: list[dict[str, Any]] = template["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _copy(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination


@pytest.fixture(scope="session")
def widened_assembly(synthesized_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notes function can also read the files table: the cross-table grant the kit exists to catch."""
    outdir = _copy(synthesized_assembly, tmp_path_factory.mktemp("widened") / "cdk.out")
    path, template = _notes_template(outdir)
    files_table = _logical_id(template, "AWS::DynamoDB::Table", "FilesTable")
    _notes_policy_statements(template).append(
        {"Action": "dynamodb:GetItem", "Effect": "Allow", "Resource": {"Fn::GetAtt": [files_table, "Arn"]}}
    )
    path.write_text(json.dumps(template, indent=1), encoding="utf-8")
    return outdir


@pytest.fixture(scope="session")
def narrowed_assembly(synthesized_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notes function can no longer delete items of its own table."""
    outdir = _copy(synthesized_assembly, tmp_path_factory.mktemp("narrowed") / "cdk.out")
    path, template = _notes_template(outdir)
    (statement,) = [s for s in _notes_policy_statements(template) if "dynamodb:DeleteItem" in s["Action"]]
    statement["Action"] = [action for action in statement["Action"] if action != "dynamodb:DeleteItem"]
    path.write_text(json.dumps(template, indent=1), encoding="utf-8")
    return outdir


@pytest.fixture(scope="session")
def hygiene_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _once_per_run(tmp_path_factory, "hygiene", _synthesize_hygiene_app)


def _synthesize_hygiene_app(outdir: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from cdk_support import new_app
    from secure_serverless.compliance import acknowledge, register_compliance_checks, synth_with_checks

    app = new_app(outdir=str(outdir))
    register_compliance_checks(app)
    stack = cdk.Stack(app, "Hygiene")
    dead_letters = sqs.DeadLetterQueue(max_receive_count=3, queue=sqs.Queue(stack, "DeadLetters", enforce_ssl=True))
    # Sound: fires, a real reason, review date in the future.
    sound = sqs.Queue(stack, "Sound", enforce_ssl=True)
    acknowledge(
        sound,
        "AwsSolutions-SQS3",
        "This queue is a dead-letter queue itself: its messages are the end of the failure path.",
        owner="platform-team",
        review_by="2099-12-31",
    )
    # Stale: S1 is about S3 server access logs and never fires on a queue.
    acknowledge(sound, "AwsSolutions-S1", "Access logs are shipped by the organization trail instead.")
    # Expired: fires (no dead-letter queue), a real reason, but its review-by date (2026-12-31) has passed.
    expired = sqs.Queue(stack, "Expired", enforce_ssl=True)
    acknowledge(
        expired,
        "AwsSolutions-SQS3",
        "Failed messages are replayed from the source system, so no dead-letter queue is kept.",
        owner="orders-team",
        review_by="2026-12-31",
    )
    # Short reason: the kit's acknowledge refuses it, so written with plain CDK as a user might.
    short = sqs.Queue(stack, "ShortReason", enforce_ssl=True)
    cdk.Validations.of(short).acknowledge(cdk.Acknowledgment(id="AwsSolutions::AwsSolutions-SQS3", reason="ok"))
    # Never acknowledgeable: a queue that accepts requests without TLS.
    plain = sqs.Queue(stack, "PlainHttp", dead_letter_queue=dead_letters)
    acknowledge(plain, "AwsSolutions-SQS4", "Our producers are inside the VPC, so TLS is not needed here.")
    synth_with_checks(app)
