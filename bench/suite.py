"""The test suite's wall time: ``make test`` itself (once: it takes a minute or two)."""

from __future__ import annotations

import re
import subprocess
import time

from .environment import ROOT, child_environment
from .stats import Figure

_SUMMARY = re.compile(r"(\d+) passed")


def suite_wall_time() -> Figure:
    started = time.perf_counter()
    completed = subprocess.run(
        ["make", "--no-print-directory", "test", "PYTEST_ARGS=-q -p no:cacheprovider"],  # noqa: S607 - the README command
        cwd=ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    passed = _SUMMARY.findall(completed.stdout)
    if completed.returncode != 0:
        raise RuntimeError(f"the test suite failed:\n{completed.stdout[-3000:]}")
    return Figure(
        "tests.wall",
        "test suite wall time (make test: pytest -n 2 --dist loadfile)",
        "s",
        [wall],
        note="one run",
        inputs={"passed": int(passed[-1]) if passed else None},
    )
