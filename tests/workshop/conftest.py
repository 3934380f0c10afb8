"""The reference app's assembly for the workshop tests (the diagrams are drawn from it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_assembly import shared_reference_assembly


@pytest.fixture(scope="session")
def reference_assembly_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The cloud assembly `make diagrams` draws from: `cdk synth --quiet` of app.py with cdk.json.

    That is what `make synth` runs too (with the default profile), so this is this run's default
    assembly (tests/shared_assembly.py), shared with the reference, local-mode and pull-request
    tests instead of a synthesis of its own. The CDK CLI turns on path metadata (the diagrams
    label resources with their construct paths).
    """
    return shared_reference_assembly(
        tmp_path_factory, worker_id, tmp_path_factory.mktemp("workshop-cdk-out") / "cdk.out"
    )
