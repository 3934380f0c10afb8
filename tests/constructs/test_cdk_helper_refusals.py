"""CDK calls whose helper the kit cannot declare, refused with a kit message naming the alternative.

- ``log_retention=`` and ``auto_delete_objects=True`` add CDK helper functions (run-time log group
  outside the template; emptying a whole bucket and rewriting its policy): the compliance checks'
  helper aspect refuses them at synth, naming each construct and what to write instead.
- ``S3EventSource`` on a SecureBucket: CDK's binding takes a concrete ``s3.Bucket`` only; the inner
  ``.bucket`` would bypass the kit's check of whose prefix the events carry, so the kit refuses it
  naming ``S3EventSourceV2`` / ``add_event_notification``; ``S3EventSourceV2`` on the SecureBucket works.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from cdk_support import new_app
from secure_serverless import Invocation, PrefixAccess, SecureBucket, TableFunction
from secure_serverless._validation import ConfigurationError
from secure_serverless.helper_perimeters import declare_app_helper_perimeters

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")


def _function(stack: cdk.Stack, **options: object) -> lambda_.Function:
    return lambda_.Function(
        stack, "Plain", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14, **options
    )


def _synth(build: object) -> None:
    app = new_app()
    stack = cdk.Stack(app, "Helpers")
    build(stack)  # type: ignore[operator]
    declare_app_helper_perimeters(app)  # what register_compliance_checks(app) does
    app.synth()


def _refusal(build: object) -> str:
    """The kit's ConfigurationError, raised in the helper pass (jsii hands it back as a RuntimeError with its text)."""
    with pytest.raises((ConfigurationError, RuntimeError)) as raised:
        _synth(build)
    message = str(raised.value)
    assert "Helpers: invalid configuration" in message, message[:2000]
    return message


def test_log_retention_is_refused_naming_the_function_and_log_group() -> None:
    message = _refusal(lambda stack: _function(stack, log_retention=logs.RetentionDays.ONE_WEEK))
    assert "Helpers/Plain: log_retention=" in message
    assert "log_group=logs.LogGroup(" in message and "SecureFunction" in message


def test_auto_delete_objects_is_refused_naming_the_bucket_and_retain() -> None:
    message = _refusal(
        lambda stack: s3.Bucket(stack, "Scratch", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    )
    assert "Helpers/Scratch: auto_delete_objects=True" in message
    assert "s3:PutBucketPolicy" in message and "RETAIN" in message


def test_every_refused_helper_of_the_stack_is_named_in_one_error() -> None:
    def build(stack: cdk.Stack) -> None:
        _function(stack, log_retention=logs.RetentionDays.ONE_WEEK)
        s3.Bucket(stack, "Scratch", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)

    message = _refusal(build)
    assert "(2 problem(s))" in message
    assert "Helpers/Plain: log_retention=" in message and "Helpers/Scratch: auto_delete_objects=True" in message


def test_the_alternatives_synthesize() -> None:
    def build(stack: cdk.Stack) -> None:
        _function(stack, log_group=logs.LogGroup(stack, "Logs", retention=logs.RetentionDays.ONE_YEAR))
        s3.Bucket(stack, "Kept")

    _synth(build)


def _images(stack: cdk.Stack) -> tuple[TableFunction, SecureBucket]:
    thumbs = TableFunction(
        stack,
        "Thumbs",
        code=CODE,
        handler="index.handler",
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        invocation=Invocation.ASYNCHRONOUS,
    )
    bucket = SecureBucket(stack, "Images")
    bucket.grant_prefix(thumbs.function, prefix="images/", access=PrefixAccess.READ)
    return thumbs, bucket


def test_s3_event_source_on_the_inner_bucket_is_refused_naming_the_kit_calls() -> None:
    stack = cdk.Stack(new_app(), "Events")
    thumbs, bucket = _images(stack)
    source = sources.S3EventSource(bucket.bucket, events=[s3.EventType.OBJECT_CREATED])
    with pytest.raises(ConfigurationError) as raised:
        thumbs.function.add_event_source(source)
    message = str(raised.value)
    assert "S3EventSource(Events/Images.bucket)" in message
    assert "S3EventSourceV2(" in message and "add_event_notification(" in message


def test_s3_event_source_refuses_the_secure_bucket_itself_in_cdks_binding() -> None:
    """CDK's own type check (a concrete s3.Bucket); if a CDK release accepts it, revisit the kit's refusal."""
    stack = cdk.Stack(new_app(), "Events")
    _, bucket = _images(stack)
    with pytest.raises(TypeError, match=r"aws_cdk\.aws_s3\.Bucket"):
        sources.S3EventSource(bucket, events=[s3.EventType.OBJECT_CREATED])  # type: ignore[arg-type]


def test_s3_event_source_v2_on_the_secure_bucket_is_the_kit_path() -> None:
    stack = cdk.Stack(new_app(), "Events")
    thumbs, bucket = _images(stack)
    thumbs.function.add_event_source(
        sources.S3EventSourceV2(
            bucket, events=[s3.EventType.OBJECT_CREATED], filters=[s3.NotificationKeyFilter(prefix="images/")]
        )
    )
    template = cdk.assertions.Template.from_stack(stack)
    template.resource_count_is("Custom::S3BucketNotifications", 1)


def test_s3_event_source_on_a_plain_bucket_still_works() -> None:
    stack = cdk.Stack(new_app(), "Events")
    thumbs, _ = _images(stack)
    plain = s3.Bucket(stack, "Plain")
    thumbs.function.add_event_source(sources.S3EventSource(plain, events=[s3.EventType.OBJECT_CREATED]))
    cdk.assertions.Template.from_stack(stack).resource_count_is("Custom::S3BucketNotifications", 1)
