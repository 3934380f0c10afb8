"""The compositions of ``compositions_app.py``, each carrying another service's data somewhere it must not go.

One process, one ``cdk.App`` per variant (with ``register_compliance_checks``), so one jsii
start-up serves every variant; a variant's verdict is the error that stopped its synth (a
construct's ``ConfigurationError``, a refused grant, or the perimeter check's report), or "ok".
Prints one JSON object: variant -> {"ok": bool, "error": str}.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import custom_resources
from compositions_app import SHARE, service

from secure_serverless import (
    Invocation,
    PrefixAccess,
    SecureBucket,
    SecureQueue,
    SecureTopic,
    SecureUserPool,
    acknowledge,
    register_compliance_checks,
)


def queue_pair(stack: cdk.Stack) -> None:
    """B consumes A's queue without declaring why."""
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    queue = SecureQueue(stack, "OrderEvents", owner=orders.function)
    queue.grant_send_messages(orders.function)
    shipping.function.consume_queue(queue)


def topic_publish(stack: cdk.Stack) -> None:
    """B publishes its data into A's topic with CDK's grant (no share_reason possible there)."""
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    topic = SecureTopic(stack, "OrderTopic", owner=orders.function)
    topic.grant_publish(orders.function)
    topic.grant_publish(shipping.function)


def bucket_notification(stack: cdk.Stack) -> None:
    """Uploads to A's prefix notify B, and A never declared its prefix shared."""
    uploads = service(stack, "Uploads")
    scanner = service(stack, "Scanner", invocation=Invocation.ASYNCHRONOUS)
    bucket = SecureBucket(stack, "Files")
    bucket.grant_prefix(uploads.function, prefix="incoming/", access=PrefixAccess.WRITE)
    bucket.add_event_notification(
        s3.EventType.OBJECT_CREATED,
        s3n.LambdaDestination(scanner.function),
        s3.NotificationKeyFilter(prefix="incoming/"),
    )


def bucket_deployment(stack: cdk.Stack) -> None:
    """A deployment writes into A's prefix of a shared bucket (the helper reaches A's data)."""
    orders = service(stack, "Orders")
    bucket = SecureBucket(stack, "Site")
    bucket.grant_prefix(orders.function, prefix="orders/", access=PrefixAccess.READ_WRITE)
    s3_deployment.BucketDeployment(
        stack,
        "Deploy",
        sources=[s3_deployment.Source.data("x.json", "{}")],
        destination_bucket=bucket,
        destination_key_prefix="orders/",
    )


def bucket_deployment_source(stack: cdk.Stack) -> None:
    """A deployment publishes A's objects (its prefix of the bucket) under the site's prefix."""
    orders = service(stack, "Orders")
    bucket = SecureBucket(stack, "Site")
    bucket.grant_prefix(orders.function, prefix="orders/", access=PrefixAccess.READ_WRITE)
    s3_deployment.BucketDeployment(
        stack,
        "Deploy",
        sources=[s3_deployment.Source.bucket(bucket, "orders/export.zip")],
        destination_bucket=bucket,
        destination_key_prefix="site/",
    )


def custom_resource_table(stack: cdk.Stack) -> None:
    """An AwsCustomResource reads A's table: a helper that reads a service's data."""
    orders = service(stack, "Orders")
    custom_resources.AwsCustomResource(
        stack,
        "ReadOrder",
        on_update=custom_resources.AwsSdkCall(
            service="DynamoDB",
            action="getItem",
            parameters={"TableName": orders.table.table_name, "Key": {"id": {"S": "1"}}},
            physical_resource_id=custom_resources.PhysicalResourceId.of("order"),
        ),
        policy=custom_resources.AwsCustomResourcePolicy.from_sdk_calls(resources=[orders.table.table_arn]),
        install_latest_aws_sdk=False,
    )


def shared_stream(stack: cdk.Stack) -> None:
    """B follows A's stream without declaring why."""
    orders = service(stack, "Orders", stream=dynamodb.StreamViewType.NEW_IMAGE)
    shipping = service(stack, "Shipping")
    shipping.function.consume_table_stream(orders.table)


def fan_out(stack: cdk.Stack) -> None:
    """A's topic feeds B's queue with no declaration on either side (the subscription is the path)."""
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    topic = SecureTopic(stack, "OrderTopic", owner=orders.function)
    topic.grant_publish(orders.function)
    inbox = SecureQueue(stack, "ShippingInbox", owner=shipping.function, encryption_key=shipping.encryption_key)
    orders.encryption_key.allow_service(service_principal="sns.amazonaws.com", actions=["kms:Decrypt"])
    topic.add_subscription(subscriptions.SqsSubscription(inbox, dead_letter_queue=inbox.dead_letter_queue))
    shipping.function.consume_queue(inbox)


def schedule(stack: cdk.Stack) -> None:
    """B's schedule sends its undelivered events into A's queue, which A consumes."""
    orders, report = service(stack, "Orders"), service(stack, "Report", invocation=Invocation.ASYNCHRONOUS)
    orders_queue = SecureQueue(stack, "OrderEvents", owner=orders.function)
    orders.function.consume_queue(orders_queue)
    rule = events.Rule(stack, "Nightly", schedule=events.Schedule.cron(hour="2", minute="0"))
    rule.add_target(targets.LambdaFunction(report.function, retry_attempts=2, dead_letter_queue=orders_queue))


