"""A consumer's view: the kit from a wheel in a clean venv, used in a new CDK app (see consumer_support)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from consumer_support import ROOT, ConsumerVenv


def _readme_library_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using the library in your own CDK app", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "the README's library section shows one python example"
    return str(blocks[0])


def test_the_readme_library_example_synthesizes_with_every_check(consumer: ConsumerVenv, tmp_path: Path) -> None:
    """The wheel, installed into a clean venv, works in a new app: the README's, with every check.

    ``app.synth()`` raises on any cdk-nag or perimeter finding, so exit 0 is the clean verdict. The
    kit comes from the venv's site-packages, and ``constructs`` is the dependency, not the
    checkout's ``constructs/`` folder (this test also replaced a separate smaller consumer app:
    the same guarantee, one jsii start-up fewer).
    """
    script = _readme_library_example() + textwrap.dedent(
        """
        import constructs, json, secure_serverless
        from secure_serverless import synth_with_checks
        assert "site-packages" in secure_serverless.__file__, secure_serverless.__file__
        assert hasattr(constructs, "Construct") and callable(synth_with_checks)
        print(json.dumps({"file": secure_serverless.__file__}))
        """
    )
    result = consumer.run(script, tmp_path / "readme-app", outdir=tmp_path / "readme-app" / "cdk.out")
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(consumer.site) in json.loads(result.stdout.strip().splitlines()[-1])["file"]
    assert (tmp_path / "readme-app" / "cdk.out" / "Orders.template.json").exists()


def test_the_pages_the_commands_help_points_to_are_in_the_wheel(consumer: ConsumerVenv, tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import contextlib, io, json, os, re
        os.environ["COLUMNS"] = "1000"  # argparse would wrap a long path at its hyphens
        from secure_serverless_checks.perimeter.cli import main as perimeter
        from secure_serverless_checks.sarif import main as sarif
        from secure_serverless_checks.acknowledgments import main as acknowledgments
        pages = []
        for command in (perimeter, sarif, acknowledgments):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
                command(["--help"])
            pages += re.findall(r"(\\S+\\.md)", out.getvalue())
        print(json.dumps(pages))
        """
    )
    result = consumer.run(script, tmp_path / "help")
    assert result.returncode == 0, result.stderr[-3000:]
    pages = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(pages) == 3, pages
    for page in pages:
        assert str(consumer.site) in page and Path(page).is_file(), page


def _regulated_library_example() -> str:
    text = (ROOT / "docs" / "compliance.md").read_text()
    section = text.split("### Library use", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    return str(block)


def test_the_regulated_library_example_passes_all_five_packs(consumer: ConsumerVenv, tmp_path: Path) -> None:
    """docs/compliance.md's regulated example, from the wheel: app.synth() raises on any finding."""
    script = _regulated_library_example() + textwrap.dedent(
        """
        import json, secure_serverless
        print(json.dumps({"file": secure_serverless.__file__}))
        """
    )
    outdir = tmp_path / "regulated-app" / "cdk.out"
    result = consumer.run(script, tmp_path / "regulated-app", outdir=outdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(consumer.site) in json.loads(result.stdout.strip().splitlines()[-1])["file"]
    report = json.loads((outdir / "validation-report.json").read_text())
    assert {"NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"} <= {p["pluginName"] for p in report["pluginReports"]}
    template = json.loads((outdir / "Orders.template.json").read_text())
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert "VpcConfig" in function["Properties"] and function["Properties"]["ReservedConcurrentExecutions"] == 10
