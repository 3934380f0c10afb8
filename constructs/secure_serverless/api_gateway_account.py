"""ApiGatewayAccountLogging: the account-level role API Gateway uses to write CloudWatch logs.

Execution and access logs of every API Gateway REST API in an account and region are written
through one role, set in the account's API Gateway settings (``AWS::ApiGateway::Account``).
``SecureRestApi`` never creates it (``cloud_watch_role=False``): it is opt-in, in one place.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from constructs import Construct

from .compliance import acknowledge, iam5_resource

#: What API Gateway needs to create its log groups and streams and write events to them. Exact
#: actions, in place of the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs (IAM4).
LOGS_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:PutLogEvents",
)
#: The ``log-group:*`` ARN of the policy as cdk-nag writes it in the granular IAM5 finding id.
_LOG_GROUPS_ARN_AS_NAG_PRINTS_IT = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*"
_WILDCARD_REASON = (
    "API Gateway names execution log groups at run time (API-Gateway-Execution-Logs_<apiId>/<stage>) "
    "and writes access logs of every API of this account and region through this one role, so the "
    "resource is every log group of this account and region (log-group:*), never another account's "
    "or region's; the actions are the exact CloudWatch Logs write and describe actions API Gateway needs."
)


class ApiGatewayAccountLogging(Construct):
    """The API Gateway CloudWatch Logs role of this account and region, and the setting that uses it.

    There is one such setting per account and region: a second stack (or a second instance of
    this construct, or a ``RestApi(cloud_watch_role=True)``) that sets it overwrites the first,
    and whichever deployed last wins. Deploy it once per account and region, in its own stack,
    and make stacks with APIs depend on that stack. Without it, a ``SecureRestApi`` stage fails
    to deploy ("CloudWatch Logs role ARN must be set in account settings to enable logging").

    The role has a customer-managed policy with exact CloudWatch Logs actions on this account's
    and region's log groups, instead of the AWS managed policy
    ``AmazonAPIGatewayPushToCloudWatchLogs``.

    :param removal_policy: what happens to the role, its policy and the account setting on stack
        deletion. Default: RETAIN (deleting the role would silently stop the logs of every API in
        the account and region).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        log_groups_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        # A customer-managed policy rather than an inline one: NIST 800-53, HIPAA and PCI packs
        # flag inline policies.
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="API Gateway account logging: write execution and access logs to this account's log groups",
            statements=[iam.PolicyStatement(actions=list(LOGS_ACTIONS), resources=[log_groups_arn])],
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway CloudWatch Logs role of this account and region (AWS::ApiGateway::Account)",
            managed_policies=[self.policy],
        )
        self.account = apigateway.CfnAccount(self, "Resource", cloud_watch_role_arn=self.role.role_arn)
        # The setting is validated when it is written: the role must be able to act by then.
        self.account.node.add_dependency(self.policy)
        for resource in (self.policy, self.role):
            resource.apply_removal_policy(removal_policy)
        self.account.apply_removal_policy(removal_policy)
        acknowledge(self.policy, iam5_resource(_LOG_GROUPS_ARN_AS_NAG_PRINTS_IT), _WILDCARD_REASON)

    @property
    def role_arn(self) -> str:
        return self.role.role_arn
