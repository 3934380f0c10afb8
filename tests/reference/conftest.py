"""The reference app, synthesized once per test session (synth costs seconds).

Two apps, because a registered cdk-nag plugin makes ``Template.from_stack`` raise:
``reference_templates`` (no plugins) for snapshots and assertions, ``reference_assembly``
(app.py's own cloud assembly, every check registered, shared by the workers of a test run) for the
compliance verdict, the perimeter check and the scanners.
"""

from __future__ import annotations

import pytest

from cdk_support import new_app
from localmode.deploy import SynthError
from reference_support import ReferenceAssembly, ReferenceTemplates
from secure_serverless.compliance import read_validation_report, register_compliance_checks, synth_with_checks
from shared_assembly import shared_reference_assembly
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
