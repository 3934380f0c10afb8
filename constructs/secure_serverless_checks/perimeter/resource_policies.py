"""Every resource policy of a template that can grant a role reach, in one shape.

A resource policy grants from the resource's side: a key policy, a bucket, queue or topic policy
(and the inline policy types of SQS and SNS), a DynamoDB table's or stream's resource policy, a
Secrets Manager resource policy, an ``AWS::Lambda::Permission``, and the policies of other
services (ECR, EventBridge, CloudWatch Logs, API Gateway, EFS, OpenSearch, Backup...). Each is
returned as a ``ResourcePolicy``: its document (or one statement), and the targets that
``Resource: "*"`` (or no ``Resource``) means in it — the resource itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .intrinsics import Resolver, Token, literal, render
from .targets import STREAM_SUFFIX, Target, on_resource
from .template import TemplateIndex


@dataclass(frozen=True)
class ResourcePolicy:
    """One resource policy: ``document`` (or a single ``statement``), what ``*`` means in it."""

    source: str
    defaults: tuple[Target, ...]
    document: Any = None
    statement: Mapping[str, Any] | None = None
    problem: str = ""


def resource_policies(index: TemplateIndex, resolver: Resolver) -> Iterator[ResourcePolicy]:
    """Every resource policy of the template."""
    for resource_type, reader in _READERS.items():
        for logical_id in index.of_type(resource_type):
            yield from reader(index, resolver, logical_id)


def _self(index: TemplateIndex, logical_id: str, suffix: str = "") -> tuple[Target, ...]:
    return (on_resource(logical_id, suffix, index.name),)


def _holders(
    index: TemplateIndex, resolver: Resolver, value: Any, types: Sequence[str], where: str, suffix: str = ""
) -> tuple[Target, ...]:
    """The resources a policy's ``Bucket``/``Queues``/``Topics``/``SecretId`` property names."""
    holders: list[Target] = []
    for sym in resolver.resolve_list(value, where) if value is not None else []:
        token = sym[0] if len(sym) == 1 and isinstance(sym[0], Token) else None
        if token is not None and token.resource and index.type_of(token.name) in types:
            holders.append(on_resource(token.name, suffix, index.name))
            continue
        found = [
            index.by_physical_name(resource_type, text) for resource_type in types if (text := literal(sym)) is not None
        ]
        named = [logical_id for logical_id in found if logical_id]
        if named:
            holders.append(on_resource(named[0], suffix, index.name))
        else:
            # Not a resource of this template: "*" in the policy names something the analyzer
            # cannot identify, which is reported for whoever the principal is.
            holders.append(Target("unresolved", render(sym)))
    return tuple(dict.fromkeys(holders))


