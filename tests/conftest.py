"""Test-wide set-up: import path for test helpers, no bytecode in lambdas/, the project-local Node.js, xdist's units."""

from __future__ import annotations

import os
import sys
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

# Bytecode is cached as usual (`make test` allows it even under PYTHONDONTWRITEBYTECODE), except
# for the handler code under lambdas/: those folders are deployment assets, so no __pycache__ is
# written into them. `set_data` is the loader method that writes a module's bytecode cache.
_LAMBDAS = ROOT / "lambdas"
_write_data = SourceFileLoader.set_data


def _set_data_outside_assets(self: SourceFileLoader, path: str, data: bytes, *, _mode: int = 0o666) -> None:
    if _LAMBDAS not in Path(path).absolute().parents:
        _write_data(self, path, data, _mode=_mode)  # type: ignore[call-arg]


SourceFileLoader.set_data = _set_data_outside_assets  # type: ignore[method-assign]

# jsii runs CDK on Node.js: use the project-local Node 24 when `make setup` installed one.
_LOCAL_NODE = ROOT / "tools" / "node24" / "node_modules" / ".bin"
if (_LOCAL_NODE / "node").exists() and str(_LOCAL_NODE) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_LOCAL_NODE}{os.pathsep}{os.environ.get('PATH', '')}"

# Every jsii kernel of the run (the workers' own and each CDK app a test starts, which inherit the
# environment) runs that Node.js with two V8 flags that change how it compiles, never what it does
# (tests/bin/node-lean): about a sixth of the run's time on 2 cores (docs/performance.md, "Fifth round").
# A JSII_NODE of your own is kept; KIT_TEST_PLAIN_NODE=1 runs Node.js as a user's shell does.
if os.environ.get("KIT_TEST_PLAIN_NODE") != "1":
    os.environ.setdefault("JSII_NODE", str(Path(__file__).parent / "bin" / "node-lean"))


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        return

    @pytest.fixture(scope="session")
    def worker_id() -> str:
        """As pytest-xdist names a run without workers (``pytest -p no:xdist``)."""
        return "master"

    plugin = ModuleType("kit_single_process")
    plugin.worker_id = worker_id  # type: ignore[attr-defined]
    config.pluginmanager.register(plugin, "kit-single-process")


# ------------------------------------------------------------------ how pytest-xdist shares the work
# `make test` runs `pytest -n 2 --dist loadfile`: each file is one unit of work, run by one worker,
# so a file's module and session fixtures are built once. Two refinements, for wall time only
# (what runs, and how, is the same):
#
# - files that share a costly session fixture form one unit, so it is built once per run, not
#   once per worker: the local stack (`local_env`, about 5 s and four processes; the e2e, fuzz and verify files) and the
#   regulated profile with a replica region (`replicated_assembly`, synthesized in-process);
# - the heaviest unit left goes first (longest-processing-time-first), so both workers finish
#   together instead of one running the bench smoke test alone at the end. The weights are rough
#   CPU seconds (on a quiet 2-core machine a unit's wall time is about its CPU time, as each unit
#   runs on one worker); a wrong one costs balance, never a test.

#: files that form one unit of work (they share a session fixture that is costly to build)
SHARED_UNITS = {
    "tests/localmode/test_e2e.py": "tests/localmode [local_env]",
    "tests/localmode/test_verify_and_startup.py": "tests/localmode [local_env]",
    "tests/localmode/test_fuzz_openapi.py": "tests/localmode [local_env]",
    "tests/reference/test_regulated_profile.py": "tests/reference [replicated_assembly]",
    "tests/reference/test_third_party_scanners.py": "tests/reference [replicated_assembly]",
}
#: rough CPU seconds of the units that take more than a few (each unit's process tree, measured per
#: test from /proc in a full run, 2026-12-07; the bench smoke run and the construct reference
#: re-measured after the fourth round, see docs/performance.md); any other unit weighs 0.05 s per test
UNIT_SECONDS = {
    "tests/localmode [local_env]": 115.0,
    "tests/consumer/test_cli_gate.py": 62.0,
    "tests/localmode/test_regulated_local.py": 39.0,
    "tests/test_bench.py": 38.0,
    "tests/consumer/test_compositions.py": 37.0,
    "tests/consumer/test_consumer.py": 36.0,
    "tests/reference [replicated_assembly]": 29.0,
    "tests/consumer/test_grant_paths.py": 20.5,
    "tests/lambdas/test_lambda_notes.py": 18.5,
    "tests/reference/test_guide_fourth_service.py": 17.5,
    "tests/constructs/test_rest_api.py": 16.5,
    "tests/test_reference_docs.py": 10.0,
    "tests/lambdas/test_lambda_files.py": 12.0,
    "tests/scripts/test_kit_user_cognito.py": 8.5,
    "tests/lambdas/test_lambda_profiles.py": 8.0,
    "tests/localmode/test_s3_front.py": 6.0,
    "tests/localmode/test_gateway.py": 5.0,
    "tests/perimeter/test_perimeter_mutations.py": 5.0,
}


@pytest.hookimpl(optionalhook=True)  # an xdist hook: pytest -p no:xdist must still run
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getvalue("dist") != "loadfile":
        return None  # xdist's own scheduler for any other --dist
    from xdist.scheduler import LoadFileScheduling

    class KitScheduling(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            scope: str = super()._split_scope(nodeid)
            return SHARED_UNITS.get(scope, scope)

        def _assign_work_unit(self, node: object) -> None:
            def seconds(scope: str) -> float:
                return UNIT_SECONDS.get(scope, 0.05 * len(self.workqueue[scope]))

            self.workqueue.move_to_end(max(self.workqueue, key=seconds), last=False)
            super()._assign_work_unit(node)

    return KitScheduling(config, log)
