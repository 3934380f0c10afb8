"""CDK's own helper functions (custom-resource providers) against the perimeter rules of issue 21:
none trusts more than Lambda (P18), none is opaque (P19); the only control-plane reach (P17) is the
auto-delete provider's s3:PutBucketPolicy, which it really has."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr

from cdk_support import template
from secure_serverless_checks.perimeter import Report, analyze


def _build(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "B", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    handler = lambda_.Function(
        stack,
        "F",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
        log_retention=logs.RetentionDays.ONE_WEEK,
    )
    call = cr.AwsSdkCall(
        service="SSM",
        action="getParameter",
        parameters={"Name": "/x"},
        physical_resource_id=cr.PhysicalResourceId.of("x"),
    )
    cr.AwsCustomResource(
        stack,
        "Sdk",
        on_create=call,
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=["arn:aws:ssm:us-east-1:123456789012:parameter/x"]),
    )
    provider = cr.Provider(stack, "Provider", on_event_handler=handler)
    cdk.CustomResource(stack, "Seed", service_token=provider.service_token, properties={"Bucket": bucket.bucket_name})


@pytest.fixture(scope="module")
def report() -> Report:
    synthesized: dict[str, Any] = template(_build).to_json()
    return analyze({"Std": synthesized})


def test_no_cdk_helper_trusts_more_than_lambda_or_is_opaque(report: Report) -> None:
    assert len(report.matrix) >= 5  # the handler, log retention, SDK call, provider framework, auto-delete
    assert not [v for v in report.violations if v.code in ("P18", "P19")], report.to_text()


def test_the_only_control_plane_reach_is_the_auto_delete_providers_bucket_policy(report: Report) -> None:
    control_plane = [v for v in report.violations if v.code == "P17"]

    assert control_plane, report.to_text()
    assert {v.function.startswith("CustomS3AutoDeleteObjects") for v in control_plane} == {True}
    assert {action for v in control_plane for action in v.actions} == {"s3:PutBucketPolicy"}
