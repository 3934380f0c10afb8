"""Apps whose templates CloudFormation rejects, for the tests of the kit's CloudFormation validation.

Each class of finding CDK's ``CloudFormationValidatePlugin`` reports is represented: schema errors on a
resource (a wrong type, an unknown property, a pattern), the same error in two templates (merged into
one violation), a finding on no resource (a parameter, an output: reported on the stack), a warning,
and a stack with an explicit account and region (pseudo-parameter overrides).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from secure_serverless.cdk_compat import kit_validation_supported

FLAG = "@aws-cdk/core:validateAgainstDefaultRules"
PLUGIN_NAME = "CloudFormation Validate"
#: The modules that build ``cdk.App(builtin_cloud_formation_validation=False)`` run only where it exists.
needs_kit_validation = pytest.mark.skipif(
    not kit_validation_supported(),
    reason="the kit's CloudFormation validation needs aws-cdk-lib 2.275+ (cdk.App(builtin_cloud_formation_validation=False)); "
    "older releases refuse it (test_cdk_compat.py)",
)


def build_flawed_app(app: cdk.App, *, variant: str = "") -> cdk.App:
    """Two stacks with CloudFormation errors and warnings; ``variant`` changes one template."""
    first = cdk.Stack(app, "First")
    queue = sqs.CfnQueue(first, "Queue")
    queue.add_property_override("VisibilityTimeout", "not-a-number")
    queue.add_property_override("Bogus", 1)
    bucket = s3.CfnBucket(first, "Bucket", bucket_name="Upper_Case_Name")
    bucket.add_property_override("VersioningConfiguration.Status", "Sometimes")
    cdk.CfnParameter(first, "Unused", type="String")  # W2001: a finding on no resource (the stack)
    cdk.CfnOutput(first, "Dangling", value=cdk.Fn.ref("NoSuchResource"))  # error on no resource
    second = cdk.Stack(app, "Second", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    twin = sqs.CfnQueue(second, "Queue")
    twin.add_property_override("VisibilityTimeout", "not-a-number")  # the same violation as in First
    if variant:
        sqs.CfnQueue(second, f"Extra{variant}").add_property_override("DelaySeconds", f"delay-{variant}")
    return app


def build_clean_app(app: cdk.App) -> cdk.App:
    """One stack CloudFormation accepts."""
    sqs.CfnQueue(cdk.Stack(app, "Clean"), "Queue", visibility_timeout=30)
    return app


def cfn_reports(outdir: str | Path) -> list[dict[str, Any]]:
    """The "CloudFormation Validate" plugin reports of ``outdir``'s validation-report.json."""
    path = Path(outdir) / "validation-report.json"
    if not path.is_file():
        return []
    return [r for r in json.loads(path.read_text())["pluginReports"] if r["pluginName"] == PLUGIN_NAME]


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A plugin report without what differs between two synths of one app (stack traces, versions)."""
    return {
        "conclusion": report["conclusion"],
        "violations": [
            {
                "ruleName": v["ruleName"],
                "description": v["description"],
                "severity": v["severity"],
                "suggestedFix": v.get("suggestedFix"),
                "ruleMetadata": v.get("ruleMetadata"),
                "violatingConstructs": [
                    {
                        "constructPath": c["constructPath"],
                        "constructFqn": c.get("constructFqn"),
                        "cloudFormationResource": c.get("cloudFormationResource"),
                    }
                    for c in v["violatingConstructs"]
                ],
            }
            for v in report["violations"]
        ],
        "suppressed": len(report.get("suppressedViolations") or []),
    }
