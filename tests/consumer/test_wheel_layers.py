"""The wheel ships both layers: the constructs and the checks, each typed, with the docs the commands cite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from consumer_support import ROOT, ConsumerVenv

FIXTURE = ROOT / "tests" / "perimeter" / "fixtures" / "compliant.template.json"


def test_the_wheel_holds_both_packages(consumer: ConsumerVenv) -> None:
    for package in ("secure_serverless", "secure_serverless_checks"):
        assert (consumer.site / package / "__init__.py").is_file(), package
        assert (consumer.site / package / "py.typed").is_file(), package
    checks = consumer.site / "secure_serverless_checks"
    assert (checks / "perimeter" / "__main__.py").is_file()
    assert (checks / "cloud_assembly.py").is_file()
    assert (checks / "docs" / "perimeter.md").is_file()  # the page the perimeter's --help points to
    assert not (consumer.site / "secure_serverless" / "perimeter").exists()


def test_the_installed_perimeter_command_runs(consumer: ConsumerVenv, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(consumer.python), "-m", "secure_serverless_checks.perimeter", str(FIXTURE)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "secure_serverless_checks"
        in subprocess.run(
            [str(consumer.python), "-c", "import secure_serverless_checks as c; print(c.__file__)"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
