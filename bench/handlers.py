"""Handler benchmarks: cold import of each function's module, warm time per direct invocation.

Each cold import runs in a fresh interpreter (``bench._handler_child``), as a Lambda cold start
does; the first one per handler then serves the warm invocations, as a Lambda environment does
after its cold start. Warm invocations go to DynamoDB and S3 in moto (in-process), so they
include moto's work, which a real invocation replaces with a network round trip.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .environment import ROOT, child_environment
from .stats import Figure

HANDLERS = ("profiles", "notes", "files")
_RESULT_PREFIX = "BENCH-RESULT "


def _child(*args: str) -> dict:  # type: ignore[type-arg]
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench._handler_child", *args],
        cwd=ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_RESULT_PREFIX)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"handler child {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix(_RESULT_PREFIX))  # type: ignore[no-any-return]


def handler_figures(*, runs: int, requests: int, one_process: bool = False) -> list[Figure]:
    """Each handler's cold import and warm invocations; ``one_process``: a smoke run's, every handler in one interpreter."""
    figures = []
    together = _child("quick", str(requests)) if one_process else {}
    for name in HANDLERS:
        # The first cold start goes on with the warm invocations (no extra interpreter for them).
        first = together[name] if one_process else _child("cold", name, str(requests))
        cold = [first["seconds"], *(_child("cold", name)["seconds"] for _ in range(runs - 1))]
        figures.append(
            Figure(
                f"handlers.{name}.cold_import",
                f"{name}: cold import of the handler module (Powertools, boto3, pydantic)",
                "s",
                cold,
                note="quick mode: the handlers one after the other in one interpreter (only the first is cold)"
                if one_process
                else "fresh interpreter per run; the import part of a Lambda cold start",
            )
        )
        warm = first["warm"]
        figures.append(
            Figure(
                f"handlers.{name}.warm_request",
                f"{name}: warm direct invocation (handler + moto DynamoDB)",
                "ms",
                [seconds * 1000 for seconds in warm["seconds"]],
                note=f"{requests} requests after one warm-up; statuses {warm['statuses']}",
                inputs={"requests": requests, "statuses": warm["statuses"]},
            )
        )
    return figures
