"""Everyday CDK compositions around kit services: one consumer app, one stack per composition.

Written the way a CDK user writes them, with ``register_compliance_checks(app)`` (cdk-nag's
AwsSolutions and Serverless packs and the perimeter check). ``test_compositions.py`` runs it from
the wheel under the pinned ``cdk synth``; ``leaks_app.py`` builds the same compositions carrying
another service's data.
"""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import custom_resources
from constructs import Construct

from secure_serverless import (
    EncryptionKey,
    Invocation,
    PrefixAccess,
    SecureBucket,
    SecureQueue,
    SecureTopic,
    SecureUserPool,
    TableFunction,
    acknowledge,
    register_compliance_checks,
)

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
PK = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
SHARE = "Shipping reads new orders to book the courier; the order id and address are all it uses."


def service(
    scope: Construct, name: str, *, invocation: Invocation = Invocation.SYNCHRONOUS, **table_options: object
) -> TableFunction:
    return TableFunction(
        scope,
        name,
        code=CODE,
        handler="index.handler",
        partition_key=PK,
        invocation=invocation,
        table_options=dict(table_options) if table_options else None,
    )


def queue_pair(stack: cdk.Stack) -> None:
    """A sends to an encrypted queue with CDK's grant; B consumes it, declared with one share_reason."""
    orders = service(stack, "Orders")
    shipping = service(stack, "Shipping")
    queue = SecureQueue(stack, "OrderEvents", owner=orders.function)
    queue.grant_send_messages(orders.function)
    shipping.function.consume_queue(queue, share_reason=SHARE)


def topic_publish(stack: cdk.Stack) -> None:
    """A publishes to its encrypted topic with CDK's grant."""
    orders = service(stack, "Orders")
    topic = SecureTopic(stack, "OrderTopic", owner=orders.function)
    topic.grant_publish(orders.function)


def bucket_notification(stack: cdk.Stack) -> None:
    """Uploads under a SecureBucket prefix (A's) trigger B, with CDK's add_event_notification."""
    uploads = service(stack, "Uploads")
    scanner = service(stack, "Scanner", invocation=Invocation.ASYNCHRONOUS)
    bucket = SecureBucket(stack, "Files")
    bucket.grant_prefix(
        uploads.function,
        prefix="incoming/",
        access=PrefixAccess.WRITE,
        share_reason="The scanner is told of each upload (its key and size) to scan it before anyone reads it.",
    )
    bucket.add_event_notification(
        s3.EventType.OBJECT_CREATED,
        s3n.LambdaDestination(scanner.function),
        s3.NotificationKeyFilter(prefix="incoming/"),
    )


def bucket_deployment(stack: cdk.Stack) -> None:
    """A static site deployed under a prefix of a SecureBucket (plain s3_deployment.BucketDeployment), next to
    a service's own prefix of the same bucket: the deployment's handler reaches 'site/' only."""
    uploads = service(stack, "Uploads")
    bucket = SecureBucket(stack, "Site")
    bucket.grant_prefix(uploads.function, prefix="uploads/", access=PrefixAccess.READ_WRITE)
    s3_deployment.BucketDeployment(
        stack,
        "Deploy",
        sources=[s3_deployment.Source.data("index.html", "<h1>hello</h1>")],
        destination_bucket=bucket,
        destination_key_prefix="site/",
    )


def custom_resource_ssm(stack: cdk.Stack) -> None:
    """AwsCustomResource reading an SSM parameter of nobody's service (a platform value of the app)."""
    release = ssm.StringParameter(stack, "Release", parameter_name="/platform/release", string_value="2026.12")
    custom_resources.AwsCustomResource(
        stack,
        "ReadParameter",
        on_update=custom_resources.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": release.parameter_name},
            physical_resource_id=custom_resources.PhysicalResourceId.of("release"),
        ),
        policy=custom_resources.AwsCustomResourcePolicy.from_sdk_calls(resources=[release.parameter_arn]),
        install_latest_aws_sdk=False,
    )


def shared_stream(stack: cdk.Stack) -> None:
    """B follows A's table stream, shared on purpose with one share_reason."""
    orders = service(stack, "Orders", stream=dynamodb.StreamViewType.NEW_IMAGE)
    shipping = service(stack, "Shipping")
    shipping.function.consume_table_stream(orders.table, share_reason=SHARE)


def fan_out(stack: cdk.Stack) -> None:
    """SNS-to-SQS fan-out: A's topic feeds B's queue (with a subscription DLQ); B consumes its queue."""
    orders = service(stack, "Orders")
    shipping = service(stack, "Shipping")
    topic = SecureTopic(stack, "OrderTopic", owner=orders.function)
    topic.grant_publish(orders.function)
    inbox = SecureQueue(stack, "ShippingInbox", owner=shipping.function, encryption_key=orders.encryption_key)
    shipping.function.receive_from(
        topic,
        queue=inbox,
        share_reason=SHARE,
        raw_message_delivery=True,
        dead_letter_queue=inbox.dead_letter_queue,
    )
    shipping.function.consume_queue(inbox, share_reason=SHARE)


