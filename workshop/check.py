"""``make workshop-check``: prove, in a scratch copy, that every break is caught and undone.

Every task runs in its own copy of the working tree in a temporary directory (sources only;
the virtualenv and the Node.js modules are linked, not copied): the user's tree is never
touched, and tasks run side by side (``WORKSHOP_JOBS``, default 2).

1. Baseline: each distinct baseline command runs once on an unbroken copy; it must exit 0 and
   print the ``clean_output`` of every module that uses it. Local-mode checks share one full
   ``make local``; the pytest checks share one pytest run; the facts the docs quote come from
   these runs too (``workshop/facts.toml``).
2. For each module: apply its break with the same code as ``make workshop-break``, run each of
   its checks (each must exit non-zero and print ``broken_output``), make the attendee's fix
   (the module's ``[[solution]]``), reset with the same code as ``make workshop-reset``, and
   compare every source file of the copy with what it was before the break, byte for byte.
3. No drift (``workshop/drift.py``): every fact and output excerpt marked in README.md and
   docs/workshop must match what these runs printed, and every ``make`` target and scenario the
   pages name must exist.

Tasks run longest first, ``jobs`` at a time (2 by default: CI has 2 cores).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import drift
from .breaks import Check, Module
from .tree import WorkshopTreeError, applied_module, apply_break, apply_solution, reset

#: Generated or installed directories: never copied, never compared.
SKIPPED = {
    ".git",
    ".venv",
    "node_modules",
    ".stamps",
    ".workshop",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "__pycache__",
    ".local",
    ".cache",  # local mode's assembly cache (issue 14): a check fills it
    "build",
    "dist",
}
#: Installed directories the checks need, linked into the copy.
LINKED = (".venv", "node_modules", "tools/node24/node_modules")
CHECK_TIMEOUT_SECONDS = 300
#: Tasks at once: CI has 2 cores, and a local-mode check spends most of its time waiting.
DEFAULT_JOBS = int(os.environ.get("WORKSHOP_JOBS", "2"))
#: ``WORKSHOP_PROVE_SOLUTIONS=1``: also run each module's checks after its fix (each must pass);
#: doubles the time, so CI does not, but a facilitator changing a solution should.
PROVE_SOLUTIONS = os.environ.get("WORKSHOP_PROVE_SOLUTIONS") == "1"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _skipped(name: str) -> bool:
    return name in SKIPPED or name.startswith("cdk.out") or name.endswith(".egg-info")


def source_files(root: Path) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not _skipped(d) and not (Path(directory) / d).is_symlink())
        for name in sorted(files):
            # A worktree's `.git` is a file naming the repository: a copy must never share it (git
            # commands in the copy would write to the user's repository).
            if name not in {"validation-report.json", ".git"}:
                yield Path(directory, name)


def fingerprint(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every source file under ``root``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in source_files(root)}


def make_scratch_copy(source: Path, destination: Path) -> None:
    for path in source_files(source):
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target, follow_symlinks=False)
    for linked in LINKED:
        if (source / linked).exists():
            (destination / linked).parent.mkdir(parents=True, exist_ok=True)
            (destination / linked).symlink_to((source / linked).resolve(), target_is_directory=True)
    stamps = destination / ".stamps"
    if (source / ".stamps").is_dir():
        # Fresh stamps: `make` in the copy must never re-run set-up (it would re-point the
        # shared virtualenv's editable install at the copy).
        stamps.mkdir()
        for stamp in (source / ".stamps").iterdir():
            (stamps / stamp.name).touch()


@dataclass(frozen=True)
class CheckRun:
    exit_code: int
    output: str
    seconds: float


def run_command(root: Path, command: str) -> CheckRun:
    """Run ``command`` with bash at ``root``; the copy's library shadows the installed one."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}}
    env["PYTHONPATH"] = os.pathsep.join([str(root / "constructs"), str(root)])
    env["NO_COLOR"] = "1"
    env["FORCE_COLOR"] = "0"
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 - the module file's command, run like an attendee would
            ["bash", "-c", command],  # noqa: S607
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=CHECK_TIMEOUT_SECONDS,
            check=False,
        )
        code, output = result.returncode, result.stdout
    except subprocess.TimeoutExpired as error:
        raw = error.stdout or ""
        code, output = -1, (raw.decode() if isinstance(raw, bytes) else raw) + "\n(timed out)"
    return CheckRun(code, _ANSI.sub("", output), time.monotonic() - started)


def run_check(root: Path, check: Check) -> CheckRun:
    return run_command(root, check.command)


def _tail(output: str, lines: int = 25) -> str:
    return "\n".join("      | " + line for line in output.rstrip().splitlines()[-lines:])


