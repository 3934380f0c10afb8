"""Deploy a synthesized CDK cloud assembly into the embedded emulator.

What happens, per stack, in dependency order:

1. every resource type of the template is looked up in ``HANDLING``, the explicit allow-list of
   what local mode does with it; an unknown type stops the deployment with a message naming it
   (fail closed: nothing is silently left out);
2. the stack's file assets are published as ``cdk deploy`` would: each asset folder zipped and
   uploaded to the bucket and key of its ``*.assets.json`` (``cdk-hnb659fds-assets-<account>-<region>``,
   created in the emulator);
3. the resources that moto's CloudFormation silently skips but other resources reference
   (the Cognito user pool, its client and groups) are created first through the service APIs,
   with the template's own properties (password policy, MFA, token validity, groups, ...);
4. the rest of the template goes to moto's CloudFormation, minus the types handled elsewhere;
   references to them are replaced by the values local mode created (pool id, stage name, ...);
5. what CloudFormation skipped and that depends on what it created (bucket, queue and topic
   policies, alarms, the WAF web ACL, its association and logging, the API Gateway account
   setting) is created through the service APIs, its intrinsics resolved against the stack;
6. every KMS key policy is put again (moto's CloudFormation stores it in a form that breaks
   ``DescribeKey``), and ``DescribeKey`` is checked.

The API Gateway parts that moto skips or cannot run (stage, authorizer, models, request
validator, gateway responses, the AWS_PROXY integration) are served by ``localmode.gateway``
from the synthesized template itself.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secure_serverless_checks import cfn_intrinsics
from secure_serverless_checks.cloud_assembly import read_manifest

from .emulator import ACCOUNT_ID, REPO_ROOT, Emulator

__all__ = [
    "HANDLING",
    "Assembly",
    "DeployError",
    "DeployedStack",
    "Handling",
    "StackArtifact",
    "SynthError",
    "UnsupportedResourceError",
    "deploy_assembly",
    "load_assembly",
    "no_op_resources",
    "synthesize",
]

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


# --------------------------------------------------------------------------- synthesis


#: What the CDK CLI adds to an app's context unless its settings say otherwise (aws-cdk's
#: ``contextFromSettings``): construct paths and asset paths in the templates' metadata (local
#: mode names a construct by its ``aws:cdk:path``), the version report, and bundling for every
#: stack. With them, local mode deploys the templates ``cdk synth`` writes, not near copies.
CLI_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}


def synthesize(outdir: Path, *, context: dict[str, Any] | None = None, timeout: float = 300) -> Path:
    """Synthesize the reference app (``app.py``, with cdk-nag) into ``outdir``; no CDK CLI needed.

    The context is what ``cdk synth`` would pass: the CLI's own defaults (``CLI_CONTEXT``), then
    ``cdk.json``'s ``context`` (the feature flags and the app's settings), then
    ``cdk.context.json``, then ``context``. A synthesis that fails
    (a cdk-nag finding, for instance) stops local mode: it never deploys an assembly the kit's
    own checks reject.
    """
    outdir = Path(outdir)
    env = dict(os.environ)
    env["CDK_OUTDIR"] = str(outdir)
    node_bin = REPO_ROOT / "tools" / "node24" / "node_modules" / ".bin"
    if node_bin.is_dir():
        env["PATH"] = os.pathsep.join([str(node_bin), env.get("PATH", "")])
    merged: dict[str, Any] = dict(CLI_CONTEXT)
    for name in ("cdk.json", "cdk.context.json"):
        path = REPO_ROOT / name
        if path.is_file():
            data = json.loads(path.read_text())
            merged.update(data.get("context", {}) if name == "cdk.json" else data)
    merged.update(context or {})
    env["CDK_CONTEXT_JSON"] = json.dumps(merged)
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    result = subprocess.run(  # noqa: S603 - our own interpreter and app
        [sys.executable, str(REPO_ROOT / "app.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0 or not (outdir / "manifest.json").is_file():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise SynthError(f"synthesis of app.py failed (exit {result.returncode}):\n{tail}")
    return outdir


# --------------------------------------------------------------------------- the assembly


@dataclass(frozen=True)
class FileAsset:
    source: Path
    packaging: str  # "zip" (a folder) or "file"
    bucket: str  # with ${AWS::AccountId} / ${AWS::Region} / ${AWS::Partition} placeholders
    key: str


@dataclass(frozen=True)
class StackArtifact:
    name: str
    template_path: Path
    template: dict[str, Any]
    assets: tuple[FileAsset, ...]
    dependencies: tuple[str, ...]

    def asset_for_key(self, key: str) -> FileAsset | None:
        return next((asset for asset in self.assets if asset.key == key), None)


@dataclass(frozen=True)
class Assembly:
    directory: Path
    stacks: tuple[StackArtifact, ...]  # in deployment order

    def stack(self, name: str) -> StackArtifact:
        for stack in self.stacks:
            if stack.name == name:
                return stack
        raise KeyError(name)


def load_assembly(directory: Path) -> Assembly:
    """Read ``manifest.json`` of a cloud assembly: stacks in dependency order, with their file assets."""
    directory = Path(directory)
    stacks: dict[str, StackArtifact] = {}
    for stack in read_manifest(directory):  # the one manifest reader (secure_serverless_checks)
        assets: list[FileAsset] = []
        for asset_manifest_file in stack.asset_manifests:
            asset_manifest = json.loads(asset_manifest_file.read_text())
            if asset_manifest.get("dockerImages"):
                raise UnsupportedResourceError(
                    f"stack {stack.name} has container image assets: local mode runs no Docker images"
                )
            for entry in asset_manifest.get("files", {}).values():
                source = entry["source"]
                for destination in entry["destinations"].values():
                    assets.append(
                        FileAsset(
                            source=stack.directory / source["path"],
                            packaging=source.get("packaging", "file"),
                            bucket=destination["bucketName"],
                            key=destination["objectKey"],
                        )
                    )
        stacks[stack.artifact_id] = StackArtifact(
            stack.artifact_id,
            stack.template_file,
            json.loads(stack.template_file.read_text()),
            tuple(assets),
            stack.dependencies,
        )
    ordered: list[StackArtifact] = []

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in trail:
            raise DeployError(f"stack dependency cycle: {' -> '.join((*trail, name))}")
        if any(stack.name == name for stack in ordered):
            return
        for dependency in stacks[name].dependencies:
            visit(dependency, (*trail, name))
        ordered.append(stacks[name])

    for name in stacks:
        visit(name)
    return Assembly(directory, tuple(ordered))


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


def _zip_folder(folder: Path) -> bytes:
    """Zip a folder's contents as CDK does: relative paths, sorted, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (path.stat().st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _placeholders(text: str, region: str) -> str:
    return (
        text.replace("${AWS::AccountId}", ACCOUNT_ID)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", "aws")
    )


