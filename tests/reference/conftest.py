"""The reference app, synthesized once per test session (synth costs seconds).

Two apps, because a registered cdk-nag plugin makes ``Template.from_stack`` raise:
``reference_templates`` (no plugins) for snapshots and assertions, ``reference_assembly``
(packs registered, written to a temporary cloud assembly) for the compliance verdict and the
perimeter check.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdk_support import new_app
from reference_support import ACCEPTED_ORIGINS, ReferenceAssembly, ReferenceTemplates
from secure_serverless.compliance import register_compliance_checks, synth_with_checks
from stacks.config import AppConfig, load_config
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
def cors_reference_template() -> dict[str, Any]:
    """The service template of the reference app with every form of accepted origin configured."""
    app = new_app(context={"allowedOrigins": list(ACCEPTED_ORIGINS)})
    stacks = build_app(app, load_config(app.node))
    assembly = app.synth()
    (service,) = [s for s in stacks if s.stack_name.endswith("-NotesService")]
    template: dict[str, Any] = assembly.get_stack_by_name(service.stack_name).template
    return template
