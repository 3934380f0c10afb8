"""Fail when a tracked Python module is longer than the limit (issue 23: modules that fit in a head).

Usage: python tools/module_size.py [--limit 700]. Reads the files git tracks, so vendored and
generated folders (node_modules, .venv, cdk.out, build/) never count.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

LIMIT = 700


def tracked_python_files(root: Path) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py"],  # noqa: S607 (git from PATH, as every make target)
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [root / name for name in listed.split("\0") if name]


def too_long(files: list[Path], limit: int) -> list[tuple[Path, int]]:
    found = []
    for path in files:
        if not path.is_file():
            continue  # deleted in the work tree, not yet in the index
        with path.open(encoding="utf-8") as handle:
            count = sum(1 for _ in handle)
        if count > limit:
            found.append((path, count))
    return sorted(found, key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    found = too_long(tracked_python_files(root), args.limit)
    for path, count in found:
        print(
            f"error: {path.relative_to(root)} has {count} lines (limit {args.limit}): "
            "split it along a real seam (one concern per module)",
            file=sys.stderr,
        )
    if not found:
        print(f"every tracked Python module has at most {args.limit} lines")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