def _key(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
    document = index.properties(logical_id).get("KeyPolicy")
    if document is not None:
        yield ResourcePolicy(f"{logical_id} key policy", _self(index, logical_id), document)


def _holder_policy(
    holder_property: str, types: Sequence[str], label: str, suffix: str = "", document_property: str = "PolicyDocument"
) -> _Reader:
    def read(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
        properties = index.properties(logical_id)
        where = f"{logical_id}.{holder_property}"
        holders = _holders(index, resolver, properties.get(holder_property), types, where, suffix)
        document = properties.get(document_property)
        yield ResourcePolicy(f"{logical_id} {label}", holders, document)

    return read


def _table(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
    properties = index.properties(logical_id)
    yield from _table_policies(index, logical_id, properties, "table")
    replicas = properties.get("Replicas")
    for position, replica in enumerate(replicas if isinstance(replicas, list) else []):
        if isinstance(replica, dict):
            yield from _table_policies(index, logical_id, replica, f"replica {position}")


def _table_policies(
    index: TemplateIndex, logical_id: str, holder: Mapping[str, Any], label: str
) -> Iterator[ResourcePolicy]:
    for container, suffix, name in (
        (holder, "", f"{label} resource policy"),
        (holder.get("StreamSpecification"), STREAM_SUFFIX, f"{label} stream resource policy"),
        (holder.get("ReplicaStreamSpecification"), STREAM_SUFFIX, f"{label} stream resource policy"),
    ):
        policy = container.get("ResourcePolicy") if isinstance(container, dict) else None
        if isinstance(policy, dict) and "PolicyDocument" in policy:
            yield ResourcePolicy(f"{logical_id} {name}", _self(index, logical_id, suffix), policy["PolicyDocument"])
        elif policy is not None:
            yield ResourcePolicy(f"{logical_id} {name}", (), problem=f"{logical_id}: the {name} is not readable")


def _secret_policy(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
    properties = index.properties(logical_id)
    holders = _holders(
        index, resolver, properties.get("SecretId"), ("AWS::SecretsManager::Secret",), f"{logical_id}.SecretId"
    )
    yield ResourcePolicy(f"{logical_id} secret policy", holders, properties.get("ResourcePolicy"))


def _lambda_permission(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
    """A Lambda permission is one Allow statement: ``Principal`` may ``Action`` the function."""
    properties = index.properties(logical_id)
    holders = _holders(
        index, resolver, properties.get("FunctionName"), ("AWS::Lambda::Function",), f"{logical_id}.FunctionName"
    )
    principal = properties.get("Principal")
    text = principal if isinstance(principal, str) else None
    if text == "*":
        shaped: Any = "*"
    elif text is not None and text.endswith(".amazonaws.com"):
        shaped = {"Service": text}
    else:
        shaped = {"AWS": principal}
    statement = {"Effect": "Allow", "Action": properties.get("Action", "lambda:InvokeFunction"), "Principal": shaped}
    yield ResourcePolicy(f"{logical_id} Lambda permission", holders, statement=statement)


def _document_at(*path: str, label: str) -> _Reader:
    """A resource whose own property (at ``path``) is its resource policy."""

    def read(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
        value: Any = index.properties(logical_id)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            yield ResourcePolicy(f"{logical_id} {label}", _self(index, logical_id), value)

    return read


def _layer_permission(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
    """A layer permission is one Allow statement: ``Principal`` (``*``, an account) may get the layer."""
    properties = index.properties(logical_id)
    holders = _holders(
        index,
        resolver,
        properties.get("LayerVersionArn"),
        ("AWS::Lambda::LayerVersion",),
        f"{logical_id}.LayerVersionArn",
    )
    principal = properties.get("Principal")
    statement = {
        "Effect": "Allow",
        "Action": properties.get("Action", "lambda:GetLayerVersion"),
        "Principal": "*" if principal == "*" else {"AWS": principal},
    }
    yield ResourcePolicy(f"{logical_id} layer version permission", holders, statement=statement)


def _event_bus_policy(index: TemplateIndex, resolver: Resolver, logical_id: str) -> Iterator[ResourcePolicy]:
    properties = index.properties(logical_id)
    statement = properties.get("Statement")
    if isinstance(statement, dict):
        yield ResourcePolicy(
            f"{logical_id} event bus policy", (Target("unresolved", "event bus"),), statement=statement
        )
    elif "Principal" in properties:
        statement = {
            "Effect": "Allow",
            "Action": properties.get("Action"),
            "Principal": {"AWS": properties["Principal"]},
        }
        yield ResourcePolicy(
            f"{logical_id} event bus policy", (Target("unresolved", "event bus"),), statement=statement
        )


_Reader = Callable[[TemplateIndex, Resolver, str], Iterator[ResourcePolicy]]

_READERS: Mapping[str, _Reader] = {
    "AWS::KMS::Key": _key,
    "AWS::KMS::ReplicaKey": _key,
    "AWS::S3::BucketPolicy": _holder_policy("Bucket", ("AWS::S3::Bucket",), "bucket policy", "/*"),
    "AWS::SQS::QueuePolicy": _holder_policy("Queues", ("AWS::SQS::Queue",), "queue policy"),
    "AWS::SQS::QueueInlinePolicy": _holder_policy("Queue", ("AWS::SQS::Queue",), "queue inline policy"),
    "AWS::SNS::TopicPolicy": _holder_policy("Topics", ("AWS::SNS::Topic",), "topic policy"),
    "AWS::SNS::TopicInlinePolicy": _holder_policy("TopicArn", ("AWS::SNS::Topic",), "topic inline policy"),
    "AWS::DynamoDB::Table": _table,
    "AWS::DynamoDB::GlobalTable": _table,
    "AWS::SecretsManager::ResourcePolicy": _secret_policy,
    "AWS::Lambda::Permission": _lambda_permission,
    "AWS::ECR::Repository": _document_at("RepositoryPolicyText", label="repository policy"),
    "AWS::ApiGateway::RestApi": _document_at("Policy", label="API resource policy"),
    "AWS::EFS::FileSystem": _document_at("FileSystemPolicy", label="file system policy"),
    "AWS::OpenSearchService::Domain": _document_at("AccessPolicies", label="domain access policy"),
    "AWS::Backup::BackupVault": _document_at("AccessPolicy", label="vault access policy"),
    "AWS::Events::EventBusPolicy": _event_bus_policy,
    "AWS::Logs::ResourcePolicy": _document_at("PolicyDocument", label="logs resource policy"),
    "AWS::S3::AccessPoint": _document_at("Policy", label="access point policy"),
    "AWS::Events::EventBus": _document_at("Policy", label="event bus policy"),
    "AWS::Kinesis::ResourcePolicy": _document_at("ResourcePolicy", label="Kinesis resource policy"),
    # Read since issue 22 (the data-flow model): domains, directory and table buckets, access points.
    # Glacier vaults have no CloudFormation type, so no template can hold a vault policy.
    "AWS::Elasticsearch::Domain": _document_at("AccessPolicies", label="domain access policy"),
    "AWS::S3Express::BucketPolicy": _holder_policy(
        "Bucket", ("AWS::S3Express::DirectoryBucket",), "directory bucket policy"
    ),
    "AWS::S3Tables::TableBucketPolicy": _holder_policy(
        "TableBucketARN", ("AWS::S3Tables::TableBucket",), "table bucket policy", document_property="ResourcePolicy"
    ),
    "AWS::S3Tables::TablePolicy": _holder_policy(
        "TableARN", ("AWS::S3Tables::Table",), "table policy", document_property="ResourcePolicy"
    ),
    "AWS::S3::MultiRegionAccessPointPolicy": _holder_policy(
        "MrapName", ("AWS::S3::MultiRegionAccessPoint",), "multi-region access point policy", document_property="Policy"
    ),
    "AWS::S3ObjectLambda::AccessPointPolicy": _holder_policy(
        "ObjectLambdaAccessPoint", ("AWS::S3ObjectLambda::AccessPoint",), "Object Lambda access point policy"
    ),
    "AWS::S3Outposts::BucketPolicy": _holder_policy("Bucket", ("AWS::S3Outposts::Bucket",), "Outposts bucket policy"),
    "AWS::Lambda::LayerVersionPermission": _layer_permission,
    "AWS::CodeArtifact::Domain": _document_at("PermissionsPolicyDocument", label="domain permissions policy"),
    "AWS::CodeArtifact::Repository": _document_at("PermissionsPolicyDocument", label="repository permissions policy"),
    "AWS::SSM::ResourcePolicy": _holder_policy(
        "ResourceArn", ("AWS::SSM::Parameter",), "SSM resource policy", document_property="Policy"
    ),
}
