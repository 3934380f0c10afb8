"""Apply a module's break to a tree, and undo it exactly.

Applying records, in ``.workshop/applied.json`` at the tree's root, each changed file's content
before the break and a hash of its content after it. Resetting puts the recorded content back
whatever happened since: the module asks attendees to fix the break by hand, and the reset must
work after that fix. A file edited since the break is first saved as a patch under
``.workshop/saved/`` (the attendee's fix is never lost), then restored.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .breaks import Edit, Module

STATE_FILE = Path(".workshop") / "applied.json"
SAVED_DIR = Path(".workshop") / "saved"


class WorkshopTreeError(RuntimeError):
    """The tree is not in a state where the break (or the reset) can be applied safely."""


@dataclass(frozen=True)
class FileChange:
    path: str
    diff: str


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(root: Path, relative: str) -> str:
    path = root / relative
    if not path.is_file():
        raise WorkshopTreeError(f"{relative}: no such file in {root}; is this the kit's repository root?")
    return path.read_text(encoding="utf-8")


def applied_module(root: Path) -> int | None:
    """The number of the module whose break is applied in ``root``, or None."""
    state = root / STATE_FILE
    if not state.is_file():
        return None
    number: int = json.loads(state.read_text(encoding="utf-8"))["module"]
    return number


def _plan(root: Path, edits: Sequence[Edit], fix: str) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """``{file: (before, after)}`` for ``edits`` applied in order, and a problem per edit that cannot apply."""
    contents: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for edit in edits:
        before, current = contents.get(edit.file) or (_read(root, edit.file),) * 2
        count = current.count(edit.find)
        if count != 1:
            first_line = edit.find.strip().splitlines()[0] if edit.find.strip() else edit.find
            problems.append(
                f"{edit.file}: the text to replace ({first_line!r} ...) occurs {count} times, expected once. {fix}"
            )
            continue
        contents[edit.file] = (before, current.replace(edit.find, edit.replace, 1))
    return contents, problems


def _write(root: Path, contents: dict[str, tuple[str, str]]) -> list[FileChange]:
    """Write each file's new text under ``root``; return a diff per file."""
    changes = []
    for name, (before, after) in contents.items():
        (root / name).write_text(after, encoding="utf-8")
        diff = difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
        changes.append(FileChange(name, "".join(diff)))
    return changes


def planned_contents(root: Path, module: Module) -> dict[str, tuple[str, str]]:
    """``{file: (before, after)}`` for the module's edits, or an error naming every edit that cannot apply."""
    contents, problems = _plan(root, module.edits, f"The code moved on: update `find` in {module.source}")
    if problems:
        raise WorkshopTreeError(f"module {module.number}'s break cannot be applied:\n" + "\n".join(problems))
    return contents


def apply_break(root: Path, module: Module) -> list[FileChange]:
    """Apply ``module``'s edits to the files under ``root``; return a diff per changed file."""
    current = applied_module(root)
    if current is not None:
        raise WorkshopTreeError(
            f"module {current}'s break is applied already; run `make workshop-reset` before applying another"
        )
    contents = planned_contents(root, module)
    state = {
        "module": module.number,
        "files": {
            name: {"before": before, "after_sha256": _sha256(after)} for name, (before, after) in contents.items()
        },
    }
    (root / STATE_FILE).parent.mkdir(exist_ok=True)
    (root / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")
    return _write(root, contents)


def apply_solution(root: Path, module: Module) -> list[FileChange]:
    """Make the attendee's fix (``module.solution``) on the broken tree; the break stays recorded."""
    if applied_module(root) != module.number:
        raise WorkshopTreeError(f"module {module.number}'s break is not applied: `make workshop-break {module.number}`")
    contents, problems = _plan(root, module.solution, f"Update [[solution]] in {module.source}")
    if problems:
        raise WorkshopTreeError(f"module {module.number}'s solution cannot be applied:\n" + "\n".join(problems))
    return _write(root, contents)


def solution_diff(module: Module) -> str:
    """The solution as a diff against the broken text of each edit (no tree needed)."""
    parts = []
    for edit in module.solution:
        diff = difflib.unified_diff(
            edit.find.splitlines(keepends=True),
            edit.replace.splitlines(keepends=True),
            f"a/{edit.file}",
            f"b/{edit.file}",
        )
        parts.append("".join(diff))
    return "\n".join(parts)


@dataclass(frozen=True)
class ResetResult:
    module: int | None
    restored: list[str]
    saved: Path | None  # the patch of edits made since the break, when there were any


def reset(root: Path) -> ResetResult:
    """Undo the applied break, whatever was edited since; edits made since are saved as a patch first."""
    state_path = root / STATE_FILE
    if not state_path.is_file():
        return ResetResult(None, [], None)
    state = json.loads(state_path.read_text(encoding="utf-8"))
    number = int(state["module"])
    patches = []
    for name, record in state["files"].items():
        path = root / name
        now = path.read_text(encoding="utf-8") if path.is_file() else ""
        if now != record["before"] and _sha256(now) != record["after_sha256"]:
            diff = difflib.unified_diff(
                record["before"].splitlines(keepends=True), now.splitlines(keepends=True), f"a/{name}", f"b/{name}"
            )
            patches.append("".join(diff))
    saved = None
    if patches:
        (root / SAVED_DIR).mkdir(parents=True, exist_ok=True)
        saved = root / SAVED_DIR / f"module-{number:02d}-{len(list((root / SAVED_DIR).iterdir())) + 1}.patch"
        saved.write_text("".join(patches), encoding="utf-8")
    restored = []
    for name, record in state["files"].items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != record["before"]:
            path.write_text(record["before"], encoding="utf-8")
            restored.append(name)
    state_path.unlink()
    if not any(state_path.parent.iterdir()):
        state_path.parent.rmdir()
    return ResetResult(number, restored, saved)
