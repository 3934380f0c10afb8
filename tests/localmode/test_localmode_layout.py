"""Local mode's layout: modules that fit in a head, and a scenario catalogue that misses nothing."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from localmode.scenarios import SCENARIOS, all_scenarios

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 700
THEMES = ("accounts", "services", "uploads", "edge", "perimeter")


def test_no_local_mode_module_is_over_700_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "localmode").rglob("*.py"))
    }
    assert len(sizes) > 30, sizes  # the packages were found
    too_long = {path: lines for path, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert too_long == {}, f"split these along their seams (at most {MAX_MODULE_LINES} lines): {too_long}"


@pytest.mark.parametrize("theme", THEMES)
def test_every_scenario_written_in_a_theme_module_is_in_the_catalogue(theme: str) -> None:
    """A function ``(demo, run)`` of a theme module that the catalogue does not list would never run."""
    module = importlib.import_module(f"localmode.scenarios.{theme}")
    written = {
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and list(inspect.signature(function).parameters) == ["demo", "run"]
    }
    listed = {scenario.run.__name__ for scenario in SCENARIOS if scenario.run.__module__ == module.__name__}
    assert written, f"no scenario found in localmode.scenarios.{theme}"
    assert written == listed


def test_the_suite_runs_the_catalogue_first_then_the_review_suites() -> None:
    keys = [scenario.key for scenario in all_scenarios()]
    assert keys[: len(SCENARIOS)] == [scenario.key for scenario in SCENARIOS]
    assert len(keys) == len(set(keys)), "scenario keys must be unique"
    modules = {scenario.run.__module__ for scenario in all_scenarios()[len(SCENARIOS) :]}
    assert modules == {"localmode.scenarios.hardening", "localmode.scenarios.round2"}


def test_the_wheel_ships_every_local_mode_package() -> None:
    """``kit-verify`` and ``kit-local`` import the subpackages: the wheel's package list must hold them all."""
    import tomllib

    from setuptools import find_packages

    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"][
        "find"
    ]
    shipped = set(find_packages(where=str(ROOT), include=find["include"]))
    packages = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "localmode").rglob("__init__.py")}
    assert {"localmode", "localmode.scenarios", "localmode.gateway", "localmode.deploy"} <= packages
    assert packages - shipped == set()
