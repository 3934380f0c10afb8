"""The declared perimeter of CDK's BucketDeployment handler, construct by construct (no cdk-nag, one synth each).

One handler serves every deployment of a stack: its perimeter is the union of what they configure,
each prefix exactly. What the kit cannot pin down (a prefix given by a token) and what the user
adds to the handler's role are left as they are, for the check to refuse.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_deployment as s3_deployment

from cdk_support import template
from secure_serverless import SecureBucket
from secure_serverless.helper_perimeters import HelperPerimeters
from secure_serverless_checks.perimeter import analyze


def _deploy(stack: cdk.Stack, bucket: SecureBucket, name: str, prefix: str) -> s3_deployment.BucketDeployment:
    return s3_deployment.BucketDeployment(
        stack,
        name,
        sources=[s3_deployment.Source.data(f"{name}.html", f"<h1>{name}</h1>")],
        destination_bucket=bucket,
        destination_key_prefix=prefix,
    )


def _handler(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (found,) = [
        r for k, r in resources.items() if k.startswith("CustomCDKBucketDeployment") and r["Type"] == resource_type
    ]
    return found


def test_one_handler_serving_two_prefixes_declares_both_and_nothing_else() -> None:
    def build(stack: cdk.Stack) -> None:
        bucket = SecureBucket(stack, "Site")
        _deploy(stack, bucket, "Docs", "docs/")
        _deploy(stack, bucket, "App", "app")  # no trailing slash: aws s3 sync writes app/<name>
        cdk.Aspects.of(stack).add(HelperPerimeters())

    synthesized = template(build).to_json()
    resources = synthesized["Resources"]
    declared = _handler(resources, "AWS::Lambda::Function")["Metadata"]["SecureServerless::Perimeter"]
    assert sorted(d.split("/", 1)[1] for d in declared["helper"]["destinations"]) == ["app/", "docs/"]
    assert sorted(declared["helper"]["configures"]) == ["Test/App", "Test/Docs"]
    assert len(declared["asset_sources"]) == 2
    text = json.dumps(_handler(resources, "AWS::IAM::Policy")["Properties"]["PolicyDocument"])
    assert '"/docs/*"' in text and '"/app/*"' in text and '"/*"' not in text

    report = analyze({"Test": synthesized})
    handler = [v for v in report.violations if v.function.startswith("CustomCDKBucketDeployment")]
    assert handler == [], report.to_text()


def test_a_prefix_given_by_a_token_is_left_undeclared_and_refused() -> None:
    def build(stack: cdk.Stack) -> None:
        prefix = cdk.CfnParameter(stack, "Prefix", default="site/").value_as_string
        _deploy(stack, SecureBucket(stack, "Site"), "Deploy", prefix)
        cdk.Aspects.of(stack).add(HelperPerimeters())

    synthesized = template(build).to_json()
    assert "Metadata" not in _handler(synthesized["Resources"], "AWS::Lambda::Function")
    report = analyze({"Test": synthesized})
    assert {v.code for v in report.violations if v.function.startswith("CustomCDKBucketDeployment")} >= {"P01"}


def test_a_statement_the_user_adds_to_the_handler_role_is_kept_and_judged() -> None:
    def build(stack: cdk.Stack) -> None:
        deployment = _deploy(stack, SecureBucket(stack, "Site"), "Deploy", "site/")
        other = SecureBucket(stack, "Other")
        deployment.handler_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[other.arn_for_objects("x/*")])
        )
        cdk.Aspects.of(stack).add(HelperPerimeters())

    synthesized = template(build).to_json()
    policy = json.dumps(_handler(synthesized["Resources"], "AWS::IAM::Policy"))
    assert "/x/*" in policy
    report = analyze({"Test": synthesized})
    refused = [v for v in report.violations if v.function.startswith("CustomCDKBucketDeployment")]
    assert any(v.code == "P07" and v.resource.startswith("Other") for v in refused), report.to_text()
