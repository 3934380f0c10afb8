"""Leak cases through delivery and sources: SNS subscriptions and SQS redrive, event source mappings
and destinations, deploy-time sources, dynamic references, EFS access points, bucket ACLs.
"""

from __future__ import annotations

from dataflow_support import (
    FILES_DLQ,
    LEAKS,
    NOTES_DLQ,
    Leak,
    _bucket,
    _bucket_deployment,
    _efs,
    add,
    declare,
    leak,
    parameter,
    secret,
    stream,
)
from perimeter_support import (
    BUCKET,
    FILES_FUNCTION,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
    join,
)

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


@leak(
    "deploy-source",
    "a BucketDeployment copies one service's objects under the other's prefix",
    NOTES_FUNCTION,
    f"{BUCKET}/files/site.zip",
    "deploy-time source of BucketDeployment Deploy",
    f"{BUCKET}/attachments/",
)
def _(b: TemplateBuilder) -> None:
    _bucket_deployment(b, {"Ref": BUCKET}, "files/site.zip", "attachments/")


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
