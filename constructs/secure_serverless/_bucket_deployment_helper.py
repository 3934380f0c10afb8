"""The declared perimeter of CDK's ``s3_deployment.BucketDeployment`` handler (a helper function).

``BucketDeployment`` adds one singleton function per stack (``Custom::CDKBucketDeployment<uuid>``)
that, at deploy time, copies each source archive (an asset object in CDK's asset bucket, or an
object of a bucket of the app) and syncs it under the destination prefix. As CDK builds it, its role
carries the AWS managed policy ``AWSLambdaBasicExecutionRole`` and CDK's whole-bucket grants
(``s3:GetObject*``, ``s3:List*``, ``s3:DeleteObject*``, ``kms:ReEncrypt*``... on the whole
destination bucket and the whole asset bucket): the perimeter check refuses it (P01, P05, P07, P11).

The kit replaces exactly those grants by what the deployments configure, and declares them:

- each source: ``s3:GetObject`` on that one object (an asset object outside the assembly is
  declared under ``asset_sources``; an object of a bucket of the app as a ``read`` of that key);
- each destination: ``s3:PutObject`` and ``s3:DeleteObject`` (``aws s3 sync --delete``) on
  ``<bucket>/<prefix>*``, ``s3:ListBucket`` limited by an ``s3:prefix`` condition to the prefix,
  ``s3:GetObject`` there only when the deployment reads back version ids, and the bucket key through
  S3 only (``kms:ViaService``);
- no managed policy (it writes no log group: a failure is the reason CloudFormation shows on the
  custom resource), X-Ray tracing.

The declaration is recorded on the function (``SecureServerless::Perimeter``) with the helper's
construct path and the deployments it serves. Nothing is declared shared but the bucket key (used
through S3 only, like every kit function's use of it; isolation rests on the prefixes): a deployment into another
service's prefix, or from another service's objects, is refused by the check (the prefix is also
reached by that service, and the data-flow model records the deploy-time source -> destination
edge). Anything else on the role (another statement, a CloudFront invalidation, a statement the
user added) is left as it is, for the check to judge.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import HELPER_KEY, PERIMETER_METADATA_KEY

from ._grants import BUCKET_KEY_SHARE_REASON
from ._tree import is_instance, resources_by_logical_id

#: The id prefix of the singleton handler (aws-s3-deployment/lib/bucket-deployment.ts, renderSingletonUuid).
HANDLER_ID_PREFIX = "Custom::CDKBucketDeployment"
_BASIC_EXECUTION_ROLE = "service-role/AWSLambdaBasicExecutionRole"
_XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
_XRAY_REASON = (
    "X-Ray trace ingestion (PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions: AWS "
    "documents Resource '*' as the only form."
)
_DLQ_REASON = (
    "CloudFormation invokes this custom-resource handler synchronously and records its failure on the stack "
    "event: Lambda sends only asynchronous invocations to a dead-letter queue, so one could never fire."
)
_RUNTIME_REASON = (
    "CDK's BucketDeployment handler and its AWS CLI layer are built and tested by aws-cdk-lib for the runtime it "
    "sets; the kit does not run CDK's code on a runtime CDK has not tested. It moves with aws-cdk-lib."
)
#: What CDK grants the handler on each source and destination (grantRead, grantReadWrite, key grants).
_CDK_GRANT_ACTIONS = frozenset(
    {
        "s3:GetObject*",
        "s3:GetBucket*",
        "s3:List*",
        "s3:DeleteObject*",
        "s3:PutObject",
        "s3:PutObjectLegalHold",
        "s3:PutObjectRetention",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "s3:Abort*",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    }
)
_SUB_INTRINSIC = re.compile(r"\$\{(AWS::[A-Za-z]+)\}")


def declare_bucket_deployment_handlers(stack: cdk.Stack, constructs: Sequence[IConstruct] | None = None) -> None:
    """Declare the perimeter of every BucketDeployment handler of ``stack`` (called once per stack).

    ``constructs``: the stack's ``node.find_all()``, when the caller has read it already.
    """
    constructs = stack.node.find_all() if constructs is None else constructs
    s3_deployment = sys.modules.get("aws_cdk.aws_s3_deployment")
    if s3_deployment is None:
        return  # its class was never loaded, so no construct of the app is a BucketDeployment
    deployments = [c for c in constructs if is_instance(c, s3_deployment.BucketDeployment)]
    if not deployments:
        return
    handler_paths: list[str | None] | None = None
    for child in stack.node.children:
        if is_instance(child, lambda_.Function) and child.node.id.startswith(HANDLER_ID_PREFIX):
            handler_paths = handler_paths or [_handler_path(d) for d in deployments]
            path = child.node.path
            served = [d for d, served_by in zip(deployments, handler_paths, strict=True) if served_by == path]
            if served:
                _declare(stack, child, served, constructs)


def _handler_path(deployment: IConstruct) -> str | None:
    """The construct path of the function behind the deployment's ``ServiceToken``."""
    custom = deployment.node.try_find_child("CustomResource")
    cfn = custom.node.default_child if custom is not None else None
    if not isinstance(cfn, cdk.CfnResource):
        return None
    token = cdk.Stack.of(deployment).resolve(cfn._cfn_properties).get("ServiceToken")
    function_id = token.get("Fn::GetAtt", [None])[0] if isinstance(token, dict) else None
    stack = cdk.Stack.of(deployment)
    for child in stack.node.children:
        default = child.node.default_child
        if isinstance(default, lambda_.CfnFunction) and stack.resolve(stack.get_logical_id(default)) == function_id:
            return str(child.node.path)
    return None


