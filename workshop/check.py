"""``make workshop-check``: prove, in a scratch copy, that every break is caught and undone.

Every task runs in its own copy of the working tree in a temporary directory (sources only;
the virtualenv and the Node.js modules are linked, not copied): the user's tree is never
touched, and tasks run side by side (``WORKSHOP_JOBS``, default 2).

1. Baseline: each distinct check command runs once on an unbroken copy; it must exit 0 and
   print the ``clean_output`` of every module that uses it.
2. For each module: apply its break with the same code as ``make workshop-break``, run each of
   its checks (each must exit non-zero and print ``broken_output``), reset with the same code
   as ``make workshop-reset``, and compare every source file of the copy with what it was
   before the break, byte for byte: after the reset the copy *is* the tree the baseline passed on.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .breaks import Check, Module
from .tree import applied_module, apply_break, reset

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
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _skipped(name: str) -> bool:
    return name in SKIPPED or name.startswith("cdk.out") or name.endswith(".egg-info")


def source_files(root: Path) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not _skipped(d) and not (Path(directory) / d).is_symlink())
        for name in sorted(files):
            if name != "validation-report.json":
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


def run_check(root: Path, check: Check) -> CheckRun:
    """Run ``check.command`` with bash at ``root``; the copy's library shadows the installed one."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}}
    env["PYTHONPATH"] = os.pathsep.join([str(root / "constructs"), str(root)])
    env["NO_COLOR"] = "1"
    env["FORCE_COLOR"] = "0"
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 - the module file's command, run like an attendee would
            ["bash", "-c", check.command],  # noqa: S607
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


def _record(directory: Path | None, phase: str, module: Module, check: Check, run: CheckRun) -> None:
    """Keep a check's full output (for copying real output into the guide)."""
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{phase}-{module.number:02d}-{re.sub(r'[^a-z0-9]+', '-', check.name.lower())}.txt"
    (directory / name).write_text(f"$ {check.command}\n{run.output}(exit {run.exit_code})\n", encoding="utf-8")


@dataclass
class _Outcome:
    """What one task of the proof printed and what failed in it."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _baseline(source: Path, users: list[tuple[Module, Check]], transcripts: Path | None) -> _Outcome:
    """Run one distinct command on an unbroken copy: exit 0 and every module's clean output."""
    outcome = _Outcome()
    command = users[0][1].command
    with scratch_tree(source) as scratch:
        run = run_check(scratch, users[0][1])
    _record(transcripts, "baseline", users[0][0], users[0][1], run)
    missing = [(m, c) for m, c in users if not c.clean.found_in(run.output)]
    ok = run.exit_code == 0 and not missing
    outcome.lines.append(f"  baseline  {'ok  ' if ok else 'FAIL'} {run.seconds:5.1f} s  {command}")
    if not ok:
        for module, check in missing or users[:1]:
            outcome.failures.append(f"baseline: `{command}` (module {module.number}, {module.source})")
            outcome.lines.append(f"      expected exit 0 and {check.clean.describe()}; got exit {run.exit_code}:")
        outcome.lines.append(_tail(run.output))
    return outcome


def _break_and_reset(source: Path, module: Module, transcripts: Path | None) -> _Outcome:
    """Apply the module's break in a copy, expect each check to catch it, reset, compare every byte."""
    outcome = _Outcome()
    with scratch_tree(source) as scratch:
        before = fingerprint(scratch)
        apply_break(scratch, module)
        for check in module.checks:
            run = run_check(scratch, check)
            _record(transcripts, "broken", module, check, run)
            ok = run.exit_code != 0 and check.broken.found_in(run.output)
            outcome.lines.append(
                f"  module {module.number}  {'caught' if ok else 'MISSED'} {run.seconds:5.1f} s  {check.command}"
            )
            if not ok:
                outcome.failures.append(
                    f"module {module.number}: `{check.command}` ({module.source}, check {check.name!r})"
                )
                outcome.lines.append(
                    f"      expected a non-zero exit and {check.broken.describe()}; "
                    f"got exit {run.exit_code}:\n{_tail(run.output)}"
                )
        reset(scratch)
        after = fingerprint(scratch)
    differing = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    outcome.lines.append(f"  module {module.number}  {'reset' if not differing else 'NOT RESET'}  {module.title}")
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
) -> bool:
    """Run the whole proof for ``modules``; print a line per step and a summary. True if all held.

    Each task (a baseline command, or one module's break, checks and reset) runs in its own
    scratch copy, ``jobs`` at a time; output is printed in a fixed order whatever finishes first.
    ``transcripts``: a directory to write each check's full output to.
    """
    if applied_module(source) is not None:
        out(f"module {applied_module(source)}'s break is applied in {source}: run `make workshop-reset` first")
        return False
    started = time.monotonic()
    out(f"scratch copies of {len(fingerprint(source))} files, {jobs} at a time")
    distinct: dict[str, list[tuple[Module, Check]]] = {}
    for module in modules:
        for check in module.checks:
            distinct.setdefault(check.command, []).append((module, check))
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        tasks = [pool.submit(_baseline, source, users, transcripts) for users in distinct.values()]
        tasks += [pool.submit(_break_and_reset, source, module, transcripts) for module in modules]
        for task in tasks:
            outcome = task.result()
            for line in outcome.lines:
                out(line)
            failures.extend(outcome.failures)
    seconds = time.monotonic() - started
    if failures:
        out(f"\nworkshop-check FAILED in {seconds:.0f} s:\n" + "\n".join(f"  - {f}" for f in failures))
        out("Update the module file named above when a message of the kit changed on purpose.")
        return False
    out(f"\nworkshop-check: {len(modules)}/{len(modules)} breaks caught by their checks and reset ({seconds:.0f} s)")
    return True
