"""ApiGatewayAccountLogging: the default, the removal policy option, and the cdk-nag verdict."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from cdk_support import nag_report, only_resource, open_findings, policy_statements, resources, template
from secure_serverless import ApiGatewayAccountLogging
from secure_serverless.api_gateway_account import LOGS_ACTIONS

LOG_GROUPS_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":logs:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":log-group:*",
        ],
    ]
}


@pytest.fixture(scope="module")
def default_account() -> assertions.Template:
    return template(lambda stack: ApiGatewayAccountLogging(stack, "ApiGatewayAccount"))


def test_default_sets_the_account_cloudwatch_role(default_account: assertions.Template) -> None:
    account = only_resource(default_account, "AWS::ApiGateway::Account")
    role_id, role = next(iter(resources(default_account, "AWS::IAM::Role").items()))
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    policy_id = next(iter(resources(default_account, "AWS::IAM::ManagedPolicy")))
    assert policy_id in account["DependsOn"], "the role can write logs before the setting is validated"


def test_default_policy_has_exact_log_actions_on_this_accounts_log_groups(default_account: assertions.Template) -> None:
    policy = only_resource(default_account, "AWS::IAM::ManagedPolicy")
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert (
        sorted(statement["Action"])
        == sorted(LOGS_ACTIONS)
        == [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
            "logs:FilterLogEvents",
            "logs:GetLogEvents",
            "logs:PutLogEvents",
        ]
    )
    assert statement["Resource"] == LOG_GROUPS_ARN
    assert policy_statements(default_account) == []  # no inline or default policy


def test_default_role_has_no_aws_managed_policy(default_account: assertions.Template) -> None:
    role = only_resource(default_account, "AWS::IAM::Role")
    policy_id = next(iter(resources(default_account, "AWS::IAM::ManagedPolicy")))
    assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": policy_id}]
    assert "AmazonAPIGatewayPushToCloudWatchLogs" not in str(default_account.to_json())


def test_default_everything_is_retained(default_account: assertions.Template) -> None:
    for cfn_type in ("AWS::ApiGateway::Account", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"):
        resource = only_resource(default_account, cfn_type)
        assert resource["DeletionPolicy"] == "Retain", cfn_type
        assert resource["UpdateReplacePolicy"] == "Retain", cfn_type


def test_removal_policy_option() -> None:
    tmpl = template(
        lambda stack: ApiGatewayAccountLogging(stack, "ApiGatewayAccount", removal_policy=cdk.RemovalPolicy.DESTROY)
    )
    for cfn_type in ("AWS::ApiGateway::Account", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"):
        assert only_resource(tmpl, cfn_type)["DeletionPolicy"] == "Delete", cfn_type


def test_docstring_warns_that_a_second_stack_overwrites_the_first() -> None:
    doc = " ".join((ApiGatewayAccountLogging.__doc__ or "").split())
    assert "one such setting per account and region" in doc
    assert "a second stack" in doc and "overwrites the first" in doc


@pytest.mark.slow
def test_nag_clean_with_one_granular_acknowledgment(tmp_path: Path) -> None:
    report = nag_report(lambda stack: ApiGatewayAccountLogging(stack, "ApiGatewayAccount"), tmp_path)
    assert report.packs, "the packs ran"
    assert report.findings == [], open_findings(report)
    assert [(a.rule, a.path) for a in report.acknowledged] == [
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]",
            "Test/ApiGatewayAccount/Policy/Resource",
        )
    ]
    assert "API-Gateway-Execution-Logs_" in (report.acknowledged[0].reason or "")
