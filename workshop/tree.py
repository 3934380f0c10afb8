"""Apply a module's break to a tree, and undo it exactly.

Applying records, in ``.workshop/applied.json`` at the tree's root, each changed file's content
before the break and a hash of its content after it. Resetting puts the recorded content back,
but only where the file is still exactly as the break left it (or already back to the kit's
version): a file edited since the break is not overwritten unless ``force`` says so, because
those edits may be the attendee's own fix or unrelated work.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .breaks import Module

STATE_FILE = Path(".workshop") / "applied.json"


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


def planned_contents(root: Path, module: Module) -> dict[str, tuple[str, str]]:
    """``{file: (before, after)}`` for the module's edits, or an error naming every edit that cannot apply."""
    contents: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for edit in module.edits:
        before, current = contents.get(edit.file) or (_read(root, edit.file),) * 2
        count = current.count(edit.find)
        if count != 1:
            first_line = edit.find.strip().splitlines()[0] if edit.find.strip() else edit.find
            problems.append(
                f"{edit.file}: the text to replace ({first_line!r} ...) occurs {count} times, expected once. "
                f"The code moved on: update `find` in {module.source}"
            )
            continue
        contents[edit.file] = (before, current.replace(edit.find, edit.replace, 1))
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
    changes = []
    for name, (before, after) in contents.items():
        (root / name).write_text(after, encoding="utf-8")
        diff = difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
        changes.append(FileChange(name, "".join(diff)))
    return changes


def reset(root: Path, *, force: bool = False) -> tuple[int | None, list[str]]:
    """Undo the applied break; return its module number (None if none) and the files restored."""
    state_path = root / STATE_FILE
    if not state_path.is_file():
        return None, []
    state = json.loads(state_path.read_text(encoding="utf-8"))
    edited_since = []
    for name, record in state["files"].items():
        path = root / name
        now = path.read_text(encoding="utf-8") if path.is_file() else None
        if now is not None and now != record["before"] and _sha256(now) != record["after_sha256"]:
            edited_since.append(name)
    if edited_since and not force:
        raise WorkshopTreeError(
            f"not resetting module {state['module']}: {', '.join(edited_since)} changed since the break was "
            "applied (your fix, or other edits), and a reset would overwrite that. Keep your edits with "
            "`git diff > my-fix.patch` first, then run `make workshop-reset FORCE=1` to put the kit's version back."
        )
    restored = []
    for name, record in state["files"].items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != record["before"]:
            path.write_text(record["before"], encoding="utf-8")
            restored.append(name)
    state_path.unlink()
    if not any(state_path.parent.iterdir()):
        state_path.parent.rmdir()
    return state["module"], restored
