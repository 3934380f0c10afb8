"""The data-flow model: every way one service's data can reach another service's principal.

Each leak case moves data of one kit service (Notes or Files of the compliant fixture) to the
other by a path that is not an identity policy: a pipe, a log subscription, replication, an
inventory export, a state machine, a subscription, a redrive, an event source mapping, a code
package, a table import, a dynamic reference, overlapping EFS access points, a bucket ACL. Each
must be refused (P20) with a message naming the path ("A's <data> -> <edge> -> ... -> B's
<principal>") and the fix. Declared variants (both sides declare the data shared, with a reason)
pass. Resource-policy types the analyzer did not read, and types the model does not know, fail
closed. Three legitimate patterns are accepted. Pure Python: the whole file runs in about a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_KEY,
    FILES_POLICY,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
    join,
)
from secure_serverless_checks.perimeter import Report, analyze

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


# == EventBridge Pipes ==========================================================================


@leak("pipe", "table stream into a function", FILES_FUNCTION, NOTES_TABLE, "Pipe", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Pipe",
        "AWS::Pipes::Pipe",
        RoleArn=role(b, "PipeRole", "pipes.amazonaws.com"),
        Source=stream(b, NOTES_TABLE),
        Target=getatt(FILES_FUNCTION),
    )


@leak("pipe", "queue into the other service's queue", FILES_FUNCTION, NOTES_DLQ, "Pipe", FILES_DLQ)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Pipe",
        "AWS::Pipes::Pipe",
        RoleArn=role(b, "PipeRole", "pipes.amazonaws.com"),
        Source=getatt(NOTES_DLQ),
        Target=getatt(FILES_DLQ),
    )


@leak("pipe", "table stream enriched by a function", FILES_FUNCTION, NOTES_TABLE, "Pipe", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    add(b, "Sink", "AWS::SQS::Queue")
    add(
        b,
        "Pipe",
        "AWS::Pipes::Pipe",
        RoleArn=role(b, "PipeRole", "pipes.amazonaws.com"),
        Source=stream(b, NOTES_TABLE),
        Enrichment=getatt(FILES_FUNCTION),
        Target=getatt("Sink"),
    )


# == CloudWatch Logs subscription filters ======================================================


@leak("log-subscription", "log group into a function", FILES_FUNCTION, NOTES_LOGS, "Filter", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Filter",
        "AWS::Logs::SubscriptionFilter",
        LogGroupName={"Ref": NOTES_LOGS},
        FilterPattern="",
        DestinationArn=getatt(FILES_FUNCTION),
    )


@leak(
    "log-subscription",
    "log group into Kinesis, read by a function",
    FILES_FUNCTION,
    NOTES_LOGS,
    "Filter",
    "Stream",
    "Mapping",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    add(b, "Stream", "AWS::Kinesis::Stream", ShardCount=1)
    add(
        b,
        "Filter",
        "AWS::Logs::SubscriptionFilter",
        LogGroupName={"Ref": NOTES_LOGS},
        FilterPattern="",
        DestinationArn=getatt("Stream"),
        RoleArn=role(b, "LogsRole", "logs.amazonaws.com"),
    )
    add(
        b,
        "Mapping",
        "AWS::Lambda::EventSourceMapping",
        EventSourceArn=getatt("Stream"),
        FunctionName={"Ref": FILES_FUNCTION},
        StartingPosition="LATEST",
    )


@leak(
    "log-subscription",
    "log group into Firehose, delivered under the other prefix",
    FILES_FUNCTION,
    NOTES_LOGS,
    "Filter",
    "Delivery",
    BUCKET,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Delivery",
        "AWS::KinesisFirehose::DeliveryStream",
        ExtendedS3DestinationConfiguration={
            "BucketARN": getatt(BUCKET),
            "Prefix": "files/logs/",
            "RoleARN": role(b, "FirehoseRole", "firehose.amazonaws.com"),
        },
    )
    add(
        b,
        "Filter",
        "AWS::Logs::SubscriptionFilter",
        LogGroupName="notes-logs",
        FilterPattern="",
        DestinationArn=getatt("Delivery"),
    )
    b.resources[NOTES_LOGS]["Properties"]["LogGroupName"] = "notes-logs"


# == S3 replication, inventory, analytics export, access logs, notifications ===================


def _bucket(b: TemplateBuilder) -> dict[str, Any]:
    properties: dict[str, Any] = b.resources[BUCKET]["Properties"]
    return properties


@leak(
    "s3-copy",
    "replication of one prefix into a bucket the other reads",
    NOTES_FUNCTION,
    f"{BUCKET}/files/",
    "replication",
    "Mirror",
)
def _(b: TemplateBuilder) -> None:
    add(b, "Mirror", "AWS::S3::Bucket")
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource="Mirror", access="read", prefix="files/")
    _bucket(b)["ReplicationConfiguration"] = {
        "Role": role(b, "ReplicationRole", "s3.amazonaws.com"),
        "Rules": [{"Status": "Enabled", "Filter": {"Prefix": "files/"}, "Destination": {"Bucket": getatt("Mirror")}}],
    }


@leak("s3-copy", "replication of the whole bucket (no filter)", NOTES_FUNCTION, BUCKET, "replication", "Mirror")
def _(b: TemplateBuilder) -> None:
    add(b, "Mirror", "AWS::S3::Bucket", BucketName="mirror-bucket")
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource="Mirror", access="read", prefix="files/")
    _bucket(b)["ReplicationConfiguration"] = {
        "Role": role(b, "ReplicationRole", "s3.amazonaws.com"),
        "Rules": [{"Status": "Enabled", "Prefix": "", "Destination": {"Bucket": "arn:aws:s3:::mirror-bucket"}}],
    }


@leak(
    "s3-copy",
    "inventory of a prefix written under the other prefix",
    NOTES_FUNCTION,
    f"{BUCKET}/files/",
    "inventory",
    BUCKET,
)
def _(b: TemplateBuilder) -> None:
    _bucket(b)["InventoryConfigurations"] = [
        {
            "Id": "inv",
            "Enabled": True,
            "IncludedObjectVersions": "Current",
            "ScheduleFrequency": "Daily",
            "Prefix": "files/",
            "Destination": {"BucketArn": getatt(BUCKET), "Format": "CSV", "Prefix": "attachments/"},
        }
    ]


@leak("s3-copy", "analytics export under the other prefix", NOTES_FUNCTION, f"{BUCKET}/files/", "analytics", BUCKET)
def _(b: TemplateBuilder) -> None:
    _bucket(b)["AnalyticsConfigurations"] = [
        {
            "Id": "a",
            "Prefix": "files/",
            "StorageClassAnalysis": {
                "DataExport": {
                    "OutputSchemaVersion": "V_1",
                    "Destination": {"BucketArn": getatt(BUCKET), "Format": "CSV", "Prefix": "attachments/"},
                }
            },
        }
    ]


@leak("s3-copy", "server access logs into a bucket the other reads", NOTES_FUNCTION, BUCKET, "access logs", "LogBucket")
def _(b: TemplateBuilder) -> None:
    add(b, "LogBucket", "AWS::S3::Bucket")
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource="LogBucket", access="read", prefix="")
    _bucket(b)["LoggingConfiguration"] = {"DestinationBucketName": {"Ref": "LogBucket"}}


@leak(
    "s3-copy",
    "event notification of one prefix to the other function",
    NOTES_FUNCTION,
    f"{BUCKET}/files/",
    "notification",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    _bucket(b)["NotificationConfiguration"] = {
        "LambdaConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Function": getatt(NOTES_FUNCTION),
                "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "files/"}]}},
            }
        ]
    }


@leak(
    "s3-copy",
    "CDK's notifications custom resource to the other function",
    NOTES_FUNCTION,
    BUCKET,
    "Notifications",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Handler",
        "AWS::Lambda::Function",
        Role=role(b, "HandlerRole", "lambda.amazonaws.com"),
        Runtime="python3.13",
        Handler="index.handler",
        Code={"ZipFile": "x"},
    )
    add(
        b,
        "Notifications",
        "Custom::S3BucketNotifications",
        ServiceToken=getatt("Handler"),
        BucketName={"Ref": BUCKET},
        Managed=True,
        NotificationConfiguration={
            "LambdaConfigurations": [{"Events": ["s3:ObjectCreated:*"], "LambdaFunctionArn": getatt(NOTES_FUNCTION)}]
        },
    )


# == EventBridge and custom resources (CDK's helpers) ==========================================


@leak(
    "eventbridge",
    "bucket events on the default bus, a rule targets the other function",
    NOTES_FUNCTION,
    BUCKET,
    "default event bus",
    "Rule",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    _bucket(b)["NotificationConfiguration"] = {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    add(
        b,
        "Rule",
        "AWS::Events::Rule",
        EventPattern={"source": ["aws.s3"]},
        Targets=[{"Id": "t", "Arn": getatt(NOTES_FUNCTION)}],
    )


@leak(
    "eventbridge",
    "a pipe puts queue messages on the default bus (by ARN), a rule targets the other",
    FILES_FUNCTION,
    NOTES_DLQ,
    "Forward",
    "default event bus",
    "Rule",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Forward",
        "AWS::Pipes::Pipe",
        RoleArn=role(b, "PipeRole", "pipes.amazonaws.com"),
        Source=getatt(NOTES_DLQ),
        Target={"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"},
    )
    add(
        b,
        "Rule",
        "AWS::Events::Rule",
        EventPattern={"source": ["notes"]},
        Targets=[{"Id": "t", "Arn": getatt(FILES_FUNCTION)}],
    )


@leak(
    "eventbridge",
    "events forwarded to a bus, a rule's dead-letter queue is the other's",
    FILES_FUNCTION,
    NOTES_DLQ,
    "Forward",
    "NotesBus",
    "Rule",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    add(b, "NotesBus", "AWS::Events::EventBus", Name="notes")
    add(
        b,
        "Forward",
        "AWS::Pipes::Pipe",
        RoleArn=role(b, "PipeRole", "pipes.amazonaws.com"),
        Source=getatt(NOTES_DLQ),
        Target=getatt("NotesBus"),
    )
    add(
        b,
        "Rule",
        "AWS::Events::Rule",
        EventBusName={"Ref": "NotesBus"},
        EventPattern={"source": ["notes"]},
        Targets=[{"Id": "t", "Arn": getatt(NOTES_FUNCTION), "DeadLetterConfig": {"Arn": getatt(FILES_DLQ)}}],
    )


@leak(
    "custom-resource",
    "a helper function reads one service's parameter into the other's environment",
    NOTES_FUNCTION,
    "FilesParameter",
    "Helper",
    "Reader",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    parameter(b, "FilesParameter", FILES_FUNCTION, "/files/config")
    helper_role = role(
        b,
        "HelperRole",
        "lambda.amazonaws.com",
        allow(
            "ssm:GetParameter",
            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/files/config"},
        ),
    )
    add(
        b,
        "Helper",
        "AWS::Lambda::Function",
        Role=helper_role,
        Runtime="nodejs22.x",
        Handler="index.handler",
        Code={"ZipFile": "x"},
    )
    add(b, "Reader", "Custom::AWS", ServiceToken=getatt("Helper"), Create="{}")
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["CONFIG"] = getatt(
        "Reader", "Parameter.Value"
    )


# == Step Functions ===========================================================================


@leak(
    "state-machine",
    "its role reads one table and invokes the other function",
    FILES_FUNCTION,
    NOTES_TABLE,
    "Machine",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    machine_role = role(
        b,
        "MachineRole",
        "states.amazonaws.com",
        allow("dynamodb:GetItem", getatt(NOTES_TABLE)),
        allow("lambda:InvokeFunction", getatt(FILES_FUNCTION)),
    )
    add(b, "Machine", "AWS::StepFunctions::StateMachine", RoleArn=machine_role, DefinitionString="{}")


@leak(
    "state-machine",
    "its definition reads one table and hands the item to the other",
    FILES_FUNCTION,
    NOTES_TABLE,
    "Machine",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    definition = join(
        '{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem",'
        '"Parameters":{"TableName":"',
        {"Ref": NOTES_TABLE},
        '"},"Next":"Hand"},"Hand":{"Type":"Task",'
        '"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"',
        getatt(FILES_FUNCTION),
        '"},"End":true}}}',
    )
    add(
        b,
        "Machine",
        "AWS::StepFunctions::StateMachine",
        RoleArn=role(b, "MachineRole", "states.amazonaws.com"),
        DefinitionString=definition,
    )


@leak(
    "state-machine",
    "its role reads every log group's events and invokes the other function",
    FILES_FUNCTION,
    NOTES_LOGS,
    "Machine",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    machine_role = role(
        b,
        "MachineRole",
        "states.amazonaws.com",
        allow("logs:GetLogEvents", "*"),
        allow("lambda:InvokeFunction", getatt(FILES_FUNCTION)),
    )
    add(b, "Machine", "AWS::StepFunctions::StateMachine", RoleArn=machine_role, DefinitionString="{}")


# == SNS subscriptions and SQS redrive ========================================================


def _topic(b: TemplateBuilder) -> None:
    add(b, "NotesTopic", "AWS::SNS::Topic")
    declare(b, NOTES_FUNCTION, kind="sns-topic", resource="NotesTopic", access="publish")


@leak(
    "subscription-redrive",
    "topic subscribed by the other service's queue",
    FILES_FUNCTION,
    "NotesTopic",
    "Subscription",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    _topic(b)
    add(
        b,
        "Subscription",
        "AWS::SNS::Subscription",
        TopicArn={"Ref": "NotesTopic"},
        Protocol="sqs",
        Endpoint=getatt(FILES_DLQ),
    )


@leak(
    "subscription-redrive",
    "topic subscribed by the other function",
    FILES_FUNCTION,
    "NotesTopic",
    "Subscription",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    _topic(b)
    add(
        b,
        "Subscription",
        "AWS::SNS::Subscription",
        TopicArn={"Ref": "NotesTopic"},
        Protocol="lambda",
        Endpoint=getatt(FILES_FUNCTION),
    )


@leak(
    "subscription-redrive",
    "inline Subscription of the topic",
    FILES_FUNCTION,
    "NotesTopic",
    "NotesTopic",
    FILES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    _topic(b)
    b.resources["NotesTopic"]["Properties"]["Subscription"] = [
        {"Protocol": "lambda", "Endpoint": getatt(FILES_FUNCTION)}
    ]


@leak(
    "subscription-redrive",
    "subscription dead-letter queue of the other service",
    FILES_FUNCTION,
    "NotesTopic",
    "Subscription",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    _topic(b)
    add(b, "Sink", "AWS::SQS::Queue")
    add(
        b,
        "Subscription",
        "AWS::SNS::Subscription",
        TopicArn={"Ref": "NotesTopic"},
        Protocol="sqs",
        Endpoint=getatt("Sink"),
        RedrivePolicy={"deadLetterTargetArn": getatt(FILES_DLQ)},
    )


@leak(
    "subscription-redrive",
    "queue redrive into the other service's queue",
    FILES_FUNCTION,
    NOTES_DLQ,
    "redrive",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_DLQ]["Properties"]["RedrivePolicy"] = {
        "deadLetterTargetArn": getatt(FILES_DLQ),
        "maxReceiveCount": 3,
    }


# == Lambda event source mappings and destinations ===========================================


@leak(
    "event-source", "table stream mapped to the other function", FILES_FUNCTION, NOTES_TABLE, "Mapping", FILES_FUNCTION
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Mapping",
        "AWS::Lambda::EventSourceMapping",
        EventSourceArn=stream(b, NOTES_TABLE),
        FunctionName={"Ref": FILES_FUNCTION},
        StartingPosition="LATEST",
    )


@leak(
    "event-source", "queue mapped to the other function by name", FILES_FUNCTION, NOTES_DLQ, "Mapping", FILES_FUNCTION
)
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_FUNCTION]["Properties"]["FunctionName"] = "files-fn"
    add(b, "Mapping", "AWS::Lambda::EventSourceMapping", EventSourceArn=getatt(NOTES_DLQ), FunctionName="files-fn")


@leak(
    "event-source",
    "failed stream records sent to the other service's queue",
    NOTES_FUNCTION,
    FILES_TABLE,
    "Mapping",
    NOTES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Mapping",
        "AWS::Lambda::EventSourceMapping",
        EventSourceArn=stream(b, FILES_TABLE),
        FunctionName={"Ref": FILES_FUNCTION},
        StartingPosition="LATEST",
        DestinationConfig={"OnFailure": {"Destination": getatt(NOTES_DLQ)}},
    )


@leak(
    "event-source",
    "asynchronous invocation results sent to the other service",
    FILES_FUNCTION,
    NOTES_FUNCTION,
    "InvokeConfig",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "InvokeConfig",
        "AWS::Lambda::EventInvokeConfig",
        FunctionName={"Ref": NOTES_FUNCTION},
        Qualifier="$LATEST",
        DestinationConfig={"OnSuccess": {"Destination": getatt(FILES_DLQ)}},
    )


# == deploy-time sources: code, layers, table imports =========================================


@leak(
    "deploy-source",
    "code package under the other service's prefix",
    NOTES_FUNCTION,
    f"{BUCKET}/files/code.zip",
    "code",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {"S3Bucket": {"Ref": BUCKET}, "S3Key": "files/code.zip"}


@leak(
    "deploy-source",
    "layer content under the other service's prefix",
    NOTES_FUNCTION,
    f"{BUCKET}/files/layer.zip",
    "Layer",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    add(b, "Layer", "AWS::Lambda::LayerVersion", Content={"S3Bucket": {"Ref": BUCKET}, "S3Key": "files/layer.zip"})
    b.resources[NOTES_FUNCTION]["Properties"]["Layers"] = [{"Ref": "Layer"}]


@leak(
    "deploy-source",
    "table imported from the other service's prefix",
    NOTES_FUNCTION,
    f"{BUCKET}/files/export/",
    "import",
    NOTES_TABLE,
)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_TABLE]["Properties"]["ImportSourceSpecification"] = {
        "InputFormat": "DYNAMODB_JSON",
        "S3BucketSource": {"S3Bucket": {"Ref": BUCKET}, "S3KeyPrefix": "files/export/"},
    }


# == dynamic references and values resolved into another service ============================


@leak(
    "dynamic-reference",
    "secret set from the other service's secret",
    NOTES_FUNCTION,
    "FilesSecret",
    "resolve:secretsmanager",
    "NotesSecret",
)
def _(b: TemplateBuilder) -> None:
    secret(b, "FilesSecret", FILES_FUNCTION)
    secret(b, "NotesSecret", NOTES_FUNCTION)
    b.resources["NotesSecret"]["Properties"]["SecretString"] = join(
        "{{resolve:secretsmanager:", {"Ref": "FilesSecret"}, ":SecretString:password}}"
    )


@leak(
    "dynamic-reference",
    "SSM parameter set from the other service's secret",
    NOTES_FUNCTION,
    "FilesSecret",
    "resolve:secretsmanager",
    "NotesParameter",
)
def _(b: TemplateBuilder) -> None:
    secret(b, "FilesSecret", FILES_FUNCTION)
    parameter(
        b,
        "NotesParameter",
        NOTES_FUNCTION,
        "/notes/copy",
        {"Fn::Sub": "{{resolve:secretsmanager:${FilesSecret}:SecretString}}"},
    )


@leak(
    "dynamic-reference",
    "SSM parameter set from the other service's parameter",
    NOTES_FUNCTION,
    "FilesParameter",
    "resolve:ssm",
    "NotesParameter",
)
def _(b: TemplateBuilder) -> None:
    parameter(b, "FilesParameter", FILES_FUNCTION, "/files/config")
    parameter(b, "NotesParameter", NOTES_FUNCTION, "/notes/config", "{{resolve:ssm:/files/config}}")


@leak(
    "dynamic-reference",
    "the other service's secret resolved into the environment",
    NOTES_FUNCTION,
    "FilesSecret",
    "resolve:secretsmanager",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    secret(b, "FilesSecret", FILES_FUNCTION)
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["TOKEN"] = {
        "Fn::Sub": "{{resolve:secretsmanager:filessecret-secret:SecretString:token}}"
    }


@leak(
    "dynamic-reference",
    "the other service's secret resolved into inline code",
    NOTES_FUNCTION,
    "FilesSecret",
    "resolve:secretsmanager",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    secret(b, "FilesSecret", FILES_FUNCTION)
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {
        "ZipFile": join("TOKEN = '{{resolve:secretsmanager:", {"Ref": "FilesSecret"}, "}}'\n")
    }


@leak(
    "dynamic-reference",
    "the other service's parameter value (Fn::GetAtt Value) in the environment",
    NOTES_FUNCTION,
    "FilesParameter",
    "Value",
    NOTES_FUNCTION,
)
def _(b: TemplateBuilder) -> None:
    parameter(b, "FilesParameter", FILES_FUNCTION, "/files/config")
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["CONFIG"] = getatt("FilesParameter", "Value")


# == EFS access points whose roots overlap =====================================================


def _efs(b: TemplateBuilder, notes_path: str | None, files_path: str | None) -> None:
    add(b, "FileSystem", "AWS::EFS::FileSystem", Encrypted=True)
    access_point(b, "NotesAccessPoint", notes_path)
    access_point(b, "FilesAccessPoint", files_path)
    mount(b, NOTES_FUNCTION, "NotesAccessPoint")
    mount(b, FILES_FUNCTION, "FilesAccessPoint")


@leak(
    "efs",
    "one access point is the root of the other",
    NOTES_FUNCTION,
    "FilesAccessPoint",
    "FileSystem",
    "NotesAccessPoint",
)
def _(b: TemplateBuilder) -> None:
    _efs(b, "/data", "/data/files")


@leak(
    "efs",
    "an access point without RootDirectory is the file system's root",
    FILES_FUNCTION,
    "NotesAccessPoint",
    "FileSystem",
    "FilesAccessPoint",
)
def _(b: TemplateBuilder) -> None:
    _efs(b, "/notes", None)


# == bucket ACLs ============================================================================


for _acl in ("AuthenticatedRead", "PublicRead", "PublicReadWrite", "AwsExecRead"):

    def _apply(b: TemplateBuilder, acl: str = _acl) -> None:
        _bucket(b)["AccessControl"] = acl

    LEAKS.append(Leak(f"acl:{_acl}", "acl", _apply, FILES_FUNCTION, BUCKET, (f"AccessControl {_acl}",)))


# -- the leaks -------------------------------------------------------------------------------


def _flows(report: Report) -> list[Any]:
    return [v for v in report.violations if v.rule.code == DATA_FLOW]


@pytest.mark.parametrize("case", LEAKS, ids=[case.id for case in LEAKS])
def test_an_undeclared_data_path_is_refused_naming_the_path_and_the_fix(case: Leak) -> None:
    builder = TemplateBuilder()
    case.build(builder)

    report = builder.analyze()

    found = [v for v in _flows(report) if v.function == case.receiver and v.resource == case.source]
    assert found, report.to_text()
    message = found[0].message
    assert " -> " in message and "'s " in message, message
    position = 0
    for step in case.steps:  # the path names each step, in order
        position = message.find(step, position)
        assert position >= 0, f"{step!r} missing (in order) from: {message}"
    assert "share_reason" in message or "own" in message, message  # the fix


def test_every_class_of_the_issue_has_cases() -> None:
    assert {case.klass for case in LEAKS} >= {
        "pipe",
        "log-subscription",
        "s3-copy",
        "state-machine",
        "subscription-redrive",
        "event-source",
        "deploy-source",
        "dynamic-reference",
        "efs",
        "acl",
        "eventbridge",
        "custom-resource",
    }


# -- declared flows pass ---------------------------------------------------------------------


def _declare_notes_table_stream_for_files(b: TemplateBuilder) -> None:
    share(b, NOTES_FUNCTION, NOTES_TABLE)
    declare(
        b,
        FILES_FUNCTION,
        kind="dynamodb-table",
        resource=NOTES_TABLE,
        access="stream-read",
        shared=True,
        share_reason=REASON,
    )


DECLARED: dict[str, Callable[[TemplateBuilder], None]] = {}


def declared(name: str) -> Any:
    def register(build: Callable[[TemplateBuilder], None]) -> Callable[[TemplateBuilder], None]:
        DECLARED[name] = build
        return build

    return register


@declared("stream mapping declared on both sides")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "event-source:table stream mapped to the other function").build(b)
    _declare_notes_table_stream_for_files(b)


@declared("pipe declared on both sides")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "pipe:table stream into a function").build(b)
    _declare_notes_table_stream_for_files(b)


@declared("topic fan-out to the other queue declared on both sides")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "subscription-redrive:topic subscribed by the other service's queue").build(b)
    share(b, NOTES_FUNCTION, "NotesTopic")
    declare(
        b, FILES_FUNCTION, kind="sns-topic", resource="NotesTopic", access="publish", shared=True, share_reason=REASON
    )


@declared("log subscription declared on both sides")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "log-subscription:log group into a function").build(b)
    share(b, NOTES_FUNCTION, NOTES_LOGS)
    declare(b, FILES_FUNCTION, kind="log-group", resource=NOTES_LOGS, access="write", shared=True, share_reason=REASON)


@declared("inventory into the other prefix declared on both sides")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "s3-copy:inventory of a prefix written under the other prefix").build(b)
    share(b, FILES_FUNCTION, BUCKET)
    share(b, NOTES_FUNCTION, BUCKET)


@declared("a service's own stream, queue and log group")
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Mapping",
        "AWS::Lambda::EventSourceMapping",
        EventSourceArn=stream(b, NOTES_TABLE),
        FunctionName={"Ref": NOTES_FUNCTION},
        StartingPosition="LATEST",
    )
    add(
        b,
        "Filter",
        "AWS::Logs::SubscriptionFilter",
        LogGroupName={"Ref": FILES_LOGS},
        FilterPattern="",
        DestinationArn=getatt(FILES_FUNCTION),
    )
    b.resources[NOTES_DLQ]["Properties"]["RedrivePolicy"] = {"deadLetterTargetArn": getatt(NOTES_DLQ)}


@declared("a backup of a service's table into a vault")
def _(b: TemplateBuilder) -> None:
    add(b, "Vault", "AWS::Backup::BackupVault", BackupVaultName="vault")
    add(
        b,
        "Plan",
        "AWS::Backup::BackupPlan",
        BackupPlan={
            "BackupPlanName": "p",
            "BackupPlanRule": [{"RuleName": "daily", "TargetBackupVault": {"Ref": "Vault"}}],
        },
    )
    add(
        b,
        "Selection",
        "AWS::Backup::BackupSelection",
        BackupPlanId={"Ref": "Plan"},
        BackupSelection={
            "SelectionName": "s",
            "IamRoleArn": role(b, "BackupRole", "backup.amazonaws.com"),
            "Resources": [getatt(FILES_TABLE)],
        },
    )


@declared("invocation results sent to a service that declares the function shared")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "event-source:asynchronous invocation results sent to the other service").build(b)
    declare(
        b,
        FILES_FUNCTION,
        kind="lambda-function",
        resource=NOTES_FUNCTION,
        access="invoke",
        shared=True,
        share_reason=REASON,
    )


@declared("a state machine handing items to a service that declares the table shared")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id.startswith("state-machine:its role reads")).build(b)
    share(b, NOTES_FUNCTION, NOTES_TABLE)
    declare(
        b, FILES_FUNCTION, kind="dynamodb-table", resource=NOTES_TABLE, access="read", shared=True, share_reason=REASON
    )


@declared("a state machine with CDK's log-delivery permissions on '*' that invokes one function")
def _(b: TemplateBuilder) -> None:
    # What CDK grants every state machine with logging: it configures delivery, it reads no events.
    delivery = [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ]
    machine_role = role(
        b,
        "MachineRole",
        "states.amazonaws.com",
        allow(delivery, "*"),
        allow("lambda:InvokeFunction", getatt(FILES_FUNCTION)),
    )
    add(b, "Machine", "AWS::StepFunctions::StateMachine", RoleArn=machine_role, DefinitionString="{}")


@declared("a secret set from a secret both services declare shared")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id == "dynamic-reference:secret set from the other service's secret").build(b)
    share(b, FILES_FUNCTION, "FilesSecret")
    declare(b, NOTES_FUNCTION, kind="secret", resource="FilesSecret", access="read", shared=True, share_reason=REASON)


@declared("access points on disjoint paths")
def _(b: TemplateBuilder) -> None:
    _efs(b, "/data/notes", "/data/notes-archive")


@declared("a private bucket ACL and log delivery")
def _(b: TemplateBuilder) -> None:
    _bucket(b)["AccessControl"] = "Private"
    add(b, "LogBucket", "AWS::S3::Bucket", AccessControl="LogDeliveryWrite")


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_a_declared_flow_passes(name: str) -> None:
    builder = TemplateBuilder()
    DECLARED[name](builder)

    report = builder.analyze()

    assert report.violations == (), report.to_text()


def test_a_flow_declared_on_one_side_only_is_still_refused() -> None:
    builder = TemplateBuilder()
    DECLARED["stream mapping declared on both sides"](builder)
    builder.reach(NOTES_FUNCTION, NOTES_TABLE)["shared"] = False  # the owner no longer agrees

    found = [v for v in _flows(builder.analyze()) if v.function == FILES_FUNCTION]

    assert found and NOTES_FUNCTION in found[0].message


def test_a_flow_declared_without_a_reason_is_still_refused() -> None:
    builder = TemplateBuilder()
    DECLARED["stream mapping declared on both sides"](builder)
    builder.reach(FILES_FUNCTION, NOTES_TABLE)["share_reason"] = ""

    assert [v for v in _flows(builder.analyze()) if v.function == FILES_FUNCTION]


def test_a_two_step_path_needs_every_step_declared() -> None:
    """Notes' stream -> Files' queue (declared) -> a mapping into a third function (not declared)."""
    builder = TemplateBuilder()
    next(c for c in LEAKS if c.id == "pipe:queue into the other service's queue").build(builder)
    share(builder, NOTES_FUNCTION, NOTES_DLQ)
    declare(
        builder,
        FILES_FUNCTION,
        kind="sqs-queue",
        resource=NOTES_DLQ,
        access="consume",
        shared=True,
        share_reason=REASON,
    )
    share(builder, FILES_FUNCTION, FILES_DLQ)
    add(
        builder,
        "Mapping",
        "AWS::Lambda::EventSourceMapping",
        EventSourceArn=getatt(FILES_DLQ),
        FunctionName={"Ref": NOTES_FUNCTION},
    )

    found = [v for v in _flows(builder.analyze()) if v.function == NOTES_FUNCTION]

    assert found and found[0].resource == FILES_DLQ, [v.to_line() for v in _flows(builder.analyze())]


# -- fail closed: resource policies not read before, types the model does not know -----------


def _grant_to_notes(action: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": getatt(NOTES_ROLE)}, "Action": action, "Resource": "*"}


RESOURCE_POLICIES: dict[str, Callable[[TemplateBuilder], None]] = {
    "AWS::Elasticsearch::Domain AccessPolicies": lambda b: add(
        b, "Search", "AWS::Elasticsearch::Domain", AccessPolicies={"Statement": [_grant_to_notes("es:ESHttpGet")]}
    ),
    "AWS::S3Express::BucketPolicy": lambda b: (
        add(
            b,
            "Directory",
            "AWS::S3Express::DirectoryBucket",
            DataRedundancy="SingleAvailabilityZone",
            LocationName="use1-az4",
        ),
        add(
            b,
            "DirectoryPolicy",
            "AWS::S3Express::BucketPolicy",
            Bucket={"Ref": "Directory"},
            PolicyDocument={"Statement": [_grant_to_notes("s3express:CreateSession")]},
        ),
    ),
    "AWS::S3Tables::TableBucketPolicy": lambda b: (
        add(b, "Tables", "AWS::S3Tables::TableBucket", TableBucketName="tables"),
        add(
            b,
            "TablesPolicy",
            "AWS::S3Tables::TableBucketPolicy",
            TableBucketARN=getatt("Tables", "TableBucketARN"),
            ResourcePolicy={"Statement": [_grant_to_notes("s3tables:GetTableData")]},
        ),
    ),
    "AWS::S3::MultiRegionAccessPointPolicy": lambda b: add(
        b,
        "GlobalPolicy",
        "AWS::S3::MultiRegionAccessPointPolicy",
        MrapName="global",
        Policy={"Statement": [_grant_to_notes("s3:GetObject")]},
    ),
    "AWS::S3ObjectLambda::AccessPointPolicy": lambda b: add(
        b,
        "LambdaPointPolicy",
        "AWS::S3ObjectLambda::AccessPointPolicy",
        ObjectLambdaAccessPoint="point",
        PolicyDocument={"Statement": [_grant_to_notes("s3-object-lambda:GetObject")]},
    ),
    "AWS::Lambda::LayerVersionPermission": lambda b: (
        add(b, "Layer", "AWS::Lambda::LayerVersion", Content={"S3Bucket": "b", "S3Key": "k"}),
        add(
            b,
            "LayerPermission",
            "AWS::Lambda::LayerVersionPermission",
            Action="lambda:GetLayerVersion",
            LayerVersionArn={"Ref": "Layer"},
            Principal="*",
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE_POLICIES))
def test_a_resource_policy_type_not_read_before_now_grants_reach(name: str) -> None:
    builder = TemplateBuilder()
    RESOURCE_POLICIES[name](builder)

    report = builder.analyze()

    # P07 (a resource not declared) or, where the policy names a resource the template does not
    # define, P14 (fail closed): before, the policy was not read at all and nothing was reported.
    assert {v.rule.code for v in report.violations if v.function == NOTES_FUNCTION} & {"P07", "P12", "P14"}, (
        report.to_text()
    )


@pytest.mark.parametrize(
    "resource_type",
    ["AWS::Glacier::Vault", "AWS::DMS::ReplicationTask", "AWS::DataSync::Task", "AWS::AppFlow::Flow"],
)
def test_a_type_the_model_does_not_know_fails_closed_naming_it(resource_type: str) -> None:
    builder = TemplateBuilder()
    add(builder, "Mover", resource_type)

    report = builder.analyze()

    found = [v for v in report.violations if v.rule.code == "P14" and v.resource == "Mover"]
    assert found and resource_type in found[0].message, report.to_text()


UNRESOLVABLE: dict[str, Callable[[TemplateBuilder], None]] = {
    "an event source that is a parameter": lambda b: (
        b.template.setdefault("Parameters", {}).update({"Source": {"Type": "String"}}),
        add(
            b,
            "Mover",
            "AWS::Lambda::EventSourceMapping",
            EventSourceArn={"Ref": "Source"},
            FunctionName={"Ref": FILES_FUNCTION},
        ),
    ),
    "a state machine whose definition is in S3": lambda b: add(
        b,
        "Mover",
        "AWS::StepFunctions::StateMachine",
        RoleArn=role(b, "MachineRole", "states.amazonaws.com"),
        DefinitionS3Location={"Bucket": "b", "Key": "k"},
    ),
    "a backup selection whose plan is not in the template": lambda b: add(
        b,
        "Mover",
        "AWS::Backup::BackupSelection",
        BackupPlanId="plan-id",
        BackupSelection={"SelectionName": "s", "IamRoleArn": "arn:aws:iam::123456789012:role/r", "Resources": []},
    ),
    "a dynamic reference to a secret named by a parameter": lambda b: (
        b.template.setdefault("Parameters", {}).update({"Name": {"Type": "String"}}),
        add(
            b,
            "Mover",
            "AWS::SSM::Parameter",
            Type="String",
            Value={"Fn::Sub": "{{resolve:secretsmanager:${Name}:SecretString}}"},
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(UNRESOLVABLE))
def test_an_edge_the_model_cannot_resolve_fails_closed(name: str) -> None:
    builder = TemplateBuilder()
    UNRESOLVABLE[name](builder)

    report = builder.analyze()

    assert [v for v in report.violations if v.rule.code == "P14" and v.resource == "Mover"], report.to_text()


def test_a_bucket_acl_that_is_not_a_literal_fails_closed() -> None:
    builder = TemplateBuilder()
    builder.template["Parameters"] = {"Acl": {"Type": "String"}}
    _bucket(builder)["AccessControl"] = {"Ref": "Acl"}

    assert [v for v in builder.analyze().violations if v.rule.code in ("P14", DATA_FLOW) and BUCKET in v.resource]


# -- three legitimate patterns, accepted -------------------------------------------------------


def _invoke_files_through(b: TemplateBuilder, resource: Any) -> None:
    declare(b, NOTES_FUNCTION, kind="lambda-function", resource=FILES_FUNCTION, access="invoke")
    b.allow(NOTES_POLICY, "lambda:InvokeFunction", resource)


def _alias(b: TemplateBuilder) -> None:
    add(b, "FilesVersion", "AWS::Lambda::Version", FunctionName={"Ref": FILES_FUNCTION})
    add(
        b,
        "FilesAlias",
        "AWS::Lambda::Alias",
        FunctionName={"Ref": FILES_FUNCTION},
        Name="live",
        FunctionVersion=getatt("FilesVersion", "Version"),
    )


def _user(b: TemplateBuilder) -> None:
    add(b, "Auditor", "AWS::IAM::User")


def _bucket_statement(principal: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": join(getatt(BUCKET), "/files/*"),
    }


def _oai(b: TemplateBuilder) -> None:
    add(
        b,
        "Identity",
        "AWS::CloudFront::CloudFrontOriginAccessIdentity",
        CloudFrontOriginAccessIdentityConfig={"Comment": "site"},
    )


LEGITIMATE: dict[str, Callable[[TemplateBuilder], None]] = {
    "invoke a declared function through an alias (Ref)": lambda b: (
        _alias(b),
        _invoke_files_through(b, {"Ref": "FilesAlias"}),
    ),
    "invoke a declared function through a version (Ref)": lambda b: (
        _alias(b),
        _invoke_files_through(b, {"Ref": "FilesVersion"}),
    ),
    "invoke a declared function through an alias (AliasArn)": lambda b: (
        _alias(b),
        _invoke_files_through(b, getatt("FilesAlias", "AliasArn")),
    ),
    "an IAM user of the template in a bucket policy": lambda b: (
        _user(b),
        b.statements(BUCKET_POLICY).append(_bucket_statement({"AWS": getatt("Auditor")})),
    ),
    "an IAM user spelled out as an ARN in a bucket policy": lambda b: (
        _user(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${Auditor}"}})
        ),
    ),
    "an IAM user of the template in a key policy": lambda b: (
        _user(b),
        b.statements(FILES_KEY, "KeyPolicy").append(
            {"Effect": "Allow", "Principal": {"AWS": getatt("Auditor")}, "Action": "kms:Decrypt", "Resource": "*"}
        ),
    ),
    "a CloudFront origin access identity by IAM ARN (Fn::Join)": lambda b: (
        _oai(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement(
                {
                    "AWS": join(
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":iam::cloudfront:user/CloudFront Origin Access Identity ",
                        {"Ref": "Identity"},
                    )
                }
            )
        ),
    ),
    "a CloudFront origin access identity by IAM ARN (Fn::Sub)": lambda b: (
        _oai(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement(
                {
                    "AWS": {
                        "Fn::Sub": (
                            "arn:${AWS::Partition}:iam::cloudfront:user/CloudFront Origin Access Identity ${Identity}"
                        )
                    }
                }
            )
        ),
    ),
    "a CloudFront origin access identity by S3CanonicalUserId": lambda b: (
        _oai(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement({"CanonicalUser": getatt("Identity", "S3CanonicalUserId")})
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(LEGITIMATE))
def test_a_legitimate_pattern_is_accepted(name: str) -> None:
    builder = TemplateBuilder()
    LEGITIMATE[name](builder)

    report = builder.analyze()

    assert report.violations == (), report.to_text()


def test_an_alias_of_an_undeclared_function_is_still_undeclared_reach() -> None:
    builder = TemplateBuilder()
    _alias(builder)
    builder.allow(NOTES_POLICY, "lambda:InvokeFunction", {"Ref": "FilesAlias"})

    assert builder.analyze().find("P07", NOTES_FUNCTION, f"{FILES_FUNCTION}:live"), builder.analyze().to_text()


def test_a_role_spelled_as_a_user_arn_is_not_taken_for_a_user() -> None:
    """A user ARN naming no user of the template is still unresolved (fail closed)."""
    builder = TemplateBuilder()
    builder.statements(BUCKET_POLICY).append(
        _bucket_statement(
            {"AWS": {"Fn::Sub": ["arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${N}", {"N": {"Ref": FILES_ROLE}}]}}
        )
    )

    assert [v for v in builder.analyze().violations if v.rule.code == "P14"]


_UNUSED = (FILES_POLICY, FILES_TABLE)


def test_replication_into_a_bucket_of_another_stack_is_followed_by_its_global_name() -> None:
    """A replica in a stack of another region is named by ARN (bucket names are global)."""
    source, replica = TemplateBuilder(), TemplateBuilder()
    _bucket(replica)["BucketName"] = {"Fn::Sub": "mirror-${AWS::AccountId}"}
    _bucket(source)["ReplicationConfiguration"] = {
        "Role": role(source, "ReplicationRole", "s3.amazonaws.com"),
        "Rules": [
            {
                "Status": "Enabled",
                "Filter": {"Prefix": "files/"},
                "Destination": {"Bucket": {"Fn::Sub": "arn:${AWS::Partition}:s3:::mirror-${AWS::AccountId}"}},
            }
        ],
    }
    report = analyze({"source": source.template, "replica": replica.template})

    found = [v for v in _flows(report) if v.template == "replica" and v.function == FILES_FUNCTION]
    assert found and "replication rule" in found[0].message, report.to_text()
    assert found[0].resource == f"source/{BUCKET}/files/"
