"""The reference app, synthesized once per test session (synth costs seconds).

Two apps, because a registered cdk-nag plugin makes ``Template.from_stack`` raise:
``reference_templates`` (no plugins) for snapshots and assertions, ``reference_assembly``
(packs registered, written to a temporary cloud assembly) for the compliance verdict and the
perimeter check.
"""

from __future__ import annotations

import pytest

from cdk_support import new_app
from reference_support import ReferenceAssembly, ReferenceTemplates
from secure_serverless.compliance import register_compliance_checks, synth_with_checks
from secure_serverless.profile import Profile
from stacks.config import AppConfig
from stacks.notes_service import build_app


@pytest.fixture(scope="session")
def reference_templates() -> ReferenceTemplates:
    app = new_app()
    stacks = build_app(app, AppConfig())
    assembly = app.synth()
    templates = {stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template for stack in stacks}
    return ReferenceTemplates(stacks, templates)


@pytest.fixture(scope="session")
def reference_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    outdir = tmp_path_factory.mktemp("reference-cdk-out")
    app = new_app(outdir=str(outdir))
    register_compliance_checks(app)
    build_app(app, AppConfig())
    return ReferenceAssembly(outdir, synth_with_checks(app))


@pytest.fixture(scope="session")
def regulated_templates() -> ReferenceTemplates:
    app = new_app()
    stacks = build_app(app, AppConfig(profile=Profile.REGULATED))
    assembly = app.synth()
    templates = {stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template for stack in stacks}
    return ReferenceTemplates(stacks, templates)


@pytest.fixture(scope="session")
def regulated_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    """The regulated profile as app.py builds it: its own packs (all five) and the perimeter check."""
    outdir = tmp_path_factory.mktemp("regulated-cdk-out")
    app = new_app(outdir=str(outdir))
    register_compliance_checks(app, packs=Profile.REGULATED.packs)
    build_app(app, AppConfig(profile=Profile.REGULATED))
    return ReferenceAssembly(outdir, synth_with_checks(app))


@pytest.fixture(scope="session")
def replicated_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    """The regulated profile with ``-c replicaRegion=eu-central-1``: the files bucket replicates."""
    outdir = tmp_path_factory.mktemp("replicated-cdk-out")
    app = new_app(outdir=str(outdir))
    register_compliance_checks(app, packs=Profile.REGULATED.packs)
    build_app(app, AppConfig(profile=Profile.REGULATED, replica_region="eu-central-1"))
    return ReferenceAssembly(outdir, synth_with_checks(app))
