"""No import cycles in the kit's packages, and the arrows between the layers point one way.

The graph is read from the sources (tests/layers/import_graph.py): module-level imports and the
imports inside functions (a lazy import that hides a cycle still makes one), but not those under
``if TYPE_CHECKING:``. The constructs import the checks; the checks import neither the constructs
nor local mode.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from .import_graph import cycles, graph

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOT = ROOT / "constructs"
PACKAGES = ("secure_serverless", "secure_serverless_checks")


def test_the_kit_has_no_import_cycle() -> None:
    edges = graph(SOURCE_ROOT, PACKAGES)
    assert len(edges) > 70, sorted(edges)  # both packages were read
    found = [" -> ".join(cycle) for cycle in cycles(edges)]
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_the_checks_import_nothing_of_the_constructs_or_local_mode() -> None:
    """Every import statement of the checks package, TYPE_CHECKING ones included."""
    offending = []
    for path in sorted((SOURCE_ROOT / "secure_serverless_checks").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            words = line.split()
            if len(words) >= 2 and words[0] in {"import", "from"}:
                top = words[1].split(".")[0]
                if top in {"secure_serverless", "localmode", "kit_auth", "aws_cdk", "jsii", "constructs", "cdk_nag"}:
                    offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


def test_the_constructs_use_the_checks_package() -> None:
    """The arrow exists in the intended direction (the access-level model comes from the checks)."""
    edges = graph(SOURCE_ROOT, PACKAGES)
    assert "secure_serverless_checks.access_levels" in edges["secure_serverless._grants"]


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_a_lazy_cycle_is_found_and_a_type_checking_one_is_not(tmp_path: Path) -> None:
    _package(
        tmp_path,
        {
            "demo/__init__.py": "from . import a\n",
            "demo/a.py": "from .b import thing\n",
            "demo/b.py": "def thing():\n    from .c import other\n    return other\n",
            "demo/c.py": "from demo import a\n",
            "demo/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .e import x\n",
            "demo/e.py": "from .d import y\n",
        },
    )
    found = cycles(graph(tmp_path, ("demo",)))
    assert len(found) == 1
    cycle = found[0]
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"demo.a", "demo.b", "demo.c"}