def publish_assets(emulator: Emulator, stack: StackArtifact) -> int:
    """Upload the stack's file assets to their bootstrap bucket in the emulator; returns the count."""
    s3 = emulator.client("s3")
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for asset in stack.assets:
        bucket = _placeholders(asset.bucket, emulator.region)
        if bucket not in existing:
            if emulator.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": emulator.region})
            existing.add(bucket)
        body = _zip_folder(asset.source) if asset.packaging == "zip" else asset.source.read_bytes()
        s3.put_object(Bucket=bucket, Key=_placeholders(asset.key, emulator.region), Body=body)
    return len(stack.assets)


# --------------------------------------------------------------------------- intrinsics


def _references(node: Any) -> Iterator[tuple[str, str | None]]:
    """Every (logical id, attribute or None) that ``node`` references (Ref, GetAtt, Sub)."""
    try:
        yield from cfn_intrinsics.references(node)
    except cfn_intrinsics.IntrinsicError as error:
        raise DeployError(f"malformed intrinsic: {error}") from error


@dataclass
class Values:
    """Known values of Ref and GetAtt, and the pseudo parameters, for resolving intrinsics."""

    region: str
    stack_name: str
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack_name}/local",
            "AWS::NoValue": "",
        }

    def ref(self, name: str) -> str:
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name not in self.refs:
            raise DeployError(f"no value for Ref {name} in stack {self.stack_name}")
        return self.refs[name]

    def attribute(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) not in self.attributes:
            raise DeployError(f"no value for Fn::GetAtt {logical_id}.{attribute} in stack {self.stack_name}")
        return self.attributes[(logical_id, attribute)]

    def resolve(self, node: Any) -> Any:
        """Resolve the intrinsics of ``node``; an intrinsic local mode does not know fails closed."""
        resolver = cfn_intrinsics.ConcreteResolver(ref=self.ref, get_att=self.attribute)
        try:
            return resolver.resolve(node)
        except cfn_intrinsics.IntrinsicError as error:
            raise DeployError(f"local mode cannot resolve an intrinsic of stack {self.stack_name}: {error}") from error


