"""IsolatedNetwork: a VPC in which functions reach AWS APIs only through VPC endpoints.

Isolated subnets only: no internet gateway, no NAT gateway, no route beyond the VPC except the
DynamoDB and S3 gateway endpoints. Interface endpoints (X-Ray by default; KMS, SQS, CloudWatch
Logs on request) for the other services the function code calls. The endpoints' security group
admits HTTPS from the functions' security group only. Gateway endpoint policies name the exact
tables and buckets of the app (``allow_table`` / ``allow_bucket``); an endpoint nobody scoped is a
synth error rather than AWS's allow-everything default. VPC flow logs (all traffic) go to a
KMS-encrypted log group through a role with exact actions.

What it does not change: IAM stays the perimeter. A function in the VPC may call only what its
role allows; the endpoints narrow the network path, they grant nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import actions_for

from ._log_retention import MINIMUM_LOG_RETENTION, checked_retention, record_short_retention
from ._service_role import service_role
from ._validation import Problems
from .compliance import acknowledge_all
from .encryption_key import EncryptionKey

if TYPE_CHECKING:
    from .secure_bucket import SecureBucket
    from .secure_table import SecureTable

_DEFAULT_SG_REASON = (
    "Nothing in this VPC uses its default security group: every function and every endpoint has a "
    "security group of its own, and the subnets are isolated (no internet route). Closing the default group "
    "needs CDK's custom-resource Lambda with EC2 write permissions, a function outside any declared perimeter "
    "that cdk-nag does not inspect; the kit keeps every function of the app inside a declared perimeter."
)
_DEFAULT_SG_RULES = (
    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
    "HIPAA.Security-VPCDefaultSecurityGroupClosed",
    "PCI.DSS.321-VPCDefaultSecurityGroupClosed",
)
_HTTPS_EGRESS_REASON = (
    "HTTPS to the DynamoDB and S3 gateway endpoints: their prefix-list ids differ per region and an "
    "environment-agnostic template cannot name them; the isolated subnets have no route beyond the VPC "
    "and the gateway endpoints, so nothing else is reachable"
)


class InterfaceService(enum.Enum):
    """AWS services a function may reach through an interface endpoint."""

    XRAY = "xray"
    KMS = "kms"
    SQS = "sqs"
    CLOUDWATCH_LOGS = "logs"
    #: Cognito user pools' API (e.g. an admin route that reads current group membership).
    COGNITO_IDP = "cognito-idp"

    @property
    def endpoint_service(self) -> ec2.InterfaceVpcEndpointAwsService:
        return {
            InterfaceService.XRAY: ec2.InterfaceVpcEndpointAwsService.XRAY,
            InterfaceService.KMS: ec2.InterfaceVpcEndpointAwsService.KMS,
            InterfaceService.SQS: ec2.InterfaceVpcEndpointAwsService.SQS,
            InterfaceService.CLOUDWATCH_LOGS: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
            InterfaceService.COGNITO_IDP: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDP,
        }[self]


class IsolatedNetwork(Construct):
    """A VPC with isolated subnets only, VPC endpoints, security groups and flow logs.

    Give its ``function_options()`` to every ``SecureFunction`` (or ``TableFunction(function_options=
    {...})``), then scope the gateway endpoints with ``allow_table`` / ``allow_bucket``.

    :param max_azs: availability zones (one isolated subnet and one endpoint interface per AZ),
        1..6; an environment-agnostic stack gets at most 2 (CDK cannot list a region's zones
        without one). Default: 2. Each interface endpoint costs per hour per AZ (docs/compliance.md).
    :param cidr: the VPC's IPv4 range. Default: "10.0.0.0/16".
    :param interface_services: services reached through interface endpoints. Default: X-Ray only
        (every kit function traces; Lambda itself delivers logs and decrypts the environment, and
        DynamoDB and S3 call KMS themselves). Add ``InterfaceService.KMS`` / ``SQS`` /
        ``CLOUDWATCH_LOGS`` when your handler code calls those APIs.
    :param s3_endpoint: add the S3 gateway endpoint (then scope it with ``allow_bucket``).
        Default: True; pass False when no function uses S3.
    :param flow_log_retention: a ``logs.RetentionDays`` for the flow-log group. Default: ONE_YEAR.
        Shorter needs ``short_log_retention_reason``.
    :param short_log_retention_reason: why a shorter retention is acceptable (recorded). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        max_azs: int = 2,
        cidr: str = "10.0.0.0/16",
        interface_services: Sequence[InterfaceService] = (InterfaceService.XRAY,),
        s3_endpoint: bool = True,
        flow_log_retention: logs.RetentionDays = MINIMUM_LOG_RETENTION,
        short_log_retention_reason: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        problems.check_range("max_azs", max_azs, 1, 6)
        bad = [s for s in interface_services if not isinstance(s, InterfaceService)]
        if bad:
            problems.add(
                "interface_services", bad, f"use InterfaceService members: {[s.name for s in InterfaceService]}"
            )
        retention = checked_retention(problems, flow_log_retention, short_log_retention_reason)
        problems.raise_if_any()

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=max_azs,
            nat_gateways=0,
            create_internet_gateway=False,
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
        )
        acknowledge_all(self.vpc, _DEFAULT_SG_RULES, _DEFAULT_SG_REASON)
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.functions_security_group = ec2.SecurityGroup(
            self,
            "Functions",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="Kit functions: HTTPS out to the VPC endpoints only; no inbound rule",
        )
        self.functions_security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), _HTTPS_EGRESS_REASON)
        self.endpoints_security_group = ec2.SecurityGroup(
            self,
            "Endpoints",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="Interface endpoints: HTTPS in from the security group of the kit functions only",
        )

        self.dynamodb_endpoint = self.vpc.add_gateway_endpoint(
            "DynamoDb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets=[self.subnets]
        )
        self._scoped: set[str] = set()
        self._gateways = {"dynamodb": self.dynamodb_endpoint}
        self.s3_endpoint: ec2.GatewayVpcEndpoint | None = None
        if s3_endpoint:
            self.s3_endpoint = self.vpc.add_gateway_endpoint(
                "S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.subnets]
            )
            self._gateways["s3"] = self.s3_endpoint
        self.interface_endpoints: dict[InterfaceService, ec2.InterfaceVpcEndpoint] = {}
        for service in dict.fromkeys(interface_services):
            endpoint = ec2.InterfaceVpcEndpoint(
                self,
                f"{service.name.title().replace('_', '')}Endpoint",
                vpc=self.vpc,
                service=service.endpoint_service,
                subnets=self.subnets,
                security_groups=[self.endpoints_security_group],
                open=False,
                private_dns_enabled=True,
            )
            endpoint.connections.allow_default_port_from(
                self.functions_security_group, f"HTTPS from the kit functions to {service.value}"
            )
            self.interface_endpoints[service] = endpoint

        self._add_flow_logs(retention, short_log_retention_reason)
        self.node.add_validation(_EveryGatewayEndpointScoped(self))

    # ------------------------------------------------------------------ for functions
    def function_options(self) -> dict[str, Any]:
        """The ``SecureFunction`` options that put a function in this network."""
        return {"vpc": self.vpc, "vpc_subnets": self.subnets, "security_groups": [self.functions_security_group]}

    # ------------------------------------------------------------------ endpoint policies
    def allow_table(self, table: SecureTable) -> None:
        """Let the DynamoDB endpoint carry item and stream calls to ``table`` and its indexes only."""
        arns = [table.table_arn, *(f"{table.table_arn}/index/{name}" for name in table.index_names)]
        if table.table.table_stream_arn is not None:
            arns.append(table.table.table_stream_arn)
        actions = {
            *actions_for(access_levels.DYNAMODB_TABLE, "read-write"),
            *actions_for(access_levels.DYNAMODB_TABLE, "stream-read"),
        }
        self.dynamodb_endpoint.add_to_policy(
            iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=sorted(actions), resources=arns)
        )
        self._scoped.add("dynamodb")

    def allow_bucket(self, bucket: SecureBucket) -> None:
        """Let the S3 endpoint carry object calls to ``bucket`` only."""
        if self.s3_endpoint is None:
            problems = Problems(self.node.path)
            problems.add("s3_endpoint", False, "allow_bucket needs the S3 gateway endpoint; pass s3_endpoint=True")
            problems.raise_if_any()
        assert self.s3_endpoint is not None
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=sorted(actions_for(access_levels.S3_PREFIX, "read-write-delete")),
                resources=[f"{bucket.bucket_arn}/*"],
            )
        )
        self._scoped.add("s3")

    # ------------------------------------------------------------------ flow logs
    def _add_flow_logs(self, retention: logs.RetentionDays, short_reason: str | None) -> None:
        self.flow_log_key = EncryptionKey(
            self, "FlowLogKey", description=f"Key of the VPC flow logs of {self.node.path}"
        )
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention,
            encryption_key=self.flow_log_key.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        record_short_retention(self.flow_log_group, retention, short_reason)
        # Exact actions on the one log group, in a customer-managed policy (NIST/HIPAA/PCI flag
        # inline policies); CDK's FlowLog would write an inline default policy.
        policy = iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            description=f"VPC flow logs of {self.node.path}: write to their own log group only",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    resources=[self.flow_log_group.log_group_arn],
                )
            ],
        )
        role = service_role(
            self,
            "FlowLogRole",
            service="vpc-flow-logs.amazonaws.com",
            description=f"VPC flow logs of {self.node.path}",
            managed_policies=[policy],
        )
        self.flow_log = ec2.CfnFlowLog(
            self,
            "FlowLog",
            resource_id=self.vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_group_name=self.flow_log_group.log_group_name,
            deliver_logs_permission_arn=role.role_arn,
        )


@jsii.implements(IValidation)
class _EveryGatewayEndpointScoped:
    """A gateway endpoint without a policy statement would allow every call (AWS's default)."""

    def __init__(self, network: IsolatedNetwork) -> None:
        self._network = network

    def validate(self) -> list[str]:
        missing = {"dynamodb": "allow_table(table)", "s3": "allow_bucket(bucket)"}
        return [
            f"SecureServerless-UnscopedGatewayEndpoint: {self._network.node.path}: the {service} gateway endpoint "
            f"allows every {service} resource until it is "
            f"scoped; call IsolatedNetwork.{method} for each one the functions use"
            for service, method in missing.items()
            if service in self._network._gateways and service not in self._network._scoped
        ]
