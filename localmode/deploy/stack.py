"""Deploying a stack, in the order of the package docstring, and what a deployed stack is."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..emulator import Emulator
from .assembly import Assembly, StackArtifact, publish_assets
from .handling import CLOUDFORMATION, HANDLING, LOCAL_GATEWAY, NOTHING, DeployError, check_resource_types
from .repairs import put_bucket_cors, reconcile_iam, repair_key_policies
from .service_api import CREATORS
from .values import Values, references, replace_references

# Created through service APIs before CloudFormation (CloudFormation resources reference them),
# and after it (they reference what CloudFormation created), in this order.
_BEFORE_CFN = ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup")
_AFTER_CFN = (
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::WAFv2::LoggingConfiguration",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::ApiGateway::Account",
)
# Deployed by CloudFormation, then repaired or checked by local mode (their properties are resolved).
_REPAIRED_AFTER_CFN = ("AWS::KMS::Key", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
# CDK bootstrap plumbing that only exists for `cdk deploy` (the SSM version check).
_BOOTSTRAP_PARAMETER = "BootstrapVersion"
_OUTPUT_PREFIX = "LocalModeValue"


@dataclass
class DeployedResource:
    logical_id: str
    type: str
    how: str
    note: str
    physical_id: str | None = None
    status: str = "PENDING"  # CREATE_COMPLETE (CloudFormation), CREATED (service API), EMULATED, SKIPPED


@dataclass
class DeployedStack:
    name: str
    artifact: StackArtifact
    values: Values
    resources: dict[str, DeployedResource]
    outputs: dict[str, str]
    # GetFunctionConfiguration of each function, read at deploy time (moto's signature check of
    # Lambda's REST paths fails once IAM is enforced, so nothing reads it later).
    function_configurations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def template(self) -> dict[str, Any]:
        return self.artifact.template

    def physical_id(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        if resource.physical_id is None:
            raise KeyError(f"{logical_id} has no physical id")
        return resource.physical_id

    def of_type(self, resource_type: str) -> list[str]:
        return [r.logical_id for r in self.resources.values() if r.type == resource_type]


# --------------------------------------------------------------------------- service-API creators


def _gateway_reference_values(template: dict[str, Any], values: Values) -> None:
    """What a Ref to a gateway-emulated resource stands for in the CloudFormation copy."""
    gateway_types = {kind for kind, handling in HANDLING.items() if handling.how == LOCAL_GATEWAY}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") not in gateway_types:
            continue
        if resource["Type"] == "AWS::ApiGateway::Stage":
            values.refs[logical_id] = str(resource.get("Properties", {}).get("StageName", logical_id))
        else:
            values.refs[logical_id] = f"local-gateway-{logical_id}"


# --------------------------------------------------------------------------- deployment


def _cloudformation_template(
    template: dict[str, Any], stack_name: str, values: Values, needed: set[tuple[str, str | None]]
) -> dict[str, Any]:
    """The template moto's CloudFormation deploys: our resources only, references to the rest replaced."""
    resources = template.get("Resources", {})
    kept = {lid for lid, r in resources.items() if HANDLING[r["Type"]].how == CLOUDFORMATION}
    replacements: dict[tuple[str, str | None], Any] = {}
    for logical_id in resources:
        if logical_id in kept:
            continue
        if logical_id in values.refs:
            replacements[(logical_id, None)] = values.refs[logical_id]
        for (target, attribute), value in values.attributes.items():
            if target == logical_id:
                replacements[(target, attribute)] = value
    body: dict[str, Any] = {"AWSTemplateFormatVersion": template.get("AWSTemplateFormatVersion", "2010-09-09")}
    for section in ("Mappings", "Conditions"):
        if section in template:
            body[section] = copy.deepcopy(template[section])
    parameters = {k: v for k, v in template.get("Parameters", {}).items() if k != _BOOTSTRAP_PARAMETER}
    for name, parameter in parameters.items():
        if "Default" not in parameter:
            raise DeployError(f"stack {stack_name}: parameter {name} has no default; local mode passes no parameters")
    if parameters:
        body["Parameters"] = parameters
    body["Resources"] = {}
    for logical_id in kept:
        resource = _for_moto(replace_references(copy.deepcopy(resources[logical_id]), replacements))
        for referenced, attribute_name in references(resource):
            if referenced in resources and referenced not in kept and (referenced, attribute_name) not in replacements:
                raise DeployError(
                    f"stack {stack_name}: {logical_id} references {referenced}"
                    f"{'.' + attribute_name if attribute_name else ''}, which local mode creates after CloudFormation"
                )
        depends = resource.get("DependsOn")
        if depends is not None:
            depends = [depends] if isinstance(depends, str) else depends
            depends = [name for name in depends if name in kept]
            if depends:
                resource["DependsOn"] = depends
            else:
                resource.pop("DependsOn")
        body["Resources"][logical_id] = resource
    outputs = {
        name: replace_references(copy.deepcopy(output), replacements)
        for name, output in template.get("Outputs", {}).items()
    }
    for index, (referenced, attribute_name) in enumerate(sorted(needed, key=lambda item: (item[0], item[1] or ""))):
        reference = {"Ref": referenced} if attribute_name is None else {"Fn::GetAtt": [referenced, attribute_name]}
        outputs[f"{_OUTPUT_PREFIX}{index}"] = {
            "Value": reference,
            "Description": json.dumps([referenced, attribute_name]),
        }
    if outputs:
        body["Outputs"] = outputs
    return body


