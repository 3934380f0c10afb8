"""Applying a break to a tree and undoing it exactly (on a copy of the files a break touches)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workshop.__main__ import main
from workshop.breaks import REPO_ROOT, Edit, load_modules
from workshop.tree import STATE_FILE, WorkshopTreeError, applied_module, apply_break, apply_solution, reset

MODULES = load_modules()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for module in MODULES:
        for edit in module.edits + module.solution:
            target = tmp_path / edit.file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / edit.file, target)
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_break_then_reset_restores_every_byte(tree: Path, module) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(tree)
    changes = apply_break(tree, module)
    assert applied_module(tree) == module.number
    assert {c.path for c in changes} == {e.file for e in module.edits}
    for edit in module.edits:
        assert edit.replace in (tree / edit.file).read_text()
        diff = next(c.diff for c in changes if c.path == edit.file)
        added = [line for line in edit.replace.splitlines() if line not in edit.find.splitlines()]
        assert added and all(f"+{line}" in diff for line in added)
    result = reset(tree)
    assert (result.module, sorted(result.restored)) == (module.number, sorted({e.file for e in module.edits}))
    assert result.saved is None
    assert _snapshot(tree) == before
    assert not (tree / STATE_FILE).exists()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_reset_after_the_modules_own_fix_restores_every_byte_and_keeps_the_fix(tree: Path, module) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(tree)
    apply_break(tree, module)
    changes = apply_solution(tree, module)
    assert changes and all(edit.replace in (tree / edit.file).read_text() for edit in module.solution)
    result = reset(tree)
    assert result.module == module.number
    after = {k: v for k, v in _snapshot(tree).items() if not k.startswith(".workshop")}
    assert after == before
    fixed_differently = any(
        (tree / e.file).read_text() != (REPO_ROOT / e.file).read_text() for e in module.edits
    ) or any(e.replace not in (REPO_ROOT / e.file).read_text() for e in module.solution)
    if fixed_differently:
        assert result.saved is not None
        saved = result.saved.read_text()
        assert any(f"+{line}" in saved for e in module.solution for line in e.replace.splitlines() if line.strip())


def test_a_second_break_is_refused_until_reset(tree: Path) -> None:
    apply_break(tree, MODULES[0])
    with pytest.raises(WorkshopTreeError, match="module 1's break is applied already"):
        apply_break(tree, MODULES[1])


def test_reset_after_any_edit_restores_the_kit_and_saves_the_edit_as_a_patch(tree: Path) -> None:
    module = MODULES[3]
    apply_break(tree, module)
    edited = tree / module.edits[0].file
    edited.write_text(edited.read_text() + "\n# my own fix\n")
    result = reset(tree)
    assert edited.read_text() == (REPO_ROOT / module.edits[0].file).read_text()
    assert applied_module(tree) is None
    assert result.saved is not None and "+# my own fix" in result.saved.read_text()
    apply_break(tree, module)  # a second round works, and its patch gets a name of its own
    edited.write_text("")
    second = reset(tree)
    assert second.saved is not None and second.saved != result.saved and result.saved.exists()


def test_the_solution_is_refused_when_its_break_is_not_applied(tree: Path) -> None:
    with pytest.raises(WorkshopTreeError, match="module 2's break is not applied"):
        apply_solution(tree, MODULES[1])


def test_reset_accepts_a_fix_that_restored_the_kits_version(tree: Path) -> None:
    module = MODULES[3]
    apply_break(tree, module)
    shutil.copy2(REPO_ROOT / module.edits[0].file, tree / module.edits[0].file)
    result = reset(tree)
    assert (result.module, result.restored, result.saved) == (4, [], None)


def test_a_break_whose_text_moved_names_the_module_file(tree: Path) -> None:
    module = MODULES[0]
    moved = type(module)(**{**module.__dict__, "edits": (Edit(module.edits[0].file, "no such text", "x"),)})
    with pytest.raises(WorkshopTreeError, match=r"occurs 0 times.*update `find` in workshop/modules/01-authentication"):
        apply_break(tree, moved)
    assert applied_module(tree) is None


def test_the_command_line_applies_says_what_changed_and_resets(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tree), "break", "3"]) == 0
    shown = capsys.readouterr().out
    assert "Module 3 break applied" in shown and "+        # WORKSHOP BREAK 3" in shown and "make synth" in shown
    assert f"Question: {MODULES[2].question}" in shown and "make workshop-hint 3" in shown
    assert MODULES[2].answer not in shown
    assert json.loads((tree / STATE_FILE).read_text())["module"] == 3
    assert main(["--root", str(tree), "break", "2"]) == 2
    assert "run `make workshop-reset`" in capsys.readouterr().err
    assert main(["--root", str(tree), "reset"]) == 0
    assert "restored stacks/notes_service.py" in capsys.readouterr().out
    assert main(["--root", str(tree), "reset"]) == 0
    assert "nothing to reset" in capsys.readouterr().out
    assert main(["--root", str(tree), "break", "99"]) == 2
    assert "no workshop module '99'; known modules: 1 (authentication)" in capsys.readouterr().err


def test_hint_and_solution_are_behind_their_own_commands(capsys: pytest.CaptureFixture[str]) -> None:
    module = MODULES[6]
    assert main(["hint", str(module.number)]) == 0
    hint = capsys.readouterr().out
    assert module.hint in hint and module.answer not in hint
    assert main(["solution", str(module.number)]) == 0
    solution = capsys.readouterr().out
    assert module.answer in solution and module.cost in solution
    assert all(f"+{line}" in solution for e in module.solution for line in e.replace.splitlines())
