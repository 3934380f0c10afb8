"""Snapshot of every reference stack: any change to the synthesized templates shows up in review.

The templates are those ``cdk synth`` writes (the run's shared assemblies: ``make synth``, and local
mode's synth with the CLI's context for ``-c profile=regulated``), construct-path metadata and the
version report included: what a deploy sends to CloudFormation.
Regenerate with `pytest tests/reference --snapshot-update` and read the diff like code.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from reference_support import ReferenceAssembly, ReferenceTemplates, templates_of

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def normalized(value: Any) -> Any:
    """Blank asset hashes (they change with every code edit and differ between machines)."""
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, str):
        return _ASSET_HASH.sub("<asset-hash>", value)
    return value


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_reference_stacks_match_their_snapshots(
    reference_assembly: ReferenceAssembly, snapshot_json: SnapshotAssertion
) -> None:
    for name, template in sorted(templates_of(reference_assembly.outdir).templates.items()):
        assert normalized(template) == snapshot_json(name=name)


def test_regulated_profile_stacks_match_their_snapshots(
    regulated_templates: ReferenceTemplates, snapshot_json: SnapshotAssertion
) -> None:
    """The regulated profile (``-c profile=regulated``): VPC, endpoints, backups, reserved concurrency."""
    for name, template in sorted(regulated_templates.templates.items()):
        assert normalized(template) == snapshot_json(name=name)