def schedule(stack: cdk.Stack) -> None:
    """An EventBridge schedule invokes a kit function through targets.LambdaFunction."""
    report = service(stack, "Report", invocation=Invocation.ASYNCHRONOUS)
    rule = events.Rule(
        stack, "Nightly", rule_name="nightly-report", schedule=events.Schedule.cron(hour="2", minute="0")
    )
    undelivered = SecureQueue(stack, "Undelivered", owner=report.function)
    rule.add_target(targets.LambdaFunction(report.function, retry_attempts=2, dead_letter_queue=undelivered))
    report.encryption_key.allow_service(
        service_principal="events.amazonaws.com",
        actions=["kms:Decrypt", "kms:GenerateDataKey"],
        # the rule's ARN by name: a reference to the rule would make key -> rule -> queue -> key a cycle
        source_arn=stack.format_arn(service="events", resource="rule", resource_name="nightly-report"),
    )
    report.function.metric_errors()


def step_functions_table(stack: cdk.Stack) -> None:
    """A Step Functions DynamoGetItem task on a kit table (the state machine reads A's items)."""
    orders = service(stack, "Orders")
    get = tasks.DynamoGetItem(
        stack,
        "GetOrder",
        table=orders.table,
        key={"id": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.id"))},
    )
    log_group = logs.LogGroup(
        stack, "MachineLogs", encryption_key=orders.encryption_key, retention=logs.RetentionDays.ONE_YEAR
    )
    machine = sfn.StateMachine(
        stack,
        "Machine",
        definition_body=sfn.DefinitionBody.from_chainable(get),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(orders.encryption_key),
    )
    acknowledge(
        machine.role.node.find_child("DefaultPolicy"),
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray trace ingestion and CloudWatch Logs log delivery (CreateLogDelivery, ...) support no resource-level "
        "permissions: AWS documents Resource '*' as their only form; the table is named exactly.",
    )


def api_integration(stack: cdk.Stack) -> None:
    """apigateway.LambdaIntegration(fn) of a kit function, on a kit REST API."""
    from secure_serverless import SecureRestApi

    notes = service(stack, "Notes")
    users = SecureUserPool(stack, "Users")
    api = SecureRestApi(stack, "Api", user_pool=users.user_pool)
    api.add_route("GET", "/notes", notes.function)
    apigateway.LambdaIntegration(notes.function)  # plain CDK takes the kit function too


def s3_to_lambda(stack: cdk.Stack) -> None:
    """S3EventSource on a kit function: its own prefix's uploads invoke it."""
    thumbs = service(stack, "Thumbs", invocation=Invocation.ASYNCHRONOUS)
    bucket = SecureBucket(stack, "Images")
    bucket.grant_prefix(thumbs.function, prefix="images/", access=PrefixAccess.READ)
    thumbs.function.add_event_source(
        sources.S3EventSourceV2(
            bucket, events=[s3.EventType.OBJECT_CREATED], filters=[s3.NotificationKeyFilter(prefix="images/")]
        )
    )


def shared_stream_fan_out(stack: cdk.Stack) -> None:
    """Two services follow A's stream, each declared with its reason."""
    orders = service(stack, "Orders", stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES)
    shipping = service(stack, "Shipping")
    billing = service(stack, "Billing")
    shipping.function.consume_table_stream(orders.table, share_reason=SHARE)
    billing.function.consume_table_stream(
        orders.table, share_reason="Billing invoices each new order; it reads the amount and the customer id."
    )


def queue_with_kit_key(stack: cdk.Stack) -> None:
    """Plain CDK: an sqs.Queue encrypted with a kit key; A sends through CDK's grant."""
    orders = service(stack, "Orders")
    key = EncryptionKey(stack, "QueueKey")
    queue = sqs.Queue(
        stack,
        "Plain",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(
            max_receive_count=3,
            queue=SecureQueue(stack, "PlainDlq", encryption_key=key).queue,
        ),
    )
    queue.grant_send_messages(orders.function)


def invoke_other(stack: cdk.Stack) -> None:
    """A invokes B: the kit's grant_invoke (exact lambda:InvokeFunction on B's ARN, declared)."""
    orders = service(stack, "Orders")
    shipping = service(stack, "Shipping")
    shipping.function.grant_invoke(orders.function)


def own_stream_event_source(stack: cdk.Stack) -> None:
    """Plain CDK: fn.add_event_source(DynamoEventSource(kit_table)) on the service's own table."""
    orders = service(stack, "Orders", stream=dynamodb.StreamViewType.NEW_IMAGE)
    failures = SecureQueue(stack, "Failures", owner=orders.function)
    orders.function.add_event_source(
        sources.DynamoEventSource(
            orders.table,
            starting_position=lambda_.StartingPosition.LATEST,
            retry_attempts=3,
            on_failure=sources.SqsDlq(failures),
        )
    )


COMPOSITIONS: dict[str, Callable[[cdk.Stack], None]] = {
    "QueuePair": queue_pair,
    "TopicPublish": topic_publish,
    "BucketNotification": bucket_notification,
    "BucketDeployment": bucket_deployment,
    "CustomResourceSsm": custom_resource_ssm,
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


def build(app: cdk.App, names: list[str] | None = None) -> None:
    for name, compose in COMPOSITIONS.items():
        if names is None or name in names:
            compose(cdk.Stack(app, name))


if __name__ == "__main__":
    import os

    app = cdk.App()
    register_compliance_checks(app)
    selected = os.environ.get("COMPOSITIONS")
    build(app, selected.split(",") if selected else None)
    app.synth()
