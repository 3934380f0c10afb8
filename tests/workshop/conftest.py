"""The reference app synthesized once for the workshop tests (the diagrams are drawn from it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdk_support import new_app
from stacks.config import AppConfig
from stacks.notes_service import build_app


@pytest.fixture(scope="session")
def reference_assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cloud assembly of the reference app as `make diagrams` synthesizes it (cdk.json's flags)."""
    outdir = tmp_path_factory.mktemp("workshop-cdk-out")
    # The CDK CLI turns on path metadata (the diagrams label resources with their construct paths).
    app = new_app(outdir=str(outdir), context={"aws:cdk:enable-path-metadata": True})
    build_app(app, AppConfig())
    app.synth()
    return outdir
