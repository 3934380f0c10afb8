"""Synthesis of the reference app into a cloud assembly, with the context ``cdk synth`` passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..emulator import REPO_ROOT
from .handling import SynthError

#: What the CDK CLI adds to an app's context unless its settings say otherwise (aws-cdk's
#: ``contextFromSettings``): construct paths and asset paths in the templates' metadata (local
#: mode names a construct by its ``aws:cdk:path``), the version report, and bundling for every
#: stack. With them, local mode deploys the templates ``cdk synth`` writes, not near copies.
CLI_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}


def synthesize(outdir: Path, *, context: dict[str, Any] | None = None, timeout: float = 300) -> Path:
    """Synthesize the reference app (``app.py``, with cdk-nag) into ``outdir``; no CDK CLI needed.

    The context is what ``cdk synth`` would pass: the CLI's own defaults (``CLI_CONTEXT``), then
    ``cdk.json``'s ``context`` (the feature flags and the app's settings), then
    ``cdk.context.json``, then ``context``. A synthesis that fails
    (a cdk-nag finding, for instance) stops local mode: it never deploys an assembly the kit's
    own checks reject.
    """
    outdir = Path(outdir)
    env = dict(os.environ)
    env["CDK_OUTDIR"] = str(outdir)
    node_bin = REPO_ROOT / "tools" / "node24" / "node_modules" / ".bin"
    if node_bin.is_dir():
        env["PATH"] = os.pathsep.join([str(node_bin), env.get("PATH", "")])
    merged: dict[str, Any] = dict(CLI_CONTEXT)
    for name in ("cdk.json", "cdk.context.json"):
        path = REPO_ROOT / name
        if path.is_file():
            data = json.loads(path.read_text())
            merged.update(data.get("context", {}) if name == "cdk.json" else data)
    merged.update(context or {})
    env["CDK_CONTEXT_JSON"] = json.dumps(merged)
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    result = subprocess.run(  # noqa: S603 - our own interpreter and app
        [sys.executable, str(REPO_ROOT / "app.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0 or not (outdir / "manifest.json").is_file():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise SynthError(f"synthesis of app.py failed (exit {result.returncode}):\n{tail}")
    return outdir


# --------------------------------------------------------------------------- the assembly
