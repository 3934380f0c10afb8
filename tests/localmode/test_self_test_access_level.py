"""The start-up self-test's canary role reads with the kit's one access-level model (issue 23).

The canary's policy is ``actions_for(DYNAMODB_TABLE, TableAccess.READ)``, not a list written by
hand in localmode/emulator.py: the self-test passes with it, and a level that loses Query makes
the self-test's "Query on the own table's index" check fail, so the policy really comes from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localmode import emulator as emulator_module
from localmode.emulator import Emulator, SelfTestReport, self_test
from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import DYNAMODB_TABLE, TableAccess


def _run_self_test(log_dir: Path) -> SelfTestReport:
    emulator = Emulator.start(log_dir=log_dir)
    try:
        emulator.create_operator()
        emulator.enforce_iam()
        return self_test(emulator)
    finally:
        emulator.stop()


def test_the_canary_reads_with_the_table_read_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []

    def recording(kind: str, access: str) -> tuple[str, ...]:
        asked.append((kind, access))
        return access_levels.actions_for(kind, access)

    monkeypatch.setattr(emulator_module, "actions_for", recording)
    report = _run_self_test(tmp_path)
    assert asked == [(DYNAMODB_TABLE, TableAccess.READ)]
    assert report.ok, report.explain()


def test_a_level_without_query_fails_the_self_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def without_query(kind: str, access: str) -> tuple[str, ...]:
        return tuple(a for a in access_levels.actions_for(kind, access) if a != "dynamodb:Query")

    monkeypatch.setattr(emulator_module, "actions_for", without_query)
    report = _run_self_test(tmp_path)
    failed = [check.description for check in report.checks if check.observed != check.expected]
    assert failed == ["Query on the own table's index"]