def _declare(
    stack: cdk.Stack, handler: lambda_.Function, deployments: Sequence[IConstruct], constructs: Sequence[IConstruct]
) -> None:
    from ._acknowledge import acknowledge, iam5_resource

    function = handler.node.default_child
    role = handler.node.try_find_child("ServiceRole")
    if not isinstance(function, lambda_.CfnFunction) or not isinstance(role, iam.Role):
        return  # a role given by the user (role=): its own policies are judged as they are
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    by_logical_id = resources_by_logical_id(stack, constructs)
    plan = _Plan()
    for deployment in deployments:
        custom = deployment.node.find_child("CustomResource").node.default_child
        assert isinstance(custom, cdk.CfnResource)
        if not plan.add(stack, by_logical_id, stack.resolve(custom._cfn_properties)):
            return  # a value the kit cannot pin down (a token prefix...): left to CDK's grants, refused by the check
    default_policy = role.node.try_find_child("DefaultPolicy")
    if not isinstance(default_policy, iam.Policy):
        return
    cfn_policy = default_policy.node.default_child
    assert isinstance(cfn_policy, iam.CfnPolicy)
    original = stack.resolve(default_policy.document.to_json()).get("Statement", [])
    kept = [s for s in original if not plan.is_cdk_grant(s)]
    # on the L1's property (not an override), so cdk-nag and the template read the same statements
    cfn_policy.policy_document = {"Version": "2012-10-17", "Statement": kept + plan.statements()}
    managed = stack.resolve(cfn_role.managed_policy_arns) or []
    if len(managed) == 1 and _BASIC_EXECUTION_ROLE in str(managed[0]):
        cfn_role.managed_policy_arns = None  # on the L1, so cdk-nag and the template agree
    function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
    for bucket, prefix in plan.destinations:
        acknowledge(
            default_policy,
            iam5_resource(f"<{bucket}.Arn>/{prefix}*"),
            f"BucketDeployment syncs (aws s3 sync --delete) the keys of its sources under '{prefix}' of this one "
            "bucket, names it learns from the archive: IAM can only express 'every object under a prefix' with a "
            "trailing '*'. Listing is limited to the prefix by an s3:prefix condition; no other prefix or bucket.",
        )
    acknowledge(default_policy, iam5_resource("*"), _XRAY_REASON)
    acknowledge(handler, "Serverless-LambdaDLQ", _DLQ_REASON)
    runtime = str(function.runtime or "")
    if runtime.startswith("python") and runtime != lambda_.Runtime.PYTHON_3_14.name:
        acknowledge(handler, "AwsSolutions-L1", _RUNTIME_REASON)
        acknowledge(handler, "Serverless-LambdaLatestVersion", _RUNTIME_REASON)

    function.add_metadata(
        PERIMETER_METADATA_KEY,
        {
            "version": 2,
            "role": stack.get_logical_id(cfn_role),
            "reach": plan.reach,
            "asset_sources": plan.asset_sources,
            "wildcards": [{"actions": sorted(_XRAY_ACTIONS), "resource": "*", "reason": _XRAY_REASON}],
            HELPER_KEY: {
                "construct": handler.node.path,
                "what": "CDK's s3_deployment.BucketDeployment handler: at deploy time, copies each source object "
                "and syncs it under the destination prefix; a deploy-time source into these prefixes",
                "configures": [d.node.path for d in deployments],
                "sources": plan.source_texts,
                "destinations": [f"{bucket}/{prefix}" for bucket, prefix in plan.destinations],
            },
        },
    )


