"""The reference app's templates and assemblies, synthesized once per test run (synth costs seconds).

Every fixture reads the assemblies of ``app.py`` itself (every check registered, shared by the
workers of a test run, see ``tests/shared_assembly.py``): the templates for assertions and
snapshots, the validation report for the compliance verdict, the folders for the perimeter check
and the scanners. Only a failed synth, and the regulated profile with a replica region, are
synthesized in this process (with the checks registered, so the report lists the findings).
"""

from __future__ import annotations

from typing import Any

import pytest

from cdk_support import new_app
from localmode.deploy import SynthError
from reference_support import ReferenceAssembly, ReferenceTemplates, templates_of
from secure_serverless.compliance import read_validation_report, register_compliance_checks, synth_with_checks
from secure_serverless.profile import Profile
from shared_assembly import REGULATED, WITH_ORIGINS, shared_reference_assembly
from stacks.config import AppConfig
from stacks.notes_service import build_app


def _assembly(tmp_path_factory: pytest.TempPathFactory, name: str, config: AppConfig) -> ReferenceAssembly:
    """Synthesize in this process as app.py does: the profile's own packs and the perimeter check registered."""
    outdir = tmp_path_factory.mktemp(name)
    app = new_app(outdir=str(outdir))
    register_compliance_checks(app, packs=config.profile.packs)
    build_app(app, config)
    return ReferenceAssembly(outdir, synth_with_checks(app))


def _shared(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, config: AppConfig, context: dict[str, Any]
) -> ReferenceAssembly:
    """app.py's own assembly for ``context``; on a failed synth, an in-process one whose report lists the findings."""
    outdir = tmp_path_factory.mktemp(name)
    try:
        assembly = shared_reference_assembly(tmp_path_factory, worker_id, outdir / "app", context=context)
    except SynthError:
        return _assembly(tmp_path_factory, f"{name}-in-process", config)
    return ReferenceAssembly(assembly, read_validation_report(assembly))


@pytest.fixture(scope="session")
def reference_templates(reference_assembly: ReferenceAssembly) -> ReferenceTemplates:
    """The templates ``make synth`` wrote (the run's default assembly)."""
    return templates_of(reference_assembly.outdir)


@pytest.fixture(scope="session")
def reference_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> ReferenceAssembly:
    """app.py's own assembly (shared with local mode's tests)."""
    return _shared(tmp_path_factory, worker_id, "reference-cdk-out", AppConfig(), {})


@pytest.fixture(scope="session")
def regulated_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> ReferenceAssembly:
    """The regulated profile (``-c profile=regulated``): all five packs and the perimeter check (shared with local mode's tests)."""
    return _shared(tmp_path_factory, worker_id, "regulated-cdk-out", AppConfig(profile=Profile.REGULATED), REGULATED)


@pytest.fixture(scope="session")
def regulated_templates(regulated_assembly: ReferenceAssembly) -> ReferenceTemplates:
    return templates_of(regulated_assembly.outdir)


@pytest.fixture(scope="session")
def replicated_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    """The regulated profile with ``-c replicaRegion=eu-central-1``: the files bucket replicates."""
    config = AppConfig(profile=Profile.REGULATED, replica_region="eu-central-1")
    return _assembly(tmp_path_factory, "replicated-cdk-out", config)


@pytest.fixture(scope="session")
def cors_reference_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, Any]:
    """The service template of app.py with every form of accepted origin configured (shared with local mode's tests)."""
    outdir = tmp_path_factory.mktemp("cors-cdk-out")
    assembly = shared_reference_assembly(tmp_path_factory, worker_id, outdir / "app", context=WITH_ORIGINS)
    return templates_of(assembly).service()
