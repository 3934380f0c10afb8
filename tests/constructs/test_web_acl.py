"""SecureWebAcl: the web ACL as its own construct; the default, options, refusals, cdk-nag.

The rules themselves are tested through SecureRestApi (tests/constructs/test_rest_api.py), which
builds the same web ACL; these tests cover what the standalone construct adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs

from cdk_support import nag_report, new_app, open_findings
from secure_serverless import ConfigurationError, EncryptionKey, SecureWebAcl
from secure_serverless.web_acl import WAF_LOG_GROUP_PREFIX, WAF_MANAGED_RULE_GROUPS

SHORT_LOGS_REASON = "Workshop sandbox torn down after each session; logs hold no production data."


def _stage_arn(stack: cdk.Stack) -> str:
    api = apigateway.RestApi(stack, "Plain", cloud_watch_role=False)
    api.root.add_method("GET", apigateway.MockIntegration())
    return api.deployment_stage.stage_arn


@pytest.fixture(scope="module")
def default() -> tuple[SecureWebAcl, dict[str, Any]]:
    app = new_app()
    stack = cdk.Stack(app, "Test")
    acl = SecureWebAcl(stack, "Acl")
    acl.associate(_stage_arn(stack))
    return acl, assertions.Template.from_stack(stack).to_json()


def _of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def test_default_web_acl_has_the_kits_rules_in_order(default: tuple[SecureWebAcl, dict[str, Any]]) -> None:
    acl, template = default
    ((logical_id, web_acl),) = _of_type(template, "AWS::WAFv2::WebACL").items()
    assert logical_id == cdk.Stack.of(acl).get_logical_id(acl.web_acl)
    assert acl.node.default_child is acl.web_acl  # main child "Resource"
    rules = sorted(web_acl["Properties"]["Rules"], key=lambda rule: rule["Priority"])
    assert [rule["Name"] for rule in rules] == [
        "RateLimitPerIp",
        "RateLimitUnauthenticatedPerIp",
        "RateLimitTokenPerIp",
        *WAF_MANAGED_RULE_GROUPS,
    ]
    limits = {rule["Name"]: rule["Statement"].get("RateBasedStatement", {}).get("Limit") for rule in rules}
    assert (limits["RateLimitPerIp"], limits["RateLimitUnauthenticatedPerIp"], limits["RateLimitTokenPerIp"]) == (
        1000,
        100,
        50,
    )
    assert web_acl["Properties"]["Scope"] == "REGIONAL"
    assert web_acl["Properties"]["DefaultAction"] == {"Allow": {}}
    assert web_acl["Properties"]["Name"] == acl.web_acl_name


def test_default_logs_to_an_encrypted_retained_prefixed_log_group_without_the_token(
    default: tuple[SecureWebAcl, dict[str, Any]],
) -> None:
    _, template = default
    (group,) = _of_type(template, "AWS::Logs::LogGroup").values()
    assert group["Properties"]["LogGroupName"].startswith(WAF_LOG_GROUP_PREFIX)
    assert "KmsKeyId" in group["Properties"]
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["DeletionPolicy"] == "Retain"
    (logging,) = _of_type(template, "AWS::WAFv2::LoggingConfiguration").values()
    assert logging["Properties"]["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
    assert logging["DependsOn"]


def test_associate_attaches_the_web_acl_to_the_given_resource(default: tuple[SecureWebAcl, dict[str, Any]]) -> None:
    acl, template = default
    (association,) = _of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    web_acl_id = cdk.Stack.of(acl).get_logical_id(acl.web_acl)
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [web_acl_id, "Arn"]}


def test_max_body_bytes_adds_the_body_size_rule_and_counts_the_8_kb_rule() -> None:
    stack = cdk.Stack(new_app(), "Test")
    SecureWebAcl(stack, "Acl", max_body_bytes=48 * 1024)
    (web_acl,) = _of_type(assertions.Template.from_stack(stack).to_json(), "AWS::WAFv2::WebACL").values()
    rules = {rule["Name"]: rule for rule in web_acl["Properties"]["Rules"]}
    assert rules["BodySizeLimit"]["Priority"] == 3
    assert rules["BodySizeLimit"]["Action"] == {"Block": {}}
    assert rules["BodySizeLimit"]["Statement"]["SizeConstraintStatement"]["Size"] == 48 * 1024
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    request_body = web_acl["Properties"]["AssociationConfig"]["RequestBody"]
    assert request_body["API_GATEWAY"]["DefaultSizeInspectionLimit"] == "KB_48"


def test_a_given_key_name_and_short_retention_are_used_and_the_reason_recorded() -> None:
    stack = cdk.Stack(new_app(), "Test")
    key = EncryptionKey(stack, "Key")
    acl = SecureWebAcl(
        stack,
        "Acl",
        encryption_key=key,
        web_acl_name="my-acl",
        log_retention=logs.RetentionDays.ONE_MONTH,
        short_log_retention_reason=SHORT_LOGS_REASON,
    )
    assert acl.encryption_key is key
    template = assertions.Template.from_stack(stack).to_json()
    assert len(_of_type(template, "AWS::KMS::Key")) == 1
    (web_acl,) = _of_type(template, "AWS::WAFv2::WebACL").values()
    assert web_acl["Properties"]["Name"] == "my-acl" == acl.web_acl_name
    (group,) = _of_type(template, "AWS::Logs::LogGroup").values()
    assert group["Properties"]["RetentionInDays"] == 30


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"rate_limit": 99}, "rate_limit"),
        ({"unauthenticated_rate_limit": 9}, "unauthenticated_rate_limit"),
        ({"rate_limit": 200, "unauthenticated_rate_limit": 200}, "must be below rate_limit (200)"),
        ({"token_rate_limit": 5}, "token_rate_limit"),
        ({"max_body_bytes": 70_000}, "max_body_bytes"),
        ({"log_retention": logs.RetentionDays.ONE_WEEK}, "short_log_retention_reason"),
    ],
)
def test_fails_for_an_invalid_option(options: dict[str, Any], named: str) -> None:
    stack = cdk.Stack(new_app(), "Test")
    with pytest.raises(ConfigurationError, match=named.replace("(", r"\(").replace(")", r"\)")):
        SecureWebAcl(stack, "Acl", **options)


def test_fails_once_listing_every_problem() -> None:
    stack = cdk.Stack(new_app(), "Test")
    with pytest.raises(ConfigurationError) as raised:
        SecureWebAcl(stack, "Acl", rate_limit=1, token_rate_limit=1, max_body_bytes=1)
    message = str(raised.value)
    assert "rate_limit" in message and "token_rate_limit" in message and "max_body_bytes" in message


def test_nag_a_standalone_web_acl_has_no_open_findings(tmp_path: Path) -> None:
    def build(stack: cdk.Stack) -> None:
        SecureWebAcl(stack, "Acl")

    report = nag_report(build, tmp_path)
    assert not report.findings, open_findings(report)
