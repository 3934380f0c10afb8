"""What moto's CloudFormation gets wrong, put right after it through the service APIs: a bucket's
CORS rules, IAM attachments (then checked against the template) and KMS key policies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..emulator import Emulator
from .assembly import StackArtifact
from .handling import DeployError
from .values import Values

if TYPE_CHECKING:
    from .stack import DeployedResource

_CORS_RULE_KEYS = {
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
    "Id": "ID",
}


def put_bucket_cors(emulator: Emulator, stack: StackArtifact, deployed: dict[str, DeployedResource]) -> None:
    """moto's CloudFormation drops a bucket's CorsConfiguration: put it through the S3 API."""
    s3 = emulator.client("s3")
    for logical_id, resource in stack.template.get("Resources", {}).items():
        cors = (
            resource.get("Properties", {}).get("CorsConfiguration") if resource["Type"] == "AWS::S3::Bucket" else None
        )
        if not cors:
            continue
        rules = [
            {_CORS_RULE_KEYS[key]: value for key, value in rule.items() if key in _CORS_RULE_KEYS}
            for rule in cors.get("CorsRules", [])
        ]
        s3.put_bucket_cors(Bucket=deployed[logical_id].physical_id, CORSConfiguration={"CORSRules": rules})
        deployed[logical_id].note += "; CORS rules put through the S3 API (moto's CloudFormation drops them)"


def reconcile_iam(
    emulator: Emulator, stack: StackArtifact, values: Values, deployed: dict[str, DeployedResource]
) -> None:
    """Make the emulator's IAM attachments what the template says, and check them.

    moto's CloudFormation creates roles but ignores ``ManagedPolicyArns``: a role would exist
    without its policies. Local mode attaches them, then checks every attachment and inline
    policy the template declares; a difference stops the deployment.
    """
    iam = emulator.client("iam")
    resources = stack.template.get("Resources", {})
    problems: list[str] = []

    def attached(role: str) -> set[str]:
        return {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}

    for logical_id, resource in resources.items():
        if resource["Type"] not in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            continue
        properties = values.resolve(resource.get("Properties", {}))
        if resource["Type"] == "AWS::IAM::Role":
            role = str(deployed[logical_id].physical_id)
            wanted = set(properties.get("ManagedPolicyArns", []))
            for arn in sorted(wanted - attached(role)):
                if _unknown_aws_policy_of_a_service_role(iam, arn, properties):
                    wanted.discard(arn)
                    skipped = f"{arn} not attached (moto lacks it; its service does not run locally)"
                    deployed[logical_id].note += f"; {skipped}"
                    continue
                iam.attach_role_policy(RoleName=role, PolicyArn=arn)
            if wanted - attached(role):
                problems.append(f"{logical_id}: managed policies {sorted(wanted - attached(role))} not attached")
            inline = set(iam.list_role_policies(RoleName=role)["PolicyNames"])
            for policy in properties.get("Policies", []):
                if policy["PolicyName"] not in inline:
                    problems.append(f"{logical_id}: inline policy {policy['PolicyName']} missing")
        elif resource["Type"] == "AWS::IAM::ManagedPolicy":
            arn = str(deployed[logical_id].physical_id)
            for role in properties.get("Roles", []):
                if arn not in attached(role):
                    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
            for kind in ("Users", "Groups"):
                if properties.get(kind):
                    problems.append(f"{logical_id}: attachments to {kind} are not checked by local mode")
        elif resource["Type"] == "AWS::IAM::Policy":
            for role in properties.get("Roles", []):
                if properties["PolicyName"] not in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                    problems.append(f"{logical_id}: inline policy {properties['PolicyName']} missing on {role}")
            for kind in ("Users", "Groups"):
                if properties.get(kind):
                    problems.append(f"{logical_id}: attachments to {kind} are not checked by local mode")
    if problems:
        raise DeployError(
            f"stack {stack.name}: IAM in the emulator differs from the template:\n  " + "\n  ".join(problems)
        )


def _unknown_aws_policy_of_a_service_role(iam: Any, arn: str, role_properties: dict[str, Any]) -> bool:
    """An AWS managed policy moto does not ship, on a role no local worker assumes (e.g. AWS Backup's)."""
    if not arn.startswith("arn:aws:iam::aws:policy/"):
        return False
    trusted = json.dumps(role_properties.get("AssumeRolePolicyDocument", {}))
    if "lambda.amazonaws.com" in trusted:
        return False
    try:
        iam.get_policy(PolicyArn=arn)
    except iam.exceptions.NoSuchEntityException:
        return True
    return False


def repair_key_policies(
    emulator: Emulator, stack: StackArtifact, values: Values, deployed: dict[str, DeployedResource]
) -> None:
    kms = emulator.client("kms")
    for logical_id, resource in stack.template.get("Resources", {}).items():
        if resource["Type"] != "AWS::KMS::Key":
            continue
        key_id = deployed[logical_id].physical_id
        policy = resource.get("Properties", {}).get("KeyPolicy")
        if policy is not None:
            kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(values.resolve(policy)))
        arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        values.attributes.setdefault((logical_id, "Arn"), arn)
        values.attributes.setdefault((logical_id, "KeyId"), str(key_id))
