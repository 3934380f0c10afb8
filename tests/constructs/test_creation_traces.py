"""The kit turns CDK's creation stack traces off where, under jsii, they name no line of the app.

Checked on a synthesized assembly: the traces CDK records in a Python app hold no user frame; with
them off the metadata has none and the template is byte-for-byte the same; the app's own setting,
jsii's host stack traces and an app that already has children are left alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from secure_serverless._creation_traces import DISABLE_CREATION_STACK_TRACES, skip_empty_creation_traces


def _synth(app: cdk.App, outdir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    stack = cdk.Stack(app, "Traces")
    sqs.Queue(stack, "Queue", enforce_ssl=True)
    assembly = app.synth()
    template = json.loads((Path(assembly.directory) / "Traces.template.json").read_text())
    entries: list[dict[str, Any]] = []
    for path in Path(assembly.directory).glob("*.json"):  # manifest.json and <Stack>.metadata.json
        _collect(json.loads(path.read_text()), entries)
    return template, entries


def _collect(value: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        if value.get("type") == "aws:cdk:creationStack":
            found.append(value)
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def test_without_the_kit_the_traces_name_no_user_frame(tmp_path: Path) -> None:
    _, entries = _synth(cdk.App(outdir=str(tmp_path)), tmp_path)
    assert entries, "CDK recorded no creation stack: this test no longer shows what the kit skips"
    for entry in entries:
        assert "no user code" in " ".join(entry["data"])


def test_the_kit_turns_them_off_and_the_template_is_unchanged(tmp_path: Path) -> None:
    with_traces, _ = _synth(cdk.App(outdir=str(tmp_path / "with")), tmp_path)
    app = cdk.App(outdir=str(tmp_path / "without"))
    assert skip_empty_creation_traces(app) is True
    assert app.node.try_get_context(DISABLE_CREATION_STACK_TRACES) is True
    without_traces, entries = _synth(app, tmp_path)
    assert entries == []
    assert without_traces == with_traces


@pytest.mark.parametrize("setting", [True, False])
def test_the_apps_own_setting_wins(tmp_path: Path, setting: bool) -> None:
    app = cdk.App(outdir=str(tmp_path), context={DISABLE_CREATION_STACK_TRACES: setting})
    assert skip_empty_creation_traces(app) is False
    _, entries = _synth(app, tmp_path)
    assert bool(entries) is not setting


def test_host_stack_traces_keep_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSII_HOST_STACK_TRACES", "1")
    app = cdk.App(outdir=str(tmp_path))
    assert skip_empty_creation_traces(app) is False
    assert app.node.try_get_context(DISABLE_CREATION_STACK_TRACES) is None


def test_an_app_with_children_is_left_alone(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    cdk.Stack(app, "Early")
    assert skip_empty_creation_traces(app) is False  # CDK refuses context after the first child: no error
    assert app.node.try_get_context(DISABLE_CREATION_STACK_TRACES) is None


def test_register_compliance_checks_turns_them_off() -> None:
    from secure_serverless.compliance import register_compliance_checks

    app = cdk.App()
    register_compliance_checks(app)
    assert app.node.try_get_context(DISABLE_CREATION_STACK_TRACES) is True
