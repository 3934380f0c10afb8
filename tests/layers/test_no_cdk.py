"""The checks package runs where no CDK is installed: every module imports, the perimeter CLI runs.

A subprocess installs a meta-path finder that refuses aws_cdk, jsii, constructs and cdk_nag (as if
they were not installed), then imports every module of ``secure_serverless_checks`` and runs the
perimeter, summary and acknowledgment commands. A module of the checks package that imports any of
those names, even through another module, fails here with the name of the module that did.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "constructs" / "secure_serverless_checks"
FIXTURES = ROOT / "tests" / "perimeter" / "fixtures"
BLOCKED = ("aws_cdk", "jsii", "constructs", "cdk_nag")

BLOCKER = textwrap.dedent(
    f"""
    import sys

    class RefuseCdk:
        blocked = {BLOCKED!r}

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.blocked:
                raise ModuleNotFoundError(f"blocked by the no-CDK test: {{name}}", name=name)
            return None

    sys.meta_path.insert(0, RefuseCdk())
    """
)


def modules() -> list[str]:
    found = []
    for path in sorted(CHECKS.rglob("*.py")):
        parts = list(path.relative_to(CHECKS.parent).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append(".".join(parts))
    return found


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "probe.py"
    script.write_text(BLOCKER + textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False)


def test_the_blocker_blocks(tmp_path: Path) -> None:
    """The probe can fail: importing the constructs package's grant module is refused."""
    result = run("import secure_serverless._grants\n", tmp_path)
    assert result.returncode != 0
    assert "blocked by the no-CDK test: aws_cdk" in result.stderr


def test_every_checks_module_imports_without_cdk(tmp_path: Path) -> None:
    names = modules()
    assert len(names) > 30, names  # the package, not an empty folder
    result = run(
        f"""
        import importlib, json, sys
        failed = {{}}
        for name in {names!r}:
            try:
                importlib.import_module(name)
            except Exception as error:
                failed[name] = f"{{type(error).__name__}}: {{error}}"
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r} or m == "secure_serverless"
                        or m.startswith("secure_serverless."))
        print(json.dumps({{"failed": failed, "leaked": leaked}}))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["failed"] == {}
    assert outcome["leaked"] == [], "the checks package imported the constructs package or a CDK module"


@pytest.mark.parametrize(
    ("template", "expected_exit"),
    [("compliant.template.json", 0), ("shared_role.template.json", 1)],
)
def test_perimeter_cli_runs_without_cdk(tmp_path: Path, template: str, expected_exit: int) -> None:
    result = run(
        f"""
        import sys
        from secure_serverless_checks.perimeter.cli import main
        sys.exit(main([{str(FIXTURES / template)!r}, "--format", "json"]))
        """,
        tmp_path,
    )
    assert result.returncode == expected_exit, result.stderr
    report = json.loads(result.stdout)
    assert report["functions"], report  # it analysed the template's functions
    assert bool(report["violations"]) is (expected_exit == 1)


def test_summary_and_acknowledgment_commands_run_without_cdk(tmp_path: Path) -> None:
    """On a folder that is not an assembly both commands answer with their own error, not an ImportError."""
    result = run(
        f"""
        import runpy, sys
        for command in ("secure_serverless_checks.summary", "secure_serverless_checks.acknowledgments"):
            sys.argv = [command, {str(tmp_path)!r}]
            try:
                runpy.run_module(command, run_name="__main__")
            except SystemExit as exit:
                print(command, exit.code)
        """,
        tmp_path,
    )
    assert "ModuleNotFoundError" not in result.stderr, result.stderr
    assert "blocked by the no-CDK test" not in result.stderr + result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("secure_serverless_checks.")]
    assert len(lines) == 2, (result.stdout, result.stderr)
