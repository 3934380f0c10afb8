"""The peer comparison: the reference app against the same architecture built from AWS Solutions Constructs.

The peer (``bench/peer/app.py``) pins its own aws-cdk-lib, which cannot be installed beside the
kit's, so it runs in its own virtual environment: ``build/bench-peer-venv/``, created here from
``bench/peer/requirements.txt`` (exact versions) the first time, and again whenever that file
changes. Both apps are synthesized the way ``cdk synth`` runs them (``python app.py`` in a fresh
process, ``CDK_OUTDIR`` and cdk.json's context in the environment), with the same Node.js, in
alternation so that a change in the machine's load hits both alike: each round runs ours with a
warm verdict cache of the kit's CloudFormation validation (what a second synth of the app waits
for), ours with no cache (a first synth: CDK's engine validates every template), then the peer, and
gives one ratio ours / peer for each of the two.

Both synths end after the same checks: ours registers AwsSolutions, Serverless and the perimeter
check and passes them; the peer registers AwsSolutions and Serverless, which find violations, so
its ``app.synth()`` raises ``ValidationFailed`` once every pack has run and the templates and
``validation-report.json`` are written. The peer's time runs until that raise (the process then
exits 0), so neither side is timed without its checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .environment import ROOT, cdk_context, child_environment
from .stats import Figure
from .synth import _children_cpu

PEER_DIR = ROOT / "bench" / "peer"
REQUIREMENTS = PEER_DIR / "requirements.txt"
VENV = ROOT / "build" / "bench-peer-venv"
_STAMP = VENV / "requirements.sha256"
_RESULT_PREFIX = "PEER-RESULT "


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(folder: Path = VENV, requirements: Path = REQUIREMENTS) -> Path:
    """The peer's interpreter; builds its virtual environment first if missing or out of date (minutes)."""
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = folder / _STAMP.name
    python = _venv_python(folder)
    if python.is_file() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return python
    _say(f"building the peer's virtual environment in {folder} from {requirements} (once; minutes) ...")
    venv.EnvBuilder(clear=True, with_pip=True).create(folder)
    completed = subprocess.run(  # noqa: S603 - the venv's own pip, our pinned file
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(requirements)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"installing the peer's requirements ({requirements}) into {folder} failed "
            f"(exit {completed.returncode}); fix the pins or the network and re-run:\n"
            + "\n".join(completed.stderr.splitlines()[-15:])
        )
    stamp.write_text(wanted + "\n")
    return python


@dataclass
class Run:
    wall: float
    cpu: float
    resources: int
    violations: int


def _resources(outdir: Path) -> int:
    return sum(
        len(json.loads(path.read_text()).get("Resources", {})) for path in sorted(outdir.glob("*.template.json"))
    )


def _run(command: list[str], *, env: dict[str, str], what: str) -> tuple[float, float, str]:
    cpu_before, started = _children_cpu(), time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).splitlines()[-25:])
        raise RuntimeError(f"{what} synth failed (exit {completed.returncode}):\n{tail}")
    return wall, cpu, completed.stdout


