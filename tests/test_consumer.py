"""A consumer's view: `pip install .` into a clean venv, then use the constructs in a new CDK app.

The venv gets the kit from a freshly built wheel (not the editable checkout) and borrows the
already-installed third-party dependencies through a .pth file, so the test needs no network.
It runs from a folder outside the repository, so nothing of the checkout can leak in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONSUMER_APP = textwrap.dedent(
    """
    import json, sys
    import aws_cdk as cdk
    import constructs
    import secure_serverless
    from aws_cdk import aws_dynamodb as dynamodb, aws_lambda as lambda_
    from secure_serverless import TableFunction, register_compliance_checks, synth_with_checks

    assert "site-packages" in secure_serverless.__file__, secure_serverless.__file__
    assert hasattr(constructs, "Construct")
    app = cdk.App(outdir=sys.argv[1])
    register_compliance_checks(app)
    stack = cdk.Stack(app, "ConsumerStack")
    TableFunction(
        stack, "Orders",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n"),
        handler="index.handler",
        partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
        access="read",
    )
    report = synth_with_checks(app)
    print(json.dumps({"findings": len(report.findings), "file": secure_serverless.__file__}))
    """
)


def test_wheel_installs_into_a_clean_venv_and_works_in_a_new_app(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("secure_serverless_kit-*.whl")

    env_dir = tmp_path / "consumer-venv"
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

    app_dir = tmp_path / "consumer-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(CONSUMER_APP)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [python, "app.py", str(tmp_path / "cdk.out")], cwd=app_dir, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert verdict["findings"] == 0
    assert str(site) in verdict["file"]
