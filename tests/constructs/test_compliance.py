"""Compliance helpers: the nag harness catches violations, acknowledgments need real reasons."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from cdk_support import nag_report, new_app
from secure_serverless.compliance import acknowledge, register_compliance_checks


def test_harness_reports_an_open_finding(tmp_path: Path) -> None:
    """Proves the nag tests can fail: a plain queue breaks AwsSolutions-SQS3/SQS4."""
    report = nag_report(lambda stack: sqs.Queue(stack, "Plain"), tmp_path)
    rules = {finding.rule for finding in report.findings}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4", "Serverless-SQSRedrivePolicy"} <= rules
    assert all(finding.path.startswith("Test/Plain") for finding in report.findings)


def test_acknowledgment_is_recorded_with_its_reason(tmp_path: Path) -> None:
    reason = "Demonstration queue: plain HTTP is refused by the test's own policy elsewhere."

    def build(stack: cdk.Stack) -> None:
        queue = sqs.Queue(stack, "Plain", enforce_ssl=True)
        acknowledge(queue, "AwsSolutions-SQS3", reason)
        acknowledge(queue, "Serverless-SQSRedrivePolicy", reason)

    report = nag_report(build, tmp_path)
    assert report.findings == []
    assert {(a.rule, a.reason) for a in report.acknowledged} == {
        ("AwsSolutions-SQS3", reason),
        ("Serverless-SQSRedrivePolicy", reason),
    }
    metadata = json.loads((tmp_path / "Test.metadata.json").read_text())
    recorded = [entry["data"] for entry in metadata["/Test/Plain"] if entry["type"] == "aws:cdk:acknowledged-rules"]
    assert recorded[0]["AwsSolutions::AwsSolutions-SQS3"] == reason


@pytest.mark.parametrize("reason", ["", "   ", "because"])
def test_acknowledgment_without_a_real_reason_is_refused(reason: str) -> None:
    stack = cdk.Stack(new_app(), "Test")
    with pytest.raises(ValueError, match="give a real reason"):
        acknowledge(stack, "AwsSolutions-SQS3", reason)


def test_acknowledgment_needs_a_rule_id() -> None:
    stack = cdk.Stack(new_app(), "Test")
    with pytest.raises(ValueError, match="not a cdk-nag rule id"):
        acknowledge(stack, "SQS3", "A reason long enough to be considered by a reviewer.")


def test_unknown_pack_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown cdk-nag pack"):
        register_compliance_checks(new_app(), packs=["AwsSolutions", "Made-Up"])
