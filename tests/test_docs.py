"""The docs stay true: tests they name exist, and README commands name real Makefile targets."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize(("doc", "at_least"), [("docs/control-matrix.md", 20), ("docs/hardening.md", 12)])
def test_every_check_named_in_the_control_matrix_exists(doc: str, at_least: int) -> None:
    text = (ROOT / doc).read_text()
    references = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(references) > at_least
    missing = []
    for file, name in references:
        path = ROOT / file
        if not path.exists() or (name and name not in _test_names(path)):
            missing.append(f"{file}::{name}" if name else file)
    assert missing == []


@pytest.mark.parametrize("doc", ["README.md", "docs/first-user.md", "docs/performance.md"])
def test_make_targets_named_in_docs_exist(doc: str) -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"`?make ([a-z][a-z-]*)", (ROOT / doc).read_text()))
    assert named, f"{doc} names no make target"
    assert named - targets == set()


def test_readme_links_point_to_existing_files() -> None:
    links = re.findall(r"\]\(((?:docs|scripts)/[^)#]+)\)", (ROOT / "README.md").read_text())
    assert links
    assert [link for link in links if not (ROOT / link).exists()] == []