def _context_env(outdir: Path) -> dict[str, str]:
    return {"CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(cdk_context())}


def run_ours(outdir: Path, *, verdict_cache: str = "off") -> Run:
    """``python app.py`` as ``cdk synth`` runs it (the kit's sources on PYTHONPATH as for any other child).

    ``verdict_cache``: the kit's CloudFormation validation cache (a directory, or ``off``: every template
    is validated by the engine, as on a first synth).
    """
    env = child_environment(**_context_env(outdir), SECURE_SERVERLESS_CFN_VALIDATE_CACHE=verdict_cache)
    wall, cpu, _ = _run([sys.executable, "app.py"], env=env, what="the reference app")
    return Run(wall, cpu, _resources(outdir), 0)


def run_peer(python: Path, outdir: Path) -> Run:
    """The peer app in its own environment: nothing of the kit's on its path."""
    env = child_environment(**_context_env(outdir))
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    wall, cpu, stdout = _run([str(python), str(PEER_DIR / "app.py")], env=env, what="the peer app")
    lines = [line for line in stdout.splitlines() if line.startswith(_RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(f"the peer app printed no {_RESULT_PREFIX.strip()} line:\n{stdout[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix(_RESULT_PREFIX))
    return Run(wall, cpu, int(result["resources"]), int(result["violations"]))


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def compare(*, pairs: int) -> list[Figure]:
    """``pairs`` rounds of ours with a warm verdict cache, ours with none, and the peer, alternating
    (after one unmeasured warm-up of each)."""
    python = ensure_venv()
    ours: list[Run] = []
    cold: list[Run] = []
    peer: list[Run] = []
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as keep:
        base = Path(keep)
        verdicts = base / "verdicts"
        verdicts.mkdir(mode=0o700)
        # warm-up: the first synth of a new aws-cdk-lib extracts it into jsii's package cache, and
        # the first run of new sources compiles them; neither is what a user waits for on each synth.
        # Ours' warm-up also fills the verdict cache that its warm runs read (a second synth of the app).
        run_ours(base / "warm-ours", verdict_cache=str(verdicts))
        run_peer(python, base / "warm-peer")
        for number in range(pairs):
            loads.append(_load())
            ours.append(run_ours(base / f"ours{number}", verdict_cache=str(verdicts)))
            cold.append(run_ours(base / f"cold{number}", verdict_cache="off"))
            peer.append(run_peer(python, base / f"peer{number}"))

    def figure(key: str, label: str, unit: str, values: list[float], note: str = "") -> Figure:
        return Figure(f"peer.{key}", label, unit, values, note=note)

    return [
        figure(
            "ratio",
            "ours / peer: synth wall time, each round (ours warm, ours cold, the peer, alternating)",
            "ratio",
            [o.wall / p.wall for o, p in zip(ours, peer, strict=True)],
            note="below 1: ours is faster; the peer's synth ends at its ValidationFailed (every pack has run)",
        ),
        figure(
            "ratio_cold",
            "ours with no verdict cache (first synth) / peer: synth wall time, each round",
            "ratio",
            [o.wall / p.wall for o, p in zip(cold, peer, strict=True)],
            note="ours validates every template with CDK's engine in its side process",
        ),
        figure(
            "ratio_cpu",
            "ours / peer: CPU seconds of Python + Node.js, each round (verdict cache warm)",
            "ratio",
            [o.cpu / p.cpu for o, p in zip(ours, peer, strict=True)],
        ),
        figure(
            "ratio_cpu_cold",
            "ours with no verdict cache / peer: CPU seconds of Python + Node.js, each round",
            "ratio",
            [o.cpu / p.cpu for o, p in zip(cold, peer, strict=True)],
        ),
        figure(
            "ours.wall",
            "ours: reference app synth (python app.py, every check), verdict cache warm",
            "s",
            [o.wall for o in ours],
        ),
        figure("ours_cold.wall", "ours: the same with no verdict cache (first synth)", "s", [o.wall for o in cold]),
        figure(
            "peer.wall",
            "peer: AWS Solutions Constructs 2.105 app synth (AwsSolutions + Serverless packs)",
            "s",
            [p.wall for p in peer],
        ),
        figure("ours.cpu", "ours: CPU seconds of Python + Node.js, verdict cache warm", "s", [o.cpu for o in ours]),
        figure("ours_cold.cpu", "ours: CPU seconds with no verdict cache", "s", [o.cpu for o in cold]),
        figure("peer.cpu", "peer: CPU seconds of Python + Node.js", "s", [p.cpu for p in peer]),
        figure("ours.resources", "ours: resources in the templates", "count", [float(o.resources) for o in ours]),
        figure("peer.resources", "peer: resources in the templates", "count", [float(p.resources) for p in peer]),
        figure(
            "peer.violations",
            "peer: cdk-nag violations (its synth raises ValidationFailed)",
            "count",
            [float(p.violations) for p in peer],
        ),
        figure("load", "machine load average (1 min) at the start of each round", "load", loads),
    ]