def step_functions_table(stack: cdk.Stack) -> None:
    """A state machine reads A's items and hands them to B."""
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    get = tasks.DynamoGetItem(
        stack, "GetOrder", table=orders.table, key={"id": tasks.DynamoAttributeValue.from_string("1")}
    )
    hand = tasks.LambdaInvoke(stack, "HandToShipping", lambda_function=shipping.function)
    machine = sfn.StateMachine(
        stack,
        "Machine",
        definition_body=sfn.DefinitionBody.from_chainable(get.next(hand)),
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=logs.LogGroup(stack, "MachineLogs", encryption_key=orders.encryption_key),
            level=sfn.LogLevel.ALL,
        ),
    )
    acknowledge(
        machine.role.node.find_child("DefaultPolicy"),
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray and CloudWatch Logs delivery support no resource-level permissions (Resource '*' only).",
    )
    acknowledge(
        machine.role.node.find_child("DefaultPolicy"),
        f"AwsSolutions-IAM5[Resource::<{stack.resolve(stack.get_logical_id(shipping.function.function.node.default_child))}.Arn>:*]",
        "CDK's LambdaInvoke task grants every version of the one function it invokes.",
    )


def api_integration(stack: cdk.Stack) -> None:
    """B's API handler reads A's table with the kit's grant and no reason."""
    from secure_serverless import SecureRestApi

    orders, notes = service(stack, "Orders"), service(stack, "Notes")
    api = SecureRestApi(stack, "Api", user_pool=SecureUserPool(stack, "Users").user_pool)
    api.add_route("GET", "/notes", notes.function)
    orders.table.grant_read_data(notes.function)


def s3_to_lambda(stack: cdk.Stack) -> None:
    """B's S3 event source on A's prefix, not declared shared."""
    uploads = service(stack, "Uploads")
    thumbs = service(stack, "Thumbs", invocation=Invocation.ASYNCHRONOUS)
    bucket = SecureBucket(stack, "Images")
    bucket.grant_prefix(uploads.function, prefix="images/", access=PrefixAccess.WRITE)
    thumbs.function.add_event_source(
        sources.S3EventSourceV2(
            bucket, events=[s3.EventType.OBJECT_CREATED], filters=[s3.NotificationKeyFilter(prefix="images/")]
        )
    )


def shared_stream_fan_out(stack: cdk.Stack) -> None:
    """A third service follows A's stream through plain CDK's DynamoEventSource (no reason possible)."""
    orders = service(stack, "Orders", stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES)
    shipping, billing = service(stack, "Shipping"), service(stack, "Billing")
    shipping.function.consume_table_stream(orders.table, share_reason=SHARE)
    billing.function.add_event_source(
        sources.DynamoEventSource(orders.table, starting_position=lambda_.StartingPosition.LATEST)
    )


def queue_with_kit_key(stack: cdk.Stack) -> None:
    """B sends to a queue encrypted with A's key through CDK's grant."""
    from aws_cdk import aws_sqs as sqs

    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    queue = sqs.Queue(stack, "Plain", encryption_master_key=orders.encryption_key, enforce_ssl=True)
    queue.grant_send_messages(orders.function)
    queue.grant_send_messages(shipping.function)


def invoke_other(stack: cdk.Stack) -> None:
    """A hands its data to B through CDK's own invoke grant (unrecorded, broader than the kit's)."""
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    shipping.function.function.grant_invoke(orders.function.function)


def own_stream_event_source(stack: cdk.Stack) -> None:
    """Plain CDK's DynamoEventSource on another service's kit table."""
    orders = service(stack, "Orders", stream=dynamodb.StreamViewType.NEW_IMAGE)
    shipping = service(stack, "Shipping")
    shipping.function.add_event_source(
        sources.DynamoEventSource(orders.table, starting_position=lambda_.StartingPosition.LATEST)
    )


LEAKS: dict[str, Callable[[cdk.Stack], None]] = {
    "QueuePair": queue_pair,
    "TopicPublish": topic_publish,
    "BucketNotification": bucket_notification,
    "BucketDeployment": bucket_deployment,
    "BucketDeploymentSource": bucket_deployment_source,
    "CustomResourceSsm": custom_resource_table,
    "SharedStream": shared_stream,
    "FanOut": fan_out,
    "Schedule": schedule,
    "StepFunctionsTable": step_functions_table,
    "ApiIntegration": api_integration,
    "S3ToLambda": s3_to_lambda,
    "SharedStreamFanOut": shared_stream_fan_out,
    "QueueWithKitKey": queue_with_kit_key,
    "InvokeOther": invoke_other,
    "OwnStreamEventSource": own_stream_event_source,
}


def verdict(build: Callable[[cdk.Stack], None], name: str, outdir: Path) -> dict[str, object]:
    app = cdk.App(outdir=str(outdir))
    register_compliance_checks(app)
    try:
        build(cdk.Stack(app, name))
        app.synth()
    except Exception as error:  # the verdict is the message (and the validation report, if any)
        report = outdir / "validation-report.json"
        return {"ok": False, "error": str(error) + (report.read_text() if report.exists() else "")}
    return {"ok": True, "error": ""}


if __name__ == "__main__":
    out = Path(sys.argv[1])
    results = {f"leak:{name}": verdict(build, name, out / f"leak-{name}") for name, build in LEAKS.items()}
    print(json.dumps(results))
