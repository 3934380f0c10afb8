"""The data-flow model: declared flows (both sides declare the data shared, with a reason) pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataflow_leaks import LEAKS
from dataflow_support import (
    FILES_DLQ,
    FILES_LOGS,
    NOTES_DLQ,
    NOTES_LOGS,
    REASON,
    _bucket,
    _bucket_deployment,
    _efs,
    _flows,
    add,
    allow,
    declare,
    role,
    share,
    stream,
)
from perimeter_support import BUCKET, FILES_FUNCTION, FILES_TABLE, NOTES_FUNCTION, NOTES_TABLE, TemplateBuilder, getatt

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


@declared("a schedule's target dead-letter queue of the target's own service")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id.startswith("eventbridge:a Scheduler schedule's target")).build(b)
    b.resources["Schedule"]["Properties"]["Target"]["DeadLetterConfig"] = {"Arn": getatt(NOTES_DLQ)}
    next(c for c in LEAKS if c.id.startswith("eventbridge:a scheduled rule's target")).build(b)
    b.resources["Nightly"]["Properties"]["Targets"][0]["DeadLetterConfig"] = {"Arn": getatt(NOTES_DLQ)}


@declared("a rule's target dead-letter queue of a service that declares the target function shared")
def _(b: TemplateBuilder) -> None:
    next(c for c in LEAKS if c.id.startswith("eventbridge:a scheduled rule's target")).build(b)
    declare(
        b,
        FILES_FUNCTION,
        kind="lambda-function",
        resource=NOTES_FUNCTION,
        access="invoke",
        shared=True,
        share_reason=REASON,
    )


@declared("a BucketDeployment of a CDK asset under a service's prefix")
def _(b: TemplateBuilder) -> None:
    asset_bucket = {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
    _bucket_deployment(
        b, asset_bucket, "31ba80771002ffa7a94a6c45eed1644577c35401e2896ebdfc58d98ba210db85.zip", "files/"
    )


@declared("a BucketDeployment between two prefixes both services declare shared")
def _(b: TemplateBuilder) -> None:
    _bucket_deployment(b, {"Ref": BUCKET}, "files/site.zip", "attachments/")
    share(b, FILES_FUNCTION, BUCKET)
    share(b, NOTES_FUNCTION, BUCKET)


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
