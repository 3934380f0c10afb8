"""localmode.assembly_cache: an assembly is reused only when no input of the synth changed.

The synth is the caller's function (``localmode.deploy.synthesize`` in local mode); here a stand-in
that writes a manifest and counts its calls, on a small copy of the repository's layout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localmode.assembly_cache import cached_synthesize

Synth = Callable[..., Path]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    for relative, text in {
        "app.py": "print('app')\n",
        "cdk.json": '{"context": {}}\n',
        "stacks/service.py": "STACK = 1\n",
        "constructs/secure_serverless/kit.py": "KIT = 1\n",
        "lambdas/notes/app.py": "def handler(event, context): ...\n",
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    monkeypatch.setenv("LOCALMODE_ASSEMBLY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LOCALMODE_ASSEMBLY_CACHE", raising=False)
    return root


@pytest.fixture
def synths() -> list[dict[str, Any] | None]:
    return []


@pytest.fixture
def synth(synths: list[dict[str, Any] | None]) -> Synth:
    def synthesize(outdir: Path, *, context: dict[str, Any] | None = None) -> Path:
        synths.append(context)
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "manifest.json").write_text(json.dumps({"synth": len(synths)}))
        return outdir

    return synthesize


def run(repo: Path, synth: Synth, where: Path, **context: Any) -> tuple[Path, bool]:
    return cached_synthesize(where, synthesize=synth, context=context or None, root=repo)


def test_nothing_changed_reuses_a_copy_of_the_stored_assembly(
    repo: Path, synth: Synth, synths: list, tmp_path: Path
) -> None:
    first, reused_first = run(repo, synth, tmp_path / "a")
    second, reused_second = run(repo, synth, tmp_path / "b")
    assert (reused_first, reused_second) == (False, True)
    assert len(synths) == 1
    assert second == tmp_path / "b" and second != first
    assert json.loads((second / "manifest.json").read_text()) == {"synth": 1}


@pytest.mark.parametrize(
    "changed",
    ["app.py", "cdk.json", "stacks/service.py", "constructs/secure_serverless/kit.py", "lambdas/notes/app.py"],
)
def test_a_changed_input_synthesizes_again(
    repo: Path, synth: Synth, synths: list, tmp_path: Path, changed: str
) -> None:
    run(repo, synth, tmp_path / "a")
    (repo / changed).write_text((repo / changed).read_text() + "# changed\n")
    _, reused = run(repo, synth, tmp_path / "b")
    assert reused is False
    assert len(synths) == 2


def test_a_new_file_in_the_lambdas_synthesizes_again(repo: Path, synth: Synth, synths: list, tmp_path: Path) -> None:
    run(repo, synth, tmp_path / "a")
    (repo / "lambdas" / "notes" / "schema.json").write_text("{}")
    assert run(repo, synth, tmp_path / "b")[1] is False


def test_other_context_synthesizes_again(repo: Path, synth: Synth, synths: list, tmp_path: Path) -> None:
    run(repo, synth, tmp_path / "a", stage="dev")
    assert run(repo, synth, tmp_path / "b", stage="prod")[1] is False
    assert run(repo, synth, tmp_path / "c", stage="dev")[1] is True
    assert synths == [{"stage": "dev"}, {"stage": "prod"}]


def test_bytecode_and_caches_are_not_inputs(repo: Path, synth: Synth, synths: list, tmp_path: Path) -> None:
    run(repo, synth, tmp_path / "a")
    (repo / "lambdas" / "notes" / "__pycache__").mkdir()
    (repo / "lambdas" / "notes" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert run(repo, synth, tmp_path / "b")[1] is True


def test_a_failed_synth_is_not_stored(repo: Path, synth: Synth, synths: list, tmp_path: Path) -> None:
    def failing(outdir: Path, **_: Any) -> Path:
        outdir.mkdir(parents=True)
        (outdir / "manifest.json").write_text("{}")
        raise RuntimeError("cdk-nag finding")

    with pytest.raises(RuntimeError, match="cdk-nag finding"):
        cached_synthesize(tmp_path / "a", synthesize=failing, root=repo)
    assert run(repo, synth, tmp_path / "b")[1] is False
    assert len(synths) == 1


def test_the_cache_can_be_switched_off(
    repo: Path, synth: Synth, synths: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(repo, synth, tmp_path / "a")
    monkeypatch.setenv("LOCALMODE_ASSEMBLY_CACHE", "off")
    assert run(repo, synth, tmp_path / "b")[1] is False
    assert len(synths) == 2
