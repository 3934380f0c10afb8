"""Leak cases through service integrations: pipes, log subscriptions, S3 copies and notifications,
EventBridge and custom resources, Step Functions.
"""

from __future__ import annotations

from dataflow_support import (
    FILES_DLQ,
    NOTES_DLQ,
    NOTES_LOGS,
    _bucket,
    add,
    allow,
    declare,
    leak,
    parameter,
    role,
    stream,
)
from perimeter_support import BUCKET, FILES_FUNCTION, NOTES_FUNCTION, NOTES_TABLE, TemplateBuilder, getatt, join

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
    "eventbridge",
    "a scheduled rule's target sends what it did not take to the other service's queue",
    FILES_FUNCTION,
    NOTES_FUNCTION,
    "Nightly",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Nightly",
        "AWS::Events::Rule",
        ScheduleExpression="cron(0 2 * * ? *)",
        Targets=[{"Id": "t", "Arn": getatt(NOTES_FUNCTION), "DeadLetterConfig": {"Arn": getatt(FILES_DLQ)}}],
    )


@leak(
    "eventbridge",
    "a Scheduler schedule's target sends what it did not take to the other service's queue",
    FILES_FUNCTION,
    NOTES_FUNCTION,
    "Schedule",
    FILES_DLQ,
)
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Schedule",
        "AWS::Scheduler::Schedule",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": getatt(NOTES_FUNCTION),
            "RoleArn": role(b, "SchedulerRole", "scheduler.amazonaws.com"),
            "DeadLetterConfig": {"Arn": getatt(FILES_DLQ)},
        },
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
