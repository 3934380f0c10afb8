"""The proof machinery of `make workshop-check`, on a tiny tree with cheap checks."""

from __future__ import annotations

from pathlib import Path

from workshop.breaks import Check, Edit, Expectation, Module
from workshop.check import check_modules, fingerprint, make_scratch_copy


def _module(*, command: str, broken: str = "BROKEN") -> Module:
    return Module(
        number=1,
        slug="toy",
        title="toy break",
        article_point="-",
        minutes=1,
        guide="-",
        summary="turns secure into insecure",
        edits=(Edit("app/setting.txt", "mode = secure\n", "mode = insecure\n"),),
        checks=(Check("grep", command, Expectation(broken), Expectation("CLEAN"), "grep"),),
        goal="g.",
        question="q?",
        hint="h",
        answer="a",
        cost="c",
        solution=(Edit("app/setting.txt", "mode = insecure\n", "mode = secure  # fixed by hand\n"),),
        highlight=("X",),
    )


CATCHES = "if grep -q insecure app/setting.txt; then echo BROKEN; exit 1; else echo CLEAN; fi"


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    (root / "app" / "setting.txt").write_text("mode = secure\n")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "cdk.out").mkdir()
    (root / "cdk.out" / "big.json").write_text("{}")
    (root / ".stamps").mkdir()
    (root / ".stamps" / "python").touch()
    (root / ".git").write_text("gitdir: /elsewhere/.git/worktrees/tree\n")  # a worktree's pointer
    return root


def test_the_scratch_copy_has_the_sources_links_the_venv_and_fresh_stamps(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    copy = tmp_path / "copy"
    make_scratch_copy(root, copy)
    assert fingerprint(copy) == fingerprint(root) == {"app/setting.txt": fingerprint(root)["app/setting.txt"]}
    assert (copy / ".venv").is_symlink() and (copy / ".venv").resolve() == (root / ".venv").resolve()
    assert not (copy / "cdk.out").exists()
    assert (copy / ".stamps" / "python").stat().st_mtime >= (root / "app" / "setting.txt").stat().st_mtime


def test_a_caught_break_passes_and_leaves_the_users_tree_alone(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    lines: list[str] = []
    assert check_modules(root, [_module(command=CATCHES)], out=lines.append, transcripts=tmp_path / "t", docs=False)
    assert (root / "app" / "setting.txt").read_text() == "mode = secure\n"
    text = "\n".join(lines)
    assert "baseline  ok" in text and "module 1  caught" in text and "module 1  reset" in text
    assert "1/1 breaks caught by their checks, fixed and reset" in text
    (transcript,) = (tmp_path / "t").glob("module-01-*.txt")
    assert "BROKEN" in transcript.read_text()


def test_a_solution_that_no_longer_applies_fails_the_run(tmp_path: Path) -> None:
    module = _module(command=CATCHES)
    stale = type(module)(**{**module.__dict__, "solution": (Edit("app/setting.txt", "gone\n", "x\n"),)})
    lines: list[str] = []
    assert not check_modules(_tree(tmp_path), [stale], out=lines.append, docs=False)
    assert "module 1's solution cannot be applied" in "\n".join(lines)


def test_a_check_that_misses_the_break_fails_the_run_naming_the_module(tmp_path: Path) -> None:
    lines: list[str] = []
    held = check_modules(_tree(tmp_path), [_module(command="echo CLEAN")], out=lines.append, docs=False)
    text = "\n".join(lines)
    assert not held
    assert "module 1  MISSED" in text and "module 1: `echo CLEAN`" in text


def test_a_check_whose_output_changed_fails_the_run(tmp_path: Path) -> None:
    lines: list[str] = []
    held = check_modules(
        _tree(tmp_path), [_module(command=CATCHES, broken="the old message")], out=lines.append, docs=False
    )
    assert not held
    assert "expected a non-zero exit and 'the old message'" in "\n".join(lines)


def test_a_check_failing_on_the_unbroken_kit_fails_the_baseline(tmp_path: Path) -> None:
    lines: list[str] = []
    assert not check_modules(_tree(tmp_path), [_module(command="echo CLEAN; exit 3")], out=lines.append, docs=False)
    assert "baseline  FAIL" in "\n".join(lines)


def test_a_tree_with_a_break_applied_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / ".workshop").mkdir()
    (root / ".workshop" / "applied.json").write_text('{"module": 1, "files": {}}')
    lines: list[str] = []
    assert not check_modules(root, [_module(command=CATCHES)], out=lines.append, docs=False)
    assert "run `make workshop-reset` first" in lines[0]


def test_checks_in_the_copy_import_the_copys_library_not_the_installed_one(tmp_path: Path) -> None:
    import sys

    from workshop.check import run_check

    root = _tree(tmp_path)
    (root / "constructs" / "secure_serverless").mkdir(parents=True)
    (root / "constructs" / "secure_serverless" / "__init__.py").write_text("BROKEN_COPY = True\n")
    command = f"{sys.executable} -c 'import secure_serverless as s; print(s.__file__, s.BROKEN_COPY)'"
    run = run_check(root, Check("import", command, Expectation("x"), Expectation("x"), "python"))
    assert run.exit_code == 0, run.output
    assert f"{root}/constructs/secure_serverless/__init__.py True" in run.output


def test_with_prove_solutions_each_fix_must_pass_the_checks(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import workshop.check

    monkeypatch.setattr(workshop.check, "PROVE_SOLUTIONS", True)
    lines: list[str] = []
    assert check_modules(_tree(tmp_path / "a"), [_module(command=CATCHES)], out=lines.append, docs=False)
    assert "module 1  fixed" in "\n".join(lines)
    module = _module(command=CATCHES)
    no_fix = type(module)(**{**module.__dict__, "solution": (Edit("app/setting.txt", "insecure", "insecure!"),)})
    lines.clear()
    assert not check_modules(_tree(tmp_path / "b"), [no_fix], out=lines.append, docs=False)
    assert "module 1: the solution does not pass" in "\n".join(lines)
