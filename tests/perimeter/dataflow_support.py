"""The data-flow tests' helpers: template edits, the leak case type and its registry ``LEAKS``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perimeter_support import BUCKET, FILES_FUNCTION, NOTES_FUNCTION, TemplateBuilder, getatt
from secure_serverless_checks.perimeter import Report

NOTES_DLQ = "NotesDlqBBBB"
FILES_DLQ = "FilesDlq3333"
NOTES_LOGS = "NotesLogsCCCC"
FILES_LOGS = "FilesLogs4444"
REASON = "the reporting service follows these items for its nightly summary"
DATA_FLOW = "P20"


def add(b: TemplateBuilder, logical_id: str, resource_type: str, **properties: Any) -> None:
    b.resources[logical_id] = {"Type": resource_type, "Properties": properties}


def declare(b: TemplateBuilder, function: str, **entry: Any) -> None:
    b.perimeter(function)["reach"].append({"shared": False, **entry})


def share(b: TemplateBuilder, function: str, resource: str, reason: str = REASON) -> None:
    """Mark every entry of ``function`` on ``resource`` shared, with a reason."""
    for entry in b.perimeter(function)["reach"]:
        if entry["resource"] == resource:
            entry["shared"] = True
            entry["share_reason"] = reason


def stream(b: TemplateBuilder, table: str) -> dict[str, Any]:
    b.resources[table]["Properties"]["StreamSpecification"] = {"StreamViewType": "NEW_IMAGE"}
    return getatt(table, "StreamArn")


def role(b: TemplateBuilder, logical_id: str, service: str, *statements: dict[str, Any]) -> dict[str, Any]:
    trust = {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": service}}]}
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": trust}
    if statements:
        properties["Policies"] = [{"PolicyName": "p", "PolicyDocument": {"Statement": list(statements)}}]
    b.resources[logical_id] = {"Type": "AWS::IAM::Role", "Properties": properties}
    return getatt(logical_id)


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def secret(b: TemplateBuilder, logical_id: str, owner: str) -> None:
    add(b, logical_id, "AWS::SecretsManager::Secret", Name=f"{logical_id.lower()}-secret")
    declare(b, owner, kind="secret", resource=logical_id, access="read")


def parameter(b: TemplateBuilder, logical_id: str, owner: str, name: str, value: Any = "x") -> None:
    add(b, logical_id, "AWS::SSM::Parameter", Name=name, Type="String", Value=value)
    declare(b, owner, kind="ssm-parameter", resource=logical_id, access="read")


def mount(b: TemplateBuilder, function: str, access_point: str) -> None:
    b.resources[function]["Properties"]["FileSystemConfigs"] = [
        {"Arn": getatt(access_point), "LocalMountPath": "/mnt/data"}
    ]


def access_point(b: TemplateBuilder, logical_id: str, path: str | None) -> None:
    properties: dict[str, Any] = {"FileSystemId": {"Ref": "FileSystem"}}
    if path is not None:
        properties["RootDirectory"] = {"Path": path}
    add(b, logical_id, "AWS::EFS::AccessPoint", **properties)


@dataclass(frozen=True)
class Leak:
    """A path carrying ``source`` (one service's data) to ``receiver`` (the other service)."""

    id: str
    klass: str
    build: Callable[[TemplateBuilder], None]
    receiver: str
    source: str
    steps: tuple[str, ...]


LEAKS: list[Leak] = []


def leak(klass: str, id: str, receiver: str, source: str, *steps: str) -> Any:
    def register(build: Callable[[TemplateBuilder], None]) -> Callable[[TemplateBuilder], None]:
        LEAKS.append(Leak(f"{klass}:{id}", klass, build, receiver, source, steps))
        return build

    return register


def _bucket(b: TemplateBuilder) -> dict[str, Any]:
    properties: dict[str, Any] = b.resources[BUCKET]["Properties"]
    return properties


def _bucket_deployment(b: TemplateBuilder, source_bucket: Any, key: str, prefix: str) -> None:
    """CDK's Custom::CDKBucketDeployment as BucketDeployment writes it, and its handler (a declared helper that
    reaches nothing here: the data-flow edge is the deployment itself)."""
    add(b, "Deployer", "AWS::Lambda::Function", Role=role(b, "DeployerRole", "lambda.amazonaws.com"))
    b.resources["Deployer"]["Metadata"] = {
        "SecureServerless::Perimeter": {"version": 2, "role": "DeployerRole", "reach": [], "wildcards": []}
    }
    add(
        b,
        "Deploy",
        "Custom::CDKBucketDeployment",
        ServiceToken=getatt("Deployer"),
        SourceBucketNames=[source_bucket],
        SourceObjectKeys=[key],
        DestinationBucketName={"Ref": BUCKET},
        DestinationBucketKeyPrefix=prefix,
        Prune=True,
    )


def _efs(b: TemplateBuilder, notes_path: str | None, files_path: str | None) -> None:
    add(b, "FileSystem", "AWS::EFS::FileSystem", Encrypted=True)
    access_point(b, "NotesAccessPoint", notes_path)
    access_point(b, "FilesAccessPoint", files_path)
    mount(b, NOTES_FUNCTION, "NotesAccessPoint")
    mount(b, FILES_FUNCTION, "FilesAccessPoint")


def _flows(report: Report) -> list[Any]:
    return [v for v in report.violations if v.rule.code == DATA_FLOW]
