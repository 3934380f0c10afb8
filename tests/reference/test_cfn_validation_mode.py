"""app.py runs CDK's CloudFormation validation exactly once, through the kit, and a template error fails it.

The reference templates have no CloudFormation finding, so CDK writes no "CloudFormation Validate"
report for them: to see how many validations run, a flawed resource is added to the reference app
(``app.main()`` with ``build_app`` wrapped). With the built-in left on beside the kit's plugin there
would be two reports; with neither, none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs


def test_app_py_validates_once_through_the_kit_and_fails_on_a_template_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import app as reference_app

    monkeypatch.setenv("SECURE_SERVERLESS_CFN_VALIDATE_CACHE", str(tmp_path / "verdicts"))
    built: list[cdk.App] = []
    original = reference_app.build_app

    def with_a_flaw(app: cdk.App, config: Any) -> None:
        original(app, config)
        stack = next(child for child in app.node.children if isinstance(child, cdk.Stack))
        sqs.CfnQueue(stack, "Flawed").add_property_override("VisibilityTimeout", "not-a-number")
        built.append(app)

    monkeypatch.setattr(reference_app, "build_app", with_a_flaw)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        reference_app.main()
    report = json.loads((Path(built[0].outdir) / "validation-report.json").read_text())
    cfn = [r for r in report["pluginReports"] if r["pluginName"] == "CloudFormation Validate"]
    assert len(cfn) == 1, [r["pluginName"] for r in report["pluginReports"]]
    assert any(v["ruleName"] == "F3012" for v in cfn[0]["violations"])
    assert list((tmp_path / "verdicts").glob("*.json")), "the kit's plugin ran (it caches each template's verdict)"