def _replace_references(node: Any, replacements: dict[tuple[str, str | None], Any]) -> Any:
    """Replace Ref/GetAtt of the given targets by literal values (in a copy of ``node``)."""
    try:
        return cfn_intrinsics.replace_references(node, replacements)
    except cfn_intrinsics.IntrinsicError as error:
        raise DeployError(f"malformed intrinsic: {error}") from error


# --------------------------------------------------------------------------- the deployed stack


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


def _without(properties: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if key not in names}


def _generated_name(stack: str, logical_id: str, limit: int = 128) -> str:
    return f"{stack}-{logical_id}"[:limit]


def _create_user_pool(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    cognito = emulator.client("cognito-idp")
    name = props.get("UserPoolName") or _generated_name(stack, logical_id)
    enabled_mfas = props.get("EnabledMfas", [])
    mfa = props.get("MfaConfiguration", "OFF")
    arguments = _without(props, "UserPoolName", "EnabledMfas", "MfaConfiguration")
    pool = cognito.create_user_pool(PoolName=name, **arguments)["UserPool"]
    if mfa != "OFF":
        if enabled_mfas and "SOFTWARE_TOKEN_MFA" not in enabled_mfas:
            raise DeployError(f"{logical_id}: local mode emulates TOTP MFA only (EnabledMfas={enabled_mfas})")
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool["Id"], SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration=mfa
        )
    values.refs[logical_id] = pool["Id"]
    values.attributes[(logical_id, "Arn")] = pool["Arn"]
    values.attributes[(logical_id, "UserPoolId")] = pool["Id"]
    provider = f"cognito-idp.{emulator.region}.amazonaws.com/{pool['Id']}"
    values.attributes[(logical_id, "ProviderName")] = provider
    values.attributes[(logical_id, "ProviderURL")] = f"https://{provider}"
    return str(pool["Id"])


