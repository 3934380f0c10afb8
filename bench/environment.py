"""What the benchmarks share: the repository, the Node.js that jsii uses, the app's context."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCAL_NODE = ROOT / "tools" / "node24" / "node_modules" / ".bin"


def child_environment(**extra: str) -> dict[str, str]:
    """The environment of a benchmark child: the project-local Node.js first on PATH (as ``make`` does)."""
    env = dict(os.environ)
    if LOCAL_NODE.is_dir():
        env["PATH"] = os.pathsep.join([str(LOCAL_NODE), env.get("PATH", "")])
    env.update(extra)
    return env


def cdk_context() -> dict[str, Any]:
    """The context ``cdk synth`` passes to app.py: cdk.json's ``context``, then cdk.context.json."""
    merged: dict[str, Any] = dict(json.loads((ROOT / "cdk.json").read_text()).get("context", {}))
    extra = ROOT / "cdk.context.json"
    if extra.is_file():
        merged.update(json.loads(extra.read_text()))
    return merged


def synth_environment(outdir: Path) -> dict[str, str]:
    """What ``cdk synth --output outdir`` tells the app: where to write, and the context."""
    return child_environment(CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps(cdk_context()))


def git_commit() -> dict[str, Any]:
    """The commit measured, and whether the work tree had changes."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603,S607
        return result.stdout.strip() if result.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or None,
        "subject": git("log", "-1", "--format=%s") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def node_version() -> str | None:
    try:
        result = subprocess.run(
            ["node", "--version"],  # noqa: S607
            env=child_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() or None
