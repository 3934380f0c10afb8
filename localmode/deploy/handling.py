"""What local mode does with each resource type (``HANDLING``, the allow-list), the errors of a
deployment, and the fail-closed check that every type of an assembly is handled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .assembly import Assembly

CLOUDFORMATION = "cloudformation"
SERVICE_API = "service-api"
LOCAL_GATEWAY = "local-gateway"
NOTHING = "nothing-to-deploy"


class DeployError(RuntimeError):
    """The assembly could not be deployed to the emulator."""


class SynthError(DeployError):
    """``app.py`` failed to synthesize the cloud assembly."""


class UnsupportedResourceError(DeployError):
    """A resource type of the template is neither deployed nor emulated by local mode."""


@dataclass(frozen=True)
class Handling:
    how: str
    note: str
    #: accepted, but what it does in AWS does not happen locally (said at start-up).
    no_op: bool = False


def _no_op(how: str, note: str) -> Handling:
    return Handling(how, note, no_op=True)


_NO_BACKUP = "not deployed (moto's CloudFormation lacks AWS Backup)"
_NO_VPC = "local workers do not run in a VPC: network isolation is not emulated (IAM still is)"


def _cfn(note: str) -> Handling:
    return Handling(CLOUDFORMATION, note)


def _api(note: str) -> Handling:
    return Handling(SERVICE_API, note)


def _gateway(note: str) -> Handling:
    return Handling(LOCAL_GATEWAY, note)


# The allow-list. A type that is not here stops start-up (see UnsupportedResourceError).
HANDLING: dict[str, Handling] = {
    "AWS::KMS::Key": _cfn("moto's CloudFormation; key policy put again after deploy; KMS policies are not evaluated"),
    "AWS::KMS::Alias": _cfn("moto's CloudFormation"),
    "AWS::DynamoDB::Table": _cfn("moto's CloudFormation; moto drops the SSE settings (no CMK encryption locally)"),
    "AWS::Logs::LogGroup": _cfn("moto's CloudFormation; local handlers log to a file, not to CloudWatch"),
    "AWS::SQS::Queue": _cfn("moto's CloudFormation"),
    "AWS::IAM::Role": _cfn("moto's CloudFormation; its credentials are what the local worker runs with"),
    "AWS::IAM::ManagedPolicy": _cfn("moto's CloudFormation; enforced by the emulator (DynamoDB: patched)"),
    "AWS::IAM::Policy": _cfn("moto's CloudFormation; enforced by the emulator (DynamoDB: patched)"),
    "AWS::Lambda::Function": _cfn("moto's CloudFormation registers it; a local worker process runs its code"),
    "AWS::Lambda::LayerVersion": _cfn("moto's CloudFormation; its asset folder is on the worker's PYTHONPATH"),
    "AWS::Lambda::Permission": _cfn("moto's CloudFormation; the local gateway invokes the worker directly"),
    "AWS::S3::Bucket": _cfn("moto's CloudFormation; moto drops some properties (public access block)"),
    "AWS::SNS::Topic": _cfn("moto's CloudFormation; nothing publishes to it locally"),
    "AWS::ApiGateway::RestApi": _cfn("moto's CloudFormation; requests are served by the local gateway"),
    "AWS::ApiGateway::Resource": _cfn("moto's CloudFormation; routes served by the local gateway"),
    "AWS::ApiGateway::Method": _cfn("moto's CloudFormation; authorization and integration by the local gateway"),
    "AWS::ApiGateway::Deployment": _cfn("moto's CloudFormation"),
    "AWS::Cognito::UserPool": _api("Cognito API with the template's policies (moto's CloudFormation skips it)"),
    "AWS::Cognito::UserPoolClient": _api("Cognito API with the template's settings (skipped by moto's CloudFormation)"),
    "AWS::Cognito::UserPoolGroup": _api("Cognito API (skipped by moto's CloudFormation)"),
    "AWS::S3::BucketPolicy": _api("S3 API, without TLS-only Deny statements (local traffic is HTTP on loopback)"),
    "AWS::SQS::QueuePolicy": _api("SQS API; stored, not evaluated by moto"),
    "AWS::SNS::TopicPolicy": _api("SNS API; stored, not evaluated by moto"),
    "AWS::CloudWatch::Alarm": _api("CloudWatch API; stored, no metrics flow locally so alarms never fire"),
    "AWS::CloudWatch::Dashboard": _api("CloudWatch API; stored, no metrics flow locally so its graphs stay empty"),
    "AWS::WAFv2::WebACL": _api("WAFv2 API; stored, the local gateway emulates its body-size and rate rules only"),
    "AWS::WAFv2::WebACLAssociation": _api("WAFv2 API; stored"),
    "AWS::WAFv2::LoggingConfiguration": _api("WAFv2 API; stored"),
    "AWS::ApiGateway::Account": _api("API Gateway API (account-level CloudWatch role setting)"),
    "AWS::ApiGateway::Stage": _gateway("local gateway: stage name and throttling (moto skips stages)"),
    "AWS::ApiGateway::Authorizer": _gateway("local gateway: Cognito authorizer (signature, iss, aud, token_use, exp)"),
    "AWS::ApiGateway::Model": _gateway("local gateway: request bodies validated against the model"),
    "AWS::ApiGateway::RequestValidator": _gateway("local gateway: request validation"),
    "AWS::ApiGateway::GatewayResponse": _gateway("local gateway: the API's own error responses"),
    "AWS::CDK::Metadata": Handling(NOTHING, "CDK's version report; nothing to deploy"),
    # The regulated profile (-c profile=regulated): accepted, and said so at start-up.
    "AWS::EC2::VPC": _no_op(CLOUDFORMATION, f"moto's CloudFormation; {_NO_VPC}"),
    "AWS::EC2::Subnet": _no_op(CLOUDFORMATION, f"moto's CloudFormation; {_NO_VPC}"),
    "AWS::EC2::RouteTable": _no_op(CLOUDFORMATION, f"moto's CloudFormation; {_NO_VPC}"),
    "AWS::EC2::SubnetRouteTableAssociation": _no_op(CLOUDFORMATION, f"moto's CloudFormation; {_NO_VPC}"),
    "AWS::EC2::SecurityGroup": _no_op(CLOUDFORMATION, f"moto's CloudFormation; {_NO_VPC}"),
    "AWS::EC2::SecurityGroupIngress": _no_op(CLOUDFORMATION, f"moto's CloudFormation; {_NO_VPC}"),
    "AWS::EC2::SecurityGroupEgress": _no_op(NOTHING, f"not deployed (moto's CloudFormation lacks it); {_NO_VPC}"),
    "AWS::EC2::VPCEndpoint": _no_op(
        CLOUDFORMATION, "moto's CloudFormation; endpoint policies are not evaluated, workers call the emulator directly"
    ),
    "AWS::EC2::FlowLog": _no_op(CLOUDFORMATION, "moto's CloudFormation; no traffic is logged locally"),
    "AWS::Backup::BackupVault": _no_op(NOTHING, f"{_NO_BACKUP}; no backups run"),
    "AWS::Backup::BackupPlan": _no_op(NOTHING, f"{_NO_BACKUP}; no backups run"),
    "AWS::Backup::BackupSelection": _no_op(NOTHING, _NO_BACKUP),
}


def check_resource_types(assembly: Assembly) -> None:
    """Fail closed: every resource type must be in ``HANDLING``."""
    unknown: dict[str, list[str]] = {}
    for stack in assembly.stacks:
        for logical_id, resource in stack.template.get("Resources", {}).items():
            if resource.get("Type") not in HANDLING:
                path = resource.get("Metadata", {}).get("aws:cdk:path")
                where = f"{stack.name}/{logical_id}" + (f" (construct {path})" if path else "")
                unknown.setdefault(str(resource.get("Type")), []).append(where)
        if "Transform" in stack.template:
            unknown.setdefault(f"Transform {stack.template['Transform']}", []).append(stack.name)
    if unknown:
        lines = [f"  {kind}: {', '.join(ids)}" for kind, ids in sorted(unknown.items())]
        raise UnsupportedResourceError(
            "local mode neither deploys nor emulates these resource types, so it cannot show the stack"
            " as AWS would run it. The construct path names the construct (and so the option) that added each;"
            " remove that option for local mode, or add the type to localmode.deploy.HANDLING with how it is"
            " handled:\n" + "\n".join(lines)
        )


def no_op_resources(assembly: Assembly) -> list[str]:
    """One start-up line per accepted resource type whose AWS behaviour does not happen locally."""
    counts: dict[str, int] = {}
    for stack in assembly.stacks:
        for resource in stack.template.get("Resources", {}).values():
            kind = str(resource.get("Type"))
            if kind in HANDLING and HANDLING[kind].no_op:
                counts[kind] = counts.get(kind, 0) + 1
    return [f"accepted as a no-op: {count} x {kind} ({HANDLING[kind].note})" for kind, count in sorted(counts.items())]


# --------------------------------------------------------------------------- assets
