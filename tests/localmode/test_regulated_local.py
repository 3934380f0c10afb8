"""Local mode on the regulated profile (``make local PROFILE=regulated``): the VPC and backup
resources are accepted, said so at start-up, and every scenario behaves as on the default profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localmode import LocalEnvironment, start_local
from localmode.deploy import HANDLING
from localmode.scenarios import all_scenarios, run_all
from shared_assembly import REGULATED, shared_cache_directory, using_cache

pytestmark = pytest.mark.slow  # synthesizes the regulated profile (once per run) and deploys it

REGULATED_ONLY_PREFIXES = ("AWS::EC2::", "AWS::Backup::")


@pytest.fixture(scope="module")
def regulated_start(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[tuple[LocalEnvironment, list[str]]]:
    said: list[str] = []
    # Local mode's own synth of the profile, through this run's cache for it (shared with the
    # compliance tests of tests/reference): one synthesis of the regulated profile per test run.
    with using_cache(shared_cache_directory(tmp_path_factory, worker_id, REGULATED)):
        env = start_local(
            workdir=tmp_path_factory.mktemp("localmode-regulated"), profile="regulated", progress=said.append
        )
    try:
        yield env, said
    finally:
        env.stop()


def test_every_scenario_behaves_as_expected_on_the_regulated_profile(
    regulated_start: tuple[LocalEnvironment, list[str]],
) -> None:
    env, _ = regulated_start
    lines: list[str] = []
    results = run_all(env, out=lines.append)
    assert [r.key for r in results if not r.ok] == []
    count = len(all_scenarios())
    assert lines[-1] == f"{count}/{count} scenarios behaved as expected"


def test_vpc_and_backup_resources_are_accepted_as_no_ops_and_said_so_at_start_up(
    regulated_start: tuple[LocalEnvironment, list[str]],
) -> None:
    env, said = regulated_start
    kinds = {
        resource["Type"]
        for stack in env.stacks.values()
        for resource in stack.template["Resources"].values()
        if resource["Type"].startswith(REGULATED_ONLY_PREFIXES)
    }
    assert {"AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::Backup::BackupVault"} <= kinds
    for kind in kinds:
        assert HANDLING[kind].no_op, kind
        assert any(line.startswith("accepted as a no-op:") and kind in line for line in said), kind
    assert any("network isolation is not emulated" in line for line in said)
