"""A consumer's environment: the kit installed from a freshly built wheel into a clean venv.

The venv gets the kit from the wheel (not the editable checkout) and borrows the already-installed
third-party dependencies through a .pth file, so no network is needed. Apps run from a folder
outside the repository, so nothing of the checkout can leak in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ConsumerVenv:
    python: Path
    site: Path

    def run(
        self, script: str, folder: Path, *args: str, outdir: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "app.py").write_text(script)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["CDK_DISABLE_STACK_TRACE"] = "1"
        if outdir is not None:
            env["CDK_OUTDIR"] = str(outdir)  # what `cdk synth` tells an app that calls cdk.App()
        return subprocess.run(
            [str(self.python), "app.py", *args], cwd=folder, capture_output=True, text=True, env=env, check=False
        )


def build_consumer_venv(where: Path) -> ConsumerVenv:
    wheels = where / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("secure_serverless_kit-*.whl")
    env_dir = where / "consumer-venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Third-party dependencies only: the kit itself must come from the wheel.
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    return ConsumerVenv(python=python, site=site)