@contextmanager
def scratch_tree(source: Path) -> Iterator[Path]:
    keep = os.environ.get("WORKSHOP_KEEP_SCRATCH") == "1"
    directory = Path(tempfile.mkdtemp(prefix="workshop-check-"))
    try:
        make_scratch_copy(source, directory)
        yield directory
    finally:
        if keep:
            print(f"(scratch copy kept: {directory})")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _record(directory: Path | None, name: str, command: str, run: CheckRun) -> None:
    """Keep a command's full output (for copying real output into the pages)."""
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^a-z0-9]+", "-", f"{name}-{command}".lower())[:120].strip("-")
    (directory / f"{stem}.txt").write_text(f"$ {command}\n{run.output}(exit {run.exit_code})\n", encoding="utf-8")


@dataclass
class _Outcome:
    """What one task of the proof printed, what failed in it, and the outputs it saw."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    outputs: dict[tuple[int | None, str], str] = field(default_factory=dict)


PYTEST = (".venv/bin/python", "-m", "pytest")
#: How long a kind of command takes, roughly, to start the longest tasks first.
_WEIGHTS = (("make local", 60), ("localmode", 35), ("make synth", 25), ("pytest", 8))


def _weight(commands: list[str]) -> int:
    return sum(next((w for key, w in _WEIGHTS if key in command), 3) for command in commands)


def _pytest_ids(command: str) -> list[str] | None:
    """The test ids of a plain pytest check command (they share one baseline run), else None."""
    words = shlex.split(command)
    if tuple(words[:3]) != PYTEST:
        return None
    ids = []
    for word in words[3:]:
        if word.startswith("-"):
            break
        ids.append(word)
    return ids or None


@dataclass
class Baseline:
    """One command run on the unbroken kit, and who relies on it."""

    command: str
    users: list[tuple[Module, Check]] = field(default_factory=list)
    pytest_ids: list[str] = field(default_factory=list)


def baseline_plan(modules: list[Module], fact_commands: list[str]) -> list[Baseline]:
    plan: dict[str, Baseline] = {}
    pytest_users: list[tuple[Module, Check]] = []
    pytest_ids: list[str] = []
    for module in modules:
        for check in module.checks:
            ids = None if check.baseline else _pytest_ids(check.command)
            if ids is not None:
                pytest_users.append((module, check))
                pytest_ids.extend(i for i in ids if i not in pytest_ids)
                continue
            plan.setdefault(check.baseline_command, Baseline(check.baseline_command)).users.append((module, check))
    if pytest_ids:
        command = shlex.join([*PYTEST, *pytest_ids, "-q", "-rA", "-n", "0", "-p", "no:cacheprovider"])
        plan[command] = Baseline(command, pytest_users, pytest_ids)
    for command in fact_commands:
        plan.setdefault(command, Baseline(command))
    return list(plan.values())


def _baseline(source: Path, baseline: Baseline, transcripts: Path | None) -> _Outcome:
    """Run one command on an unbroken copy: exit 0, and every user's clean output."""
    outcome = _Outcome()
    with scratch_tree(source) as scratch:
        run = run_command(scratch, baseline.command)
    _record(transcripts, "baseline", baseline.command, run)
    outcome.outputs[(None, baseline.command)] = run.output
    if baseline.pytest_ids:
        missing = [f"PASSED {i}" for i in baseline.pytest_ids if f"PASSED {i}" not in run.output]
        problems = [f"expected {m!r}" for m in missing]
    else:
        problems = [
            f"module {m.number} ({m.source}) expects {c.clean.describe()}"
            for m, c in baseline.users
            if not c.clean.found_in(run.output)
        ]
    ok = run.exit_code == 0 and not problems
    shown = baseline.command if len(baseline.command) < 100 else f"pytest of {len(baseline.pytest_ids)} module checks"
    outcome.lines.append(f"  baseline  {'ok  ' if ok else 'FAIL'} {run.seconds:5.1f} s  {shown}")
    if not ok:
        outcome.failures.append(
            f"baseline: `{shown}` exit {run.exit_code}: " + "; ".join(problems or ["exit 0 expected"])
        )
        outcome.lines.append(_tail(run.output))
    return outcome