class _Plan:
    """What the served deployments configure: the exact statements and the declaration that says them."""

    def __init__(self) -> None:
        self.reach: list[dict[str, Any]] = []
        self.asset_sources: list[dict[str, str]] = []
        self.source_texts: list[str] = []
        self.destinations: list[tuple[str, str]] = []  # (bucket logical id, prefix)
        self._objects: list[Any] = []  # source object ARNs (template values)
        self._writes: list[tuple[str, str, bool]] = []  # (bucket, prefix, reads back versions)
        self._keys: list[str] = []
        self._cdk_resources: list[Any] = []  # what CDK's grants named (to recognize them)

    def add(self, stack: cdk.Stack, by_logical_id: dict[Any, cdk.CfnResource], props: dict[str, Any]) -> bool:
        names, keys = props.get("SourceBucketNames", []), props.get("SourceObjectKeys", [])
        if not isinstance(names, list) or not isinstance(keys, list) or len(names) != len(keys):
            return False
        for name, key in zip(names, keys, strict=True):
            if not isinstance(key, str):
                return False
            bucket = _logical_id(name)
            if bucket is not None:  # an object of a bucket of the app: declared as a read of that key
                if by_logical_id.get(bucket) is None:
                    return False
                arn = {"Fn::GetAtt": [bucket, "Arn"]}
                self._entry(access_levels.S3_PREFIX, bucket, "read", prefix=key)
                self._key_of(stack, by_logical_id, bucket)
                self._cdk_resources += [arn, {"Fn::Join": ["", [arn, "/*"]]}]
                self._objects.append({"Fn::Join": ["", [arn, f"/{key}"]]})
                self.source_texts.append(f"{bucket}/{key}")
                continue
            text = _rendered(name)
            if text is None:
                return False
            bucket_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", name]]}
            self._cdk_resources += [
                bucket_arn,
                {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", name, "/*"]]},
            ]
            self._objects.append({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", name, f"/{key}"]]})
            resource = f"arn:<AWS::Partition>:s3:::{text}/{key}"
            if resource not in [a["resource"] for a in self.asset_sources]:
                self.asset_sources.append(
                    {
                        "resource": resource,
                        "reason": "a CDK asset (the deployment's source archive), read once at deploy time",
                    }
                )
            self.source_texts.append(f"s3://{text}/{key}")
        destination = _logical_id(props.get("DestinationBucketName"))
        prefix = props.get("DestinationBucketKeyPrefix", "")
        if destination is None or by_logical_id.get(destination) is None or not isinstance(prefix, str):
            return False
        prefix = "" if prefix in ("", "/") else prefix.rstrip("/") + "/"
        reads_back = str(props.get("OutputObjectVersionIds", "false")).lower() == "true"
        arn = {"Fn::GetAtt": [destination, "Arn"]}
        self._cdk_resources += [arn, {"Fn::Join": ["", [arn, "/*"]]}]
        for access in ("write", "delete", "list") + (("read",) if reads_back else ()):
            self._entry(access_levels.S3_PREFIX, destination, access, prefix=prefix)
        self._key_of(stack, by_logical_id, destination)
        if (destination, prefix) not in self.destinations:
            self.destinations.append((destination, prefix))
        self._writes.append((destination, prefix, reads_back))
        return True

    def _entry(self, kind: str, resource: str, access: str, shared_reason: str = "", **extra: Any) -> None:
        entry = {"kind": kind, "resource": resource, "access": access, **extra, "shared": bool(shared_reason)}
        if shared_reason:
            entry["share_reason"] = shared_reason
        if entry not in self.reach:
            self.reach.append(entry)

    def _key_of(self, stack: cdk.Stack, by_logical_id: dict[Any, cdk.CfnResource], bucket: str) -> None:
        """The bucket's KMS key, when it is a key of the app (SSE-KMS): used through S3 only."""
        properties = stack.resolve(by_logical_id[bucket]._cfn_properties)  # typed L1s: camelCase keys
        for rule in _field(_field(properties, "BucketEncryption"), "ServerSideEncryptionConfiguration") or []:
            key = _logical_id(_field(_field(rule, "ServerSideEncryptionByDefault"), "KMSMasterKeyID"))
            if key is not None and key not in self._keys:
                self._keys.append(key)
                self._cdk_resources.append({"Fn::GetAtt": [key, "Arn"]})
                # shared like every kit function's use of a bucket key: through S3 only, per prefix
                self._entry(access_levels.KMS_KEY, key, "encrypt-decrypt", shared_reason=BUCKET_KEY_SHARE_REASON)

    def statements(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if self._objects:
            found.append({"Action": "s3:GetObject", "Effect": "Allow", "Resource": self._objects})
        for bucket, prefix, reads_back in self._writes:
            arn = {"Fn::GetAtt": [bucket, "Arn"]}
            objects = {"Fn::Join": ["", [arn, f"/{prefix}*"]]}
            actions = ["s3:DeleteObject", "s3:PutObject"] + (["s3:GetObject"] if reads_back else [])
            found.append({"Action": actions, "Effect": "Allow", "Resource": objects})
            found.append(
                {
                    "Action": "s3:ListBucket",
                    "Effect": "Allow",
                    "Resource": arn,
                    "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                }
            )
        if self._keys:
            found.append(
                {
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Effect": "Allow",
                    "Resource": [{"Fn::GetAtt": [key, "Arn"]} for key in self._keys],
                    "Condition": {
                        "StringEquals": {
                            "kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
                        }
                    },
                }
            )
        found.append({"Action": sorted(_XRAY_ACTIONS), "Effect": "Allow", "Resource": "*"})
        return found

    def is_cdk_grant(self, statement: Any) -> bool:
        """A statement CDK wrote for these sources and destinations (replaced by the exact ones)."""
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or "Condition" in statement:
            return False
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        return (
            bool(actions)
            and set(actions) <= _CDK_GRANT_ACTIONS
            and bool(resources)
            and all(resource in self._cdk_resources for resource in resources)
        )


def _field(value: Any, name: str) -> Any:
    """``value[name]`` in CloudFormation's or jsii's spelling (``KMSMasterKeyID``, ``kmsMasterKeyId``)."""
    if not isinstance(value, dict):
        return None
    return next((v for k, v in value.items() if k.lower() == name.lower()), None)


def _logical_id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Ref"), str) and not value["Ref"].startswith("AWS::"):
        return str(value["Ref"])
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list):
        return str(value["Fn::GetAtt"][0])
    return None


def _rendered(name: Any) -> str | None:
    """A bucket name outside the assembly as the perimeter metadata writes it (``<AWS::AccountId>``)."""
    if isinstance(name, str):
        return name
    if isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str):
        return _SUB_INTRINSIC.sub(r"<\1>", name["Fn::Sub"])
    return None
