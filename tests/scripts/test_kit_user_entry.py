"""The `scripts/kit_user.py` entry point as a user runs it: its own process, any working directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kit_user.py"


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_runs_from_any_directory_and_fails_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    result = _run("call", "GET", "/me", "--token-file", str(missing), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"not signed in (no token file at {missing}): run sign-in first\n"
    assert result.stdout == ""


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = _run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("create-user", "sign-in", "call", "sign-out"):
        assert command in result.stdout


def test_a_password_is_never_a_command_line_option(tmp_path: Path) -> None:
    """It would land in shell history and in `ps` output: the only ways in are a prompt and KIT_PASSWORD."""
    result = _run("sign-in", "--email", "ada@example.com", "--password", "Secret-Pa55word!", cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --password" in result.stderr


def test_one_client_package_under_one_name(tmp_path: Path) -> None:
    """Local mode, the script and the tests import the installed kit_auth: one KitError class."""
    code = (
        "import kit_auth, localmode.scenarios as s, kit_auth.srp as srp; "
        "print(kit_auth.__file__); print(srp.KitError is kit_auth.KitError); "
        "import importlib.util; print(importlib.util.find_spec('scripts'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    location, same, scripts_package = result.stdout.splitlines()
    assert Path(location) == SCRIPT.parent / "kit_auth" / "__init__.py"
    assert same == "True"
    assert scripts_package == "None"  # no second name through a `scripts` package
