"""The shared-data check is indexed (issue 21): same verdicts as comparing every pair, linear cost."""

from __future__ import annotations

import gc
import random
import time
from pathlib import Path

import pytest

from secure_serverless_checks.perimeter import analyze
from secure_serverless_checks.perimeter._sharing import shared_conflicts
from secure_serverless_checks.perimeter.synthetic import synthetic_assembly


def _pairwise(heads: dict[str, set[str]], shared: set[str], *, by_heads: bool) -> list[tuple[str, list[str]]]:
    """The definition, one pair at a time (what the analyzer did before it was indexed)."""
    found = []
    for function, mine in heads.items():
        conflicts = [
            other
            for other, theirs in heads.items()
            if other != function
            and (not by_heads or any(a.startswith(b) or b.startswith(a) for a in mine for b in theirs))
            and not (function in shared and other in shared)
        ]
        if conflicts:
            found.append((function, conflicts))
    return found


@pytest.mark.parametrize("seed", range(40))
def test_indexed_conflicts_equal_the_pairwise_definition(seed: int) -> None:
    generator = random.Random(seed)  # noqa: S311 - reproducible test inputs, not secrets
    alphabet = ["", "a", "a/", "a/b", "a/b/", "b/", "ab", "c/d/", "c/", "d"]
    heads = {
        f"F{number}": {generator.choice(alphabet) for _ in range(generator.randint(1, 3))}
        for number in range(generator.randint(1, 12))
    }
    shared = {function for function in heads if generator.random() < 0.4}

    for by_heads in (True, False):
        assert list(shared_conflicts(heads, shared, by_heads=by_heads)) == _pairwise(heads, shared, by_heads=by_heads)


def test_whole_bucket_reach_conflicts_with_every_prefix() -> None:
    heads = {"A": {"a/"}, "B": {"b/"}, "Whole": {""}}

    assert dict(shared_conflicts(heads, set(), by_heads=True)) == {"A": ["Whole"], "B": ["Whole"], "Whole": ["A", "B"]}


def test_functions_on_their_own_prefixes_of_one_bucket_pass() -> None:
    report = analyze(synthetic_assembly(functions=30, shared_bucket=True, stacks=2))

    assert report.ok, report.to_text()
    assert len(report.matrix) == 30


def test_a_prefix_inside_another_functions_prefix_is_reported() -> None:
    templates = synthetic_assembly(functions=3, shared_bucket=True)
    resources = templates["Synthetic0"]["Resources"]
    # F0002 widens its grant (and its declaration) from F0002/ to F000: which covers F0001/ too
    statement = resources["F0002RoleDefaultPolicy"]["Properties"]["PolicyDocument"]["Statement"][-2]
    statement["Resource"]["Fn::Join"][1][1] = "/F000*"
    entry = next(
        e for e in resources["F0002Function"]["Metadata"]["SecureServerless::Perimeter"]["reach"] if "prefix" in e
    )
    entry["prefix"] = "F000"

    report = analyze(templates)

    shared = {(v.function, v.rule.code) for v in report.violations}
    assert shared == {("F0000Function", "P13"), ("F0001Function", "P13"), ("F0002Function", "P13")}, report.to_text()


def test_cost_grows_linearly_with_functions_on_one_bucket() -> None:
    """4x the functions must cost well under 16x (the quadratic loop took 10x-20x here)."""

    def seconds(functions: int) -> float:
        templates = synthetic_assembly(functions=functions, shared_bucket=True)
        started = time.process_time()
        assert analyze(templates).ok
        return time.process_time() - started

    small, large = min(seconds(150) for _ in range(2)), min(seconds(600) for _ in range(2))

    assert large / small < 8, (small, large)


def test_the_garbage_collector_is_restored_after_a_load_and_an_analysis(tmp_path: Path) -> None:
    from secure_serverless_checks.perimeter import PerimeterInputError, load_path

    broken = tmp_path / "broken.template.json"
    broken.write_text('{"Resources": {')
    assert gc.isenabled()

    analyze(synthetic_assembly(functions=2))
    with pytest.raises(PerimeterInputError):
        load_path(broken)
    with pytest.raises(PerimeterInputError):
        analyze({"Empty": {}})

    assert gc.isenabled()
    gc.disable()
    try:
        analyze(synthetic_assembly(functions=2))
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