def _create_user_pool_client(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> str:
    cognito = emulator.client("cognito-idp")
    name = props.get("ClientName") or _generated_name(stack, logical_id)
    client = cognito.create_user_pool_client(ClientName=name, **_without(props, "ClientName"))["UserPoolClient"]
    values.refs[logical_id] = client["ClientId"]
    values.attributes[(logical_id, "ClientId")] = client["ClientId"]
    values.attributes[(logical_id, "Name")] = name
    return str(client["ClientId"])


def _create_user_pool_group(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> str:
    cognito = emulator.client("cognito-idp")
    group = cognito.create_group(**props)["Group"]
    values.refs[logical_id] = group["GroupName"]
    return str(group["GroupName"])


_TRANSPORT_KEYS = frozenset({"aws:securetransport", "s3:tlsversion"})


def _without_transport_conditions(document: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The policy minus its Deny statements conditioned on the transport (TLS) alone.

    Local traffic is plain HTTP on loopback by design, and moto evaluates a conditional
    statement as if its condition always held: "deny unless TLS" would deny every object
    request. Every other statement is kept as written.
    """
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    kept = []
    for statement in statements:
        condition_keys = {
            key.lower()
            for operator in statement.get("Condition", {}).values()
            if isinstance(operator, dict)
            for key in operator
        }
        if statement.get("Effect") == "Deny" and condition_keys and condition_keys <= _TRANSPORT_KEYS:
            continue
        kept.append(statement)
    return {**document, "Statement": kept}, len(statements) - len(kept)


def _put_bucket_policy(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> tuple[str, str]:
    policy, dropped = _without_transport_conditions(props["PolicyDocument"])
    note = "S3 API; moto evaluates it on object requests (conditions are treated as always true)"
    if dropped:
        note += f"; {dropped} TLS-only Deny statement(s) left out: local traffic is HTTP on loopback"
    if policy["Statement"]:
        emulator.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
    else:
        note += "; nothing else in it, so no policy is put"
    return str(props["Bucket"]), note


def _put_queue_policy(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    sqs = emulator.client("sqs")
    for url in props["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    return ",".join(props["Queues"])


def _put_topic_policy(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    sns = emulator.client("sns")
    for arn in props["Topics"]:
        sns.set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
        )
    return ",".join(props["Topics"])


def _put_alarm(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    name = props.get("AlarmName") or _generated_name(stack, logical_id, 255)
    emulator.client("cloudwatch").put_metric_alarm(AlarmName=name, **_without(props, "AlarmName"))
    values.refs[logical_id] = name
    values.attributes[(logical_id, "Arn")] = f"arn:aws:cloudwatch:{emulator.region}:{ACCOUNT_ID}:alarm:{name}"
    return str(name)


def _put_dashboard(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    name = props.get("DashboardName") or _generated_name(stack, logical_id, 255)
    emulator.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=props["DashboardBody"])
    values.refs[logical_id] = name
    return str(name)


def _create_web_acl(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    name = props.get("Name") or _generated_name(stack, logical_id)
    summary = emulator.client("wafv2").create_web_acl(Name=name, **_without(props, "Name"))["Summary"]
    values.refs[logical_id] = f"{name}|{summary['Id']}|{props['Scope']}"
    values.attributes[(logical_id, "Arn")] = summary["ARN"]
    values.attributes[(logical_id, "Id")] = summary["Id"]
    return str(summary["ARN"])


def _associate_web_acl(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    emulator.client("wafv2").associate_web_acl(WebACLArn=props["WebACLArn"], ResourceArn=props["ResourceArn"])
    return str(props["ResourceArn"])


def _put_waf_logging(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    emulator.client("wafv2").put_logging_configuration(LoggingConfiguration=props)
    return str(props["ResourceArn"])


def _put_apigateway_account(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> str:
    unknown = set(props) - {"CloudWatchRoleArn"}
    if unknown:
        raise DeployError(f"{logical_id}: AWS::ApiGateway::Account properties {sorted(unknown)} are not mapped")
    emulator.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": props["CloudWatchRoleArn"]}]
    )
    return "account"


_CREATORS: dict[str, Callable[[Emulator, str, str, dict[str, Any], Values], str | tuple[str, str]]] = {
    "AWS::Cognito::UserPool": _create_user_pool,
    "AWS::Cognito::UserPoolClient": _create_user_pool_client,
    "AWS::Cognito::UserPoolGroup": _create_user_pool_group,
    "AWS::S3::BucketPolicy": _put_bucket_policy,
    "AWS::SQS::QueuePolicy": _put_queue_policy,
    "AWS::SNS::TopicPolicy": _put_topic_policy,
    "AWS::CloudWatch::Alarm": _put_alarm,
    "AWS::CloudWatch::Dashboard": _put_dashboard,
    "AWS::WAFv2::WebACL": _create_web_acl,
    "AWS::WAFv2::WebACLAssociation": _associate_web_acl,
    "AWS::WAFv2::LoggingConfiguration": _put_waf_logging,
    "AWS::ApiGateway::Account": _put_apigateway_account,
}


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
        resource = _for_moto(_replace_references(copy.deepcopy(resources[logical_id]), replacements))
        for referenced, attribute_name in _references(resource):
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
        name: _replace_references(copy.deepcopy(output), replacements)
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
                    created = _CREATORS[kind](emulator, stack.name, logical_id, properties, values)
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
            needed.update(ref for ref in _references(resource.get("Properties", {})) if ref[0] in kept)

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

    _reconcile_iam(emulator, stack, values, deployed)
    _put_bucket_cors(emulator, stack, deployed)
    create(_AFTER_CFN)
    _repair_key_policies(emulator, stack, values, deployed)
    lambda_client = emulator.client("lambda")
    configurations = {
        logical_id: lambda_client.get_function_configuration(FunctionName=deployed[logical_id].physical_id)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    return DeployedStack(stack.name, stack, values, deployed, outputs, configurations)


_CORS_RULE_KEYS = {
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
    "Id": "ID",
}


def _put_bucket_cors(emulator: Emulator, stack: StackArtifact, deployed: dict[str, DeployedResource]) -> None:
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


def _reconcile_iam(
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


def _repair_key_policies(
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


def deploy_assembly(emulator: Emulator, assembly: Assembly) -> dict[str, DeployedStack]:
    """Check every resource type, then deploy each stack in dependency order."""
    check_resource_types(assembly)
    return {stack.name: deploy_stack(emulator, stack) for stack in assembly.stacks}
