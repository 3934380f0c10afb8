"""docs/compatibility.md stays true: the range it states, the scheduled workflow, CI running the floor."""

from __future__ import annotations

import os
import re
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "compatibility.md").read_text()


def _compat_tool() -> object:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import compat

        return compat
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_the_page_states_the_range_pyproject_declares() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in dependencies:
        name, spec = re.match(r"([a-z-]+)(.*)", requirement).groups()  # type: ignore[union-attr]
        assert f"| {name} | `{spec}` |" in DOC, f"docs/compatibility.md does not state {requirement}"


def test_the_scheduled_workflow_runs_the_newest_half_of_make_compat() -> None:
    (block,) = re.findall(r"^```yaml\n(.*?)^```$", DOC, re.MULTILINE | re.DOTALL)
    workflow = yaml.safe_load(block)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as True
    assert triggers["schedule"][0]["cron"]
    (job,) = workflow["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == ["make compat COMPAT=newest"]
    assert re.search(r"^compat: ", (ROOT / "Makefile").read_text(), re.MULTILINE)


def test_ci_runs_the_floor() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make compat" in lines
    assert re.search(r"^COMPAT \?= minimum$", (ROOT / "Makefile").read_text(), re.MULTILINE)


def test_the_tool_reads_the_floors_from_pyproject() -> None:
    compat = _compat_tool()
    declared = compat.declared_range()  # type: ignore[attr-defined]
    assert declared["aws-cdk-lib"] == ("2.271.0", "3.0.0")
    assert set(declared) == {"aws-cdk-lib", "constructs", "cdk-nag"}
    assert [pin.split("==")[0] for pin in compat.tool_pins()] == list(compat.TOOLS)  # type: ignore[attr-defined]


def test_the_wheelhouse_keeps_the_pinned_cdk_and_drops_long_unused_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compat = _compat_tool()
    monkeypatch.setattr(compat, "WHEELHOUSE", tmp_path)
    old = 40 * 86400
    names = ["aws_cdk_lib-2.271.0-py3-none-any.whl", "aws_cdk_lib-2.200.0-py3-none-any.whl"]
    recent = "aws_cdk_lib-2.274.0-py3-none-any.whl"
    for name in [*names, recent, "constructs-10.5.1-py3-none-any.whl"]:
        (tmp_path / name).write_bytes(b"")
    for name in [*names, "constructs-10.5.1-py3-none-any.whl"]:
        os.utime(tmp_path / name, (time.time() - old, time.time() - old))
    compat.prune_wheelhouse(["aws-cdk-lib==2.271.0", "constructs==10.5.1"])  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "aws_cdk_lib-2.271.0-py3-none-any.whl",  # pinned: kept, and marked used
        recent,
        "constructs-10.5.1-py3-none-any.whl",  # small wheels stay
    ]
    assert time.time() - (tmp_path / names[0]).stat().st_mtime < 60
