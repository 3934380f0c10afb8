"""The reference app's cloud assemblies, each synthesized once per test run and shared by every xdist worker.

``app.py`` with every check, through local mode's assembly cache in a folder private to this test
run (never an earlier run's assembly): the first worker that needs an assembly synthesizes it, the
others wait for it and copy it. One assembly per context, each in a cache folder of its own (a
cache keeps only its newest entries):

- the default app, built by ``make synth`` (the README's command and the CI example's first step:
  the CDK CLI, then the summary and the perimeter check), for the reference, local-mode and
  pull-request tests;
- the regulated profile and the app with every form of accepted origin, built by local mode's own
  synth (``localmode.deploy.synthesize``, what ``make local`` runs), for the compliance and
  contract tests and for local mode on them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from localmode.assembly_cache import cached_synthesize
from localmode.deploy import SynthError, synthesize

ROOT = Path(__file__).resolve().parents[1]
#: How the default assembly is built: the first command of the CI example (docs/pull-requests.md).
MAKE_SYNTH = ("make", "synth")

#: Origins of every form the stack accepts, the loopback ones included (issue 8, item 5).
ACCEPTED_ORIGINS = (
    "https://app.example.com",
    "https://app.example.com:8443",
    "http://localhost:5173",
    "http://127.0.0.1:3000",
)

#: ``-c profile=regulated``: all five packs.
REGULATED = {"profile": "regulated"}
#: ``-c allowedOrigins=[...]``: CORS on, for every form of origin.
WITH_ORIGINS = {"allowedOrigins": list(ACCEPTED_ORIGINS)}


def shared_cache_directory(tmp_path_factory: pytest.TempPathFactory, worker_id: str, context: dict[str, Any]) -> Path:
    """The assembly cache of this test run for ``context`` (the same folder in every worker)."""
    run_root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        run_root = run_root.parent  # shared by the workers of this run only
    name = hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()[:12] if context else "default"
    return run_root / "reference-assembly-cache" / name


@contextmanager
def using_cache(directory: Path) -> Iterator[None]:
    """``LOCALMODE_ASSEMBLY_CACHE_DIR=directory`` meanwhile (local mode's own synth then shares it too)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCALMODE_ASSEMBLY_CACHE_DIR", str(directory))
        yield


def make_synth(outdir: Path, *, context: dict[str, Any] | None = None) -> Path:
    """``OUT=outdir make synth``; raises ``SynthError`` with the output's end when it fails."""
    if context:
        raise ValueError("make synth builds the default app; give a context to localmode.deploy.synthesize")
    result = subprocess.run(
        MAKE_SYNTH,
        cwd=ROOT,
        env={**os.environ, "OUT": str(outdir)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0 or not (outdir / "manifest.json").is_file():
        raise SynthError(
            f"make synth failed (exit {result.returncode}):\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )
    return outdir


def shared_reference_assembly(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, outdir: Path, *, context: dict[str, Any] | None = None
) -> Path:
    """Copy of this run's app.py assembly for ``context`` in ``outdir`` (raises ``localmode.deploy.SynthError`` if the synth fails)."""
    with using_cache(shared_cache_directory(tmp_path_factory, worker_id, context or {})):
        assembly, _ = cached_synthesize(
            outdir, synthesize=synthesize if context else make_synth, context=context or None
        )
    return assembly
