"""The peer comparison's own environment: built once from its pinned file, rebuilt when the file changes.

No network and no synth here (``make bench`` does those): the build steps are replaced by fakes that
record what would run, so the rules about when to build and how a failed install reads are checked.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bench import compare_peer


class _FakeBuilder:
    created: ClassVar[list[Path]] = []

    def __init__(self, **options: Any) -> None:
        assert options == {"clear": True, "with_pip": True}

    def create(self, folder: Path) -> None:
        _FakeBuilder.created.append(folder)
        python = compare_peer._venv_python(folder)
        python.parent.mkdir(parents=True, exist_ok=True)
        python.write_text("")


@pytest.fixture
def fake_build(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    installs: list[list[str]] = []
    _FakeBuilder.created = []
    monkeypatch.setattr(compare_peer.venv, "EnvBuilder", _FakeBuilder)

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        installs.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(compare_peer.subprocess, "run", run)
    return installs


def test_built_once_then_reused_then_rebuilt_when_the_pins_change(tmp_path: Path, fake_build: list[list[str]]) -> None:
    folder, requirements = tmp_path / "venv", tmp_path / "requirements.txt"
    requirements.write_text("aws-cdk-lib==2.273.0\n")
    python = compare_peer.ensure_venv(folder, requirements)
    assert python == compare_peer._venv_python(folder)
    assert len(fake_build) == 1 and fake_build[0][-2:] == ["-r", str(requirements)]
    assert (folder / "requirements.sha256").read_text().strip() == hashlib.sha256(requirements.read_bytes()).hexdigest()

    compare_peer.ensure_venv(folder, requirements)
    assert len(fake_build) == 1  # same pins: reused

    requirements.write_text("aws-cdk-lib==2.274.0\n")
    compare_peer.ensure_venv(folder, requirements)
    assert len(fake_build) == 2 and _FakeBuilder.created == [folder, folder]


def test_a_failed_install_names_the_file_and_leaves_no_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare_peer.venv, "EnvBuilder", _FakeBuilder)
    monkeypatch.setattr(
        compare_peer.subprocess,
        "run",
        lambda command, **_: subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution for x==9"),
    )
    folder, requirements = tmp_path / "venv", tmp_path / "requirements.txt"
    requirements.write_text("x==9\n")
    with pytest.raises(RuntimeError, match=r"(?s)requirements\.txt.*No matching distribution") as raised:
        compare_peer.ensure_venv(folder, requirements)
    assert "fix the pins or the network" in str(raised.value)
    assert not (folder / "requirements.sha256").exists()  # the next run tries again


def test_resources_are_counted_over_every_template(tmp_path: Path) -> None:
    (tmp_path / "A.template.json").write_text(json.dumps({"Resources": {"X": {}, "Y": {}}}))
    (tmp_path / "B.template.json").write_text(json.dumps({"Resources": {"Z": {}}}))
    (tmp_path / "manifest.json").write_text(json.dumps({"Resources": {"not": "a template"}}))
    assert compare_peer._resources(tmp_path) == 3


def test_the_pins_are_exact() -> None:
    lines = [line for line in compare_peer.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert lines and all("==" in line and not any(c in line for c in "<>~*") for line in lines), lines