def _for_moto(resource: dict[str, Any]) -> dict[str, Any]:
    """Work around what moto 5.2.5's CloudFormation cannot parse, where nothing local mode shows changes.

    A MOCK integration (CDK's CORS preflight, served by the local gateway from the original
    template) has no IntegrationHttpMethod and no Uri, and moto's Method parser requires both.
    """
    if resource.get("Type") == "AWS::ApiGateway::Method":
        integration = resource.get("Properties", {}).get("Integration")
        if isinstance(integration, dict) and integration.get("Type") == "MOCK":
            integration.setdefault("IntegrationHttpMethod", "ANY")
            integration.setdefault("Uri", "")
    return resource


def _short_error(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _emulator_error(emulator: Emulator) -> str:
    """The last exception line of the emulator's log: what moto failed on behind its HTML 500."""
    try:
        lines = emulator.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line.strip())]
    return f"; the emulator failed on: {errors[-1]} (log: {emulator.log_path})" if errors else ""


def deploy_stack(emulator: Emulator, stack: StackArtifact) -> DeployedStack:
    """Deploy one stack (see the module docstring); IAM enforcement must still be off."""
    template = stack.template
    resources: dict[str, Any] = template.get("Resources", {})
    values = Values(region=emulator.region, stack_name=stack.name)
    deployed = {
        lid: DeployedResource(lid, r["Type"], HANDLING[r["Type"]].how, HANDLING[r["Type"]].note)
        for lid, r in resources.items()
    }
    publish_assets(emulator, stack)

    def create(kinds: tuple[str, ...]) -> None:
        for kind in kinds:
            for logical_id, resource in resources.items():
                if resource["Type"] != kind:
                    continue
                properties = values.resolve(resource.get("Properties", {}))
                try:
                    created = CREATORS[kind](emulator, stack.name, logical_id, properties, values)
                    if isinstance(created, tuple):
                        created, deployed[logical_id].note = created
                    deployed[logical_id].physical_id = created
                    deployed[logical_id].status = "CREATED"
                except DeployError:
                    raise
                except Exception as error:
                    raise DeployError(f"stack {stack.name}: creating {logical_id} ({kind}) failed: {error}") from error

    create(_BEFORE_CFN)
    _gateway_reference_values(template, values)
    for resource in deployed.values():
        if resource.how == LOCAL_GATEWAY:
            resource.status = "EMULATED"
        elif resource.how == NOTHING:
            resource.status = "SKIPPED"

    # What the resources created after CloudFormation (and the key policies) need from it.
    kept = {lid for lid, r in resources.items() if HANDLING[r["Type"]].how == CLOUDFORMATION}
    needed: set[tuple[str, str | None]] = set()
    for resource in resources.values():
        if resource["Type"] in _AFTER_CFN or resource["Type"] in _REPAIRED_AFTER_CFN:
            needed.update(ref for ref in references(resource.get("Properties", {})) if ref[0] in kept)

    body = _cloudformation_template(template, stack.name, values, needed)
    cloudformation = emulator.client("cloudformation")
    try:
        cloudformation.create_stack(
            StackName=stack.name,
            TemplateBody=json.dumps(body),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    except Exception as error:
        raise DeployError(
            f"moto's CloudFormation rejected stack {stack.name}: {_short_error(error)}{_emulator_error(emulator)}"
        ) from error
    description = cloudformation.describe_stacks(StackName=stack.name)["Stacks"][0]
    if description["StackStatus"] != "CREATE_COMPLETE":
        raise DeployError(
            f"stack {stack.name} ended in {description['StackStatus']}: {description.get('StackStatusReason', '')}"
        )
    summaries = cloudformation.list_stack_resources(StackName=stack.name)["StackResourceSummaries"]
    created = {summary["LogicalResourceId"]: summary for summary in summaries}
    missing = sorted(lid for lid in kept if created.get(lid, {}).get("ResourceStatus") != "CREATE_COMPLETE")
    if missing:
        raise DeployError(f"moto's CloudFormation did not create {missing} in stack {stack.name}")
    for logical_id in kept:
        physical = created[logical_id].get("PhysicalResourceId")
        deployed[logical_id].physical_id = physical
        deployed[logical_id].status = "CREATE_COMPLETE"
        values.refs.setdefault(logical_id, physical)
    outputs: dict[str, str] = {}
    for output in description.get("Outputs", []):
        key, value = output["OutputKey"], output["OutputValue"]
        if key.startswith(_OUTPUT_PREFIX):
            target, attribute = json.loads(output["Description"])
            if attribute is None:
                values.refs[target] = value
            else:
                values.attributes[(target, attribute)] = value
        else:
            outputs[key] = value

    reconcile_iam(emulator, stack, values, deployed)
    put_bucket_cors(emulator, stack, deployed)
    create(_AFTER_CFN)
    repair_key_policies(emulator, stack, values, deployed)
    lambda_client = emulator.client("lambda")
    configurations = {
        logical_id: lambda_client.get_function_configuration(FunctionName=deployed[logical_id].physical_id)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    return DeployedStack(stack.name, stack, values, deployed, outputs, configurations)


def deploy_assembly(emulator: Emulator, assembly: Assembly) -> dict[str, DeployedStack]:
    """Check every resource type, then deploy each stack in dependency order."""
    check_resource_types(assembly)
    return {stack.name: deploy_stack(emulator, stack) for stack in assembly.stacks}
