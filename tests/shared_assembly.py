"""The reference app's cloud assembly, synthesized once per test run and shared by every xdist worker.

``app.py`` with every check, as ``make local`` and ``cdk synth`` produce it, through local mode's
assembly cache in a folder private to this test run (never an earlier run's assembly): the first
worker that needs it synthesizes, the others wait for it and copy it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from localmode.assembly_cache import cached_synthesize
from localmode.deploy import synthesize


def shared_reference_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str, outdir: Path) -> Path:
    """Copy of this run's app.py assembly in ``outdir`` (raises ``localmode.deploy.SynthError`` if the synth fails)."""
    run_root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        run_root = run_root.parent  # shared by the workers of this run only
    saved = os.environ.get("LOCALMODE_ASSEMBLY_CACHE_DIR")
    os.environ["LOCALMODE_ASSEMBLY_CACHE_DIR"] = str(run_root / "reference-assembly-cache")
    try:
        assembly, _ = cached_synthesize(outdir, synthesize=synthesize)
    finally:
        if saved is None:
            os.environ.pop("LOCALMODE_ASSEMBLY_CACHE_DIR", None)
        else:
            os.environ["LOCALMODE_ASSEMBLY_CACHE_DIR"] = saved
    return assembly
