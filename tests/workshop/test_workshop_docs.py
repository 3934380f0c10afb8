"""The workshop pages stay true: links resolve, make targets exist, the module table matches the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workshop.breaks import REPO_ROOT, load_modules

PAGES = sorted((REPO_ROOT / "docs" / "workshop").glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_point_to_existing_files(page: Path) -> None:
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text())
    missing = [link for link in links if not (page.parent / link).exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_make_targets_named_exist(page: Path) -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"(?:`|^)make ([a-z][a-z-]*)", page.read_text(), re.MULTILINE))
    assert named - targets == set()


def test_the_guides_module_table_has_each_modules_minutes_and_page() -> None:
    text = (REPO_ROOT / "docs" / "workshop" / "README.md").read_text()
    for module in load_modules():
        page = Path(module.guide).name
        row = next((line for line in text.splitlines() if line.startswith(f"| {module.number} | ")), "")
        assert f"]({page})" in row and row.rstrip().endswith(f"| {module.minutes} |"), row
