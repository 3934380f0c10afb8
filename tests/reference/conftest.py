"""The reference app, synthesized once per test session (synth costs seconds).

Two apps, because a registered cdk-nag plugin makes ``Template.from_stack`` raise:
``reference_templates`` (no plugins) for snapshots and assertions, ``reference_assembly``
(app.py's own cloud assembly, every check registered, shared by the workers of a test run) for the
compliance verdict, the perimeter check and the scanners.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdk_support import new_app
from localmode.deploy import SynthError
from reference_support import ACCEPTED_ORIGINS, ReferenceAssembly, ReferenceTemplates
from secure_serverless.compliance import read_validation_report, register_compliance_checks, synth_with_checks
from secure_serverless.profile import Profile
from shared_assembly import shared_reference_assembly
from stacks.config import AppConfig, load_config
from stacks.notes_service import build_app


def _templates(config: AppConfig) -> ReferenceTemplates:
    app = new_app()
    stacks = build_app(app, config)
    assembly = app.synth()
    templates = {stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template for stack in stacks}
    return ReferenceTemplates(stacks, templates)


def _assembly(tmp_path_factory: pytest.TempPathFactory, name: str, config: AppConfig) -> ReferenceAssembly:
    """Synthesize as app.py does: the profile's own packs and the perimeter check registered."""
    outdir = tmp_path_factory.mktemp(name)
    app = new_app(outdir=str(outdir))
    register_compliance_checks(app, packs=config.profile.packs)
    build_app(app, config)
    return ReferenceAssembly(outdir, synth_with_checks(app))


@pytest.fixture(scope="session")
def reference_templates() -> ReferenceTemplates:
    return _templates(AppConfig())


@pytest.fixture(scope="session")
def reference_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> ReferenceAssembly:
    """app.py's own assembly (shared with local mode's tests); on a failed synth, an in-process one that lists the findings."""
    outdir = tmp_path_factory.mktemp("reference-cdk-out")
    try:
        assembly = shared_reference_assembly(tmp_path_factory, worker_id, outdir / "app")
        return ReferenceAssembly(assembly, read_validation_report(assembly))
    except SynthError:
        app = new_app(outdir=str(outdir / "in-process"))
        register_compliance_checks(app)
        build_app(app, AppConfig())
        return ReferenceAssembly(outdir / "in-process", synth_with_checks(app))


@pytest.fixture(scope="session")
def regulated_templates() -> ReferenceTemplates:
    return _templates(AppConfig(profile=Profile.REGULATED))


@pytest.fixture(scope="session")
def regulated_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    """The regulated profile: all five packs and the perimeter check."""
    return _assembly(tmp_path_factory, "regulated-cdk-out", AppConfig(profile=Profile.REGULATED))


@pytest.fixture(scope="session")
def replicated_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    """The regulated profile with ``-c replicaRegion=eu-central-1``: the files bucket replicates."""
    config = AppConfig(profile=Profile.REGULATED, replica_region="eu-central-1")
    return _assembly(tmp_path_factory, "replicated-cdk-out", config)


@pytest.fixture(scope="session")
def cors_reference_template() -> dict[str, Any]:
    """The service template of the reference app with every form of accepted origin configured."""
    app = new_app(context={"allowedOrigins": list(ACCEPTED_ORIGINS)})
    stacks = build_app(app, load_config(app.node))
    assembly = app.synth()
    (service,) = [s for s in stacks if s.stack_name.endswith("-NotesService")]
    template: dict[str, Any] = assembly.get_stack_by_name(service.stack_name).template
    return template
