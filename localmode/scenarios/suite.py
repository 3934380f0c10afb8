"""The suite: registering scenarios, running one or all against a target, printing the results."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .catalogue import SCENARIOS
from .demo import Demo
from .model import CAPABILITY_REASONS, Run, Scenario, ScenarioResult, Target, short

if TYPE_CHECKING:
    from .. import LocalEnvironment

#: Modules whose ``register`` calls add scenarios (imported by ``all_scenarios`` when present).
EXTRA_SCENARIO_MODULES = ("localmode.scenarios.hardening", "localmode.scenarios.round2")

_REGISTERED: list[Scenario] = list(SCENARIOS)


def register(scenario: Scenario) -> Scenario:
    """Add a scenario to the suite (``make local`` and ``make verify``); keys must be unique."""
    if any(existing.key == scenario.key for existing in _REGISTERED):
        raise ValueError(f"a scenario with key {scenario.key!r} is already registered")
    _REGISTERED.append(scenario)
    return scenario


def all_scenarios() -> tuple[Scenario, ...]:
    """The built-in scenarios, then those of every ``EXTRA_SCENARIO_MODULES`` module that exists."""
    import importlib
    import importlib.util

    for module in EXTRA_SCENARIO_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return tuple(_REGISTERED)


def scenario_keys() -> tuple[str, ...]:
    return tuple(scenario.key for scenario in all_scenarios())


def run_scenario(demo: Demo, key: str) -> ScenarioResult:
    scenario = next((s for s in all_scenarios() if s.key == key), None)
    if scenario is None:
        raise KeyError(f"no scenario {key!r}; known: {', '.join(scenario_keys())}")
    result = ScenarioResult(scenario.key, scenario.title, scenario.control)
    missing = sorted(scenario.needs - demo.target.capabilities)
    if missing:
        result.skipped = "; ".join(CAPABILITY_REASONS.get(m, m) for m in missing)
        return result
    try:
        scenario.run(demo, Run(result))
    except Exception as error:  # a scenario that crashes did not behave as expected
        result.error = f"{type(error).__name__}: {short(str(error), 300)}"
    return result


def print_result(result: ScenarioResult, index: int, total: int, out: Callable[[str], None]) -> None:
    out(f"\n[{index}/{total}] {result.title}")
    if result.skipped:
        out(f"  skipped:  {result.skipped}")
        return
    for step in result.steps:
        out(f"  sent:     {step.sent}")
        out(f"  received: {step.received}")
        out(f"  expected: {step.expected}{'' if step.ok else '   <-- NOT as expected'}")
    out(f"  control:  {result.control}")
    if result.error:
        out(f"  error:    {result.error}")
    out("  => behaved as expected" if result.ok else "  => NOT as expected")


def run_all(
    target: Target | LocalEnvironment | Demo,
    *,
    keys: tuple[str, ...] | None = None,
    out: Callable[[str], None] = print,
) -> list[ScenarioResult]:
    """Run the scenarios (all, or ``keys``), print each, and end with the summary line.

    Skipped scenarios are listed with their reason and are not counted in ``N/N``.
    """
    demo = target if isinstance(target, Demo) else Demo(target)
    selected = [s.key for s in all_scenarios() if keys is None or s.key in keys]
    results = []
    for index, key in enumerate(selected, start=1):
        result = run_scenario(demo, key)
        print_result(result, index, len(selected), out)
        results.append(result)
    ran = [result for result in results if not result.skipped]
    passed = sum(result.ok for result in ran)
    out("")
    for result in results:
        if result.skipped:
            out(f"skipped: {result.title} ({result.key}): {result.skipped}")
    for result in ran:
        if not result.ok:
            out(f"NOT as expected: {result.title} ({result.key})")
    out(f"{passed}/{len(ran)} scenarios behaved as expected")
    return ran