def _break_and_reset(source: Path, module: Module, transcripts: Path | None) -> _Outcome:
    """Break in a copy, expect each check to catch it, fix as the module asks, reset, compare every byte."""
    outcome = _Outcome()
    with scratch_tree(source) as scratch:
        before = fingerprint(scratch)
        apply_break(scratch, module)
        for check in module.checks:
            run = run_check(scratch, check)
            _record(transcripts, f"module-{module.number:02d}", check.command, run)
            outcome.outputs[(module.number, check.command)] = run.output
            ok = run.exit_code != 0 and check.broken.found_in(run.output)
            outcome.lines.append(
                f"  module {module.number:<2} {'caught' if ok else 'MISSED'} {run.seconds:5.1f} s  {check.command[:90]}"
            )
            if not ok:
                outcome.failures.append(
                    f"module {module.number}: `{check.command}` ({module.source}, check {check.name!r})"
                )
                outcome.lines.append(
                    f"      expected a non-zero exit and {check.broken.describe()}; "
                    f"got exit {run.exit_code}:\n{_tail(run.output)}"
                )
        try:
            apply_solution(scratch, module)
        except WorkshopTreeError as error:
            outcome.failures.append(f"module {module.number}: {error}")
        else:
            if PROVE_SOLUTIONS:
                for check in module.checks:
                    run = run_check(scratch, check)
                    ok = run.exit_code == 0 and check.clean.found_in(run.output)
                    outcome.lines.append(
                        f"  module {module.number:<2} {'fixed ' if ok else 'NOT FIXED'} {run.seconds:5.1f} s  {check.command[:90]}"
                    )
                    if not ok:
                        outcome.failures.append(f"module {module.number}: the solution does not pass `{check.command}`")
                        outcome.lines.append(_tail(run.output))
        reset(scratch)
        after = fingerprint(scratch)
    differing = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    held = not differing
    outcome.lines.append(
        f"  module {module.number:<2} {'reset ' if held else 'NOT RESET'} after the fix  {module.title}"
    )
    if differing:
        outcome.failures.append(f"module {module.number}: the reset left {differing} different from before the break")
    return outcome


def check_modules(
    source: Path,
    modules: list[Module],
    *,
    out: Callable[[str], None] = print,
    transcripts: Path | None = None,
    jobs: int = DEFAULT_JOBS,
    docs: bool = True,
) -> bool:
    """Run the whole proof for ``modules`` (and, with ``docs``, the drift check); True if all held.

    Each task (a baseline command, or one module's break, checks, fix and reset) runs in its own
    scratch copy, ``jobs`` at a time, longest first; output is printed in a fixed order.
    ``transcripts``: a directory to write each command's full output to.
    """
    if applied_module(source) is not None:
        out(f"module {applied_module(source)}'s break is applied in {source}: run `make workshop-reset` first")
        return False
    started = time.monotonic()
    facts = drift.load_facts() if docs else {}
    quotes, failures = drift.read_quotes(source, facts) if docs else ([], [])
    fact_commands = sorted({q.command for q in quotes if q.module is None})
    plan = baseline_plan(modules, fact_commands)
    out(
        f"scratch copies of {len(fingerprint(source))} files, {jobs} at a time; {len(plan)} baseline runs, {len(modules)} modules"
    )
    work: list[tuple[int, Callable[[], _Outcome]]] = []
    for baseline in plan:
        work.append((_weight([baseline.command]), partial(_baseline, source, baseline, transcripts)))
    for module in modules:
        weight = _weight([c.command for c in module.checks])
        work.append((weight, partial(_break_and_reset, source, module, transcripts)))
    order = sorted(range(len(work)), key=lambda i: -work[i][0])
    outputs: dict[tuple[int | None, str], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {i: pool.submit(work[i][1]) for i in order}
        for i in range(len(work)):
            outcome = futures[i].result()
            for line in outcome.lines:
                out(line)
            failures.extend(outcome.failures)
            outputs.update(outcome.outputs)
    if docs:
        checked = 0
        for quote in quotes:
            if quote.module is not None and quote.module not in {m.number for m in modules}:
                continue
            problem = drift.compare(quote, outputs.get((quote.module, quote.command)), facts)
            checked += 1
            if problem:
                failures.append(f"drift: {problem}")
        failures.extend(f"drift: {p}" for p in drift.command_problems(source, _scenario_keys()))
        failures.extend(f"drift: {p}" for p in drift.module_page_problems(source, modules))
        out(f"  docs      {checked} quoted facts and excerpts compared with the runs")
    seconds = time.monotonic() - started
    if failures:
        out(f"\nworkshop-check FAILED in {seconds:.0f} s:\n" + "\n".join(f"  - {f}" for f in failures))
        out("Update the module file or the page named above (a quote: copy what the run printed).")
        return False
    out(
        f"\nworkshop-check: {len(modules)}/{len(modules)} breaks caught by their checks, fixed and reset; "
        f"the docs match the runs ({seconds:.0f} s)"
    )
    return True


def _scenario_keys() -> set[str]:
    from localmode.scenarios import all_scenarios

    return {scenario.key for scenario in all_scenarios()}
