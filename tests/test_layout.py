"""Layout guards: the `constructs` source root must never shadow the CDK dependency."""

from __future__ import annotations

import subprocess
import sys
import uuid
from importlib.machinery import SourceFileLoader
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_constructs_source_root_has_no_init() -> None:
    assert not (ROOT / "constructs" / "__init__.py").exists(), "constructs/__init__.py shadows the CDK dependency"


def test_import_constructs_resolves_to_the_dependency_from_the_repo_root() -> None:
    code = "import constructs, sys; print(constructs.Construct.__module__); print(constructs.__file__)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    module, path = result.stdout.split()
    assert module.startswith("constructs")
    assert "site-packages" in path, path


def test_library_ships_type_information() -> None:
    assert (ROOT / "constructs" / "secure_serverless" / "py.typed").exists()


def test_pure_python_entry_points_do_not_import_cdk() -> None:
    """The perimeter analyzer and the summary must run without aws-cdk-lib (and so without Node.js)."""
    code = (
        "import sys, secure_serverless_checks.access_levels, secure_serverless_checks.summary, secure_serverless_checks.perimeter;"
        "print('aws_cdk' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_bytecode_is_written_anywhere_but_into_the_lambda_assets(tmp_path: Path) -> None:
    """tests/conftest.py's loader guard: lambdas/ folders are deployment assets, so no __pycache__ there."""
    source = ROOT / "lambdas" / "common" / "python" / "kit_common" / "errors.py"
    loader = SourceFileLoader("bytecode_probe", str(source))
    in_assets = source.parent / "__pycache__" / f"probe-{uuid.uuid4().hex}.pyc"
    had_cache_folder = in_assets.parent.exists()
    try:
        loader.set_data(str(in_assets), b"bytecode")
        assert not in_assets.exists()
    finally:
        in_assets.unlink(missing_ok=True)
        if not had_cache_folder and in_assets.parent.exists():
            in_assets.parent.rmdir()
    elsewhere = tmp_path / "__pycache__" / "probe.pyc"
    loader.set_data(str(elsewhere), b"bytecode")
    assert elsewhere.read_bytes() == b"bytecode"
