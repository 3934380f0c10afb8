"""Local mode, brought up once per test session: synthesize app.py once, deploy once.

``local_assembly`` is the cloud assembly ``make local`` would deploy (``app.py`` with cdk-nag, run
as local mode runs it); ``local_env`` is the stack running on loopback (emulator, workers,
gateway); ``local_demo`` is the scenarios' client. Tests that need a broken stack copy
``local_assembly`` and mutate the copy (``mutated_assembly``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localmode import LocalEnvironment, start_local
from localmode.deploy import load_assembly
from localmode.scenarios import Demo
from shared_assembly import shared_reference_assembly

SERVICE_SUFFIX = "-NotesService"


@pytest.fixture(scope="session")
def local_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    # One synth of app.py per test run, shared with the other workers (issue 14: was one per worker)
    return shared_reference_assembly(
        tmp_path_factory, worker_id, tmp_path_factory.mktemp("localmode-assembly") / "cdk.out"
    )


@pytest.fixture(scope="session")
def local_env(local_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    env = start_local(assembly_dir=local_assembly, workdir=tmp_path_factory.mktemp("localmode-run"))
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture(scope="session")
def local_demo(local_env: LocalEnvironment) -> Demo:
    return Demo(local_env)


def service_template_path(assembly: Path) -> Path:
    for stack in load_assembly(assembly).stacks:
        if stack.name.endswith(SERVICE_SUFFIX):
            return stack.template_path
    raise LookupError(f"no *{SERVICE_SUFFIX} stack in {assembly}")


@pytest.fixture
def mutated_assembly(local_assembly: Path, tmp_path: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """Copy the session's assembly and apply ``mutate(template)`` to the service stack's template."""

    def make(mutate: Callable[[dict[str, Any]], None]) -> Path:
        copy = tmp_path / "cdk.out"
        shutil.copytree(local_assembly, copy)
        path = service_template_path(copy)
        template = json.loads(path.read_text())
        mutate(template)
        path.write_text(json.dumps(template))
        return copy

    return make
