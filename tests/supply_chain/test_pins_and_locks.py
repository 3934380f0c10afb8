"""Supply chain: every dependency pinned, every npm package hashed, and a bill of materials that lists them."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _sbom_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kit_sbom", ROOT / "tools" / "sbom.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["kit_sbom"] = module
    spec.loader.exec_module(module)
    return module


sbom_tool = _sbom_tool()


def test_every_python_requirement_is_pinned_exactly() -> None:
    pins, problems = sbom_tool.python_pins()
    assert problems == []
    assert pins["aws-cdk-lib"] and pins["aws-lambda-powertools"]


def test_every_npm_package_is_pinned_and_hashed() -> None:
    packages, problems = sbom_tool.npm_packages()
    assert problems == []
    assert any(p["name"] == "aws-cdk" for p in packages)
    assert all(len(p["sha512"]) == 128 for p in packages)


def _copy(tmp_path: Path) -> Path:
    for name in (*sbom_tool.REQUIREMENTS, "package.json", *sbom_tool.LOCKS, "tools/node24/package.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("line", ["boto3>=1.44", "boto3", "boto3~=1.44.5", "boto3==1.*"])
def test_a_requirement_that_is_not_an_exact_pin_is_a_problem(tmp_path: Path, line: str) -> None:
    root = _copy(tmp_path)
    path = root / "requirements-dev.txt"
    path.write_text(path.read_text().replace("boto3==1.44.5", line))
    _, problems = sbom_tool.python_pins(root)
    assert problems and line in problems[0]


def test_a_range_or_a_missing_hash_in_npm_is_a_problem(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    manifest = json.loads((root / "package.json").read_text())
    manifest["devDependencies"]["aws-cdk"] = "^2.1148.1"
    (root / "package.json").write_text(json.dumps(manifest))
    lock = json.loads((root / "package-lock.json").read_text())
    del lock["packages"]["node_modules/aws-cdk"]["integrity"]
    (root / "package-lock.json").write_text(json.dumps(lock))
    _, problems = sbom_tool.npm_packages(root)
    assert any("is a range" in p for p in problems)
    assert any("no sha512 integrity hash" in p for p in problems)


def test_the_sbom_lists_every_pin_every_locked_package_and_the_layer() -> None:
    document = sbom_tool.sbom()
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.5"
    purls = {c.get("purl") for c in document["components"]}
    pins, _ = sbom_tool.python_pins()
    packages, _ = sbom_tool.npm_packages()
    assert {f"pkg:pypi/{n}@{v}" for n, v in pins.items()} <= purls
    assert {f"pkg:npm/{p['name']}@{p['version']}" for p in packages} <= purls
    layer = [c for c in document["components"] if c["name"] == "aws-lambda-powertools-python-layer"]
    assert layer and layer[0]["version"] == pins["aws-lambda-powertools"]
