"""Kit constructs are real CDK types, and CDK's own grants on them land in the kit's grant pipeline.

One app with one stack per subject, synthesized once for the module (no plugins registered, so
``Template.from_stack`` works); construction errors are checked on apps that are never synthesized.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from secure_serverless import (
    ConfigurationError,
    EncryptionKey,
    Invocation,
    KeyAccess,
    PrefixAccess,
    SecureBucket,
    SecureQueue,
    SecureTopic,
    TableFunction,
)
from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
PK = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
REASON = "Shipping books the courier for each new order; it reads the order id and address."


def service(scope: cdk.Stack, name: str, **table_options: Any) -> TableFunction:
    return TableFunction(
        scope,
        name,
        code=CODE,
        handler="index.handler",
        partition_key=PK,
        invocation=Invocation.SYNCHRONOUS,
        table_options=table_options or None,
    )


def _logical_id(construct: Any) -> str:
    from secure_serverless._grants import cfn_of

    stack = cdk.Stack.of(construct)
    return str(stack.resolve(stack.get_logical_id(cfn_of(construct))))


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    app = cdk.App()
    subjects: dict[str, Any] = {}

    stack = cdk.Stack(app, "PlainCdk")
    orders = service(stack, "Orders")
    rule = events.Rule(stack, "Nightly", schedule=events.Schedule.rate(cdk.Duration.hours(1)))
    rule.add_target(targets.LambdaFunction(orders.function))
    apigateway.RestApi(stack, "Api").root.add_method("GET", apigateway.LambdaIntegration(orders.function))
    get = tasks.DynamoGetItem(stack, "Get", table=orders.table, key={"id": tasks.DynamoAttributeValue.from_string("1")})
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(get))
    subjects["plain"] = (stack, orders)
    subjects["metric"] = stack.resolve(orders.function.metric_errors().to_metric_config().metric_stat.dimensions)
    subjects["table_metric"] = stack.resolve(
        orders.table.metric_consumed_read_capacity_units().to_metric_config().metric_stat.dimensions
    )

    stack = cdk.Stack(app, "Grants")
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    key = EncryptionKey(stack, "QueueKey")
    queue = sqs.Queue(stack, "Plain", encryption_master_key=key, enforce_ssl=True)
    queue.grant_send_messages(orders.function)
    owned = SecureQueue(stack, "OrderEvents", owner=orders.function)
    shipping.function.consume_queue(owned, share_reason=REASON)  # before the owner's own grant
    owned.grant_send_messages(orders.function)
    topic = SecureTopic(stack, "OrderTopic", owner=orders.function)
    topic.grant_publish(orders.function)
    role = iam.Role(stack, "PlainRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    key.grant(role, "kms:Decrypt")
    subjects["grants"] = (stack, orders, shipping, key, queue, owned, topic)

    stack = cdk.Stack(app, "Notifications")
    thumbs = service(stack, "Thumbs")
    bucket = SecureBucket(stack, "Images")
    bucket.grant_prefix(thumbs.function, prefix="images/", access=PrefixAccess.READ)
    thumbs.function.add_event_source(
        sources.S3EventSourceV2(
            bucket, events=[s3.EventType.OBJECT_CREATED], filters=[s3.NotificationKeyFilter(prefix="images/")]
        )
    )
    subjects["notifications"] = (stack, thumbs, bucket)

    app.synth()
    subjects["templates"] = {
        name: Template.from_stack(subjects[name][0]).to_json() for name in ("plain", "grants", "notifications")
    }
    return subjects


def _perimeter(template: dict[str, Any], function: Any) -> dict[str, Any]:
    logical_id = _logical_id(function.function)
    return dict(template["Resources"][logical_id]["Metadata"][PERIMETER_METADATA_KEY])


def _of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def test_plain_cdk_takes_a_kit_function_as_an_event_target_and_an_integration(built: dict[str, Any]) -> None:
    template = built["templates"]["plain"]
    principals = {p["Properties"]["Principal"] for p in _of_type(template, "AWS::Lambda::Permission")}
    assert {"events.amazonaws.com", "apigateway.amazonaws.com"} <= principals
    function_id = _logical_id(built["plain"][1].function.function)
    assert built["metric"] == [{"name": "FunctionName", "value": {"Ref": function_id}}]


def test_plain_cdk_takes_a_kit_table_in_a_step_functions_task_and_its_metrics(built: dict[str, Any]) -> None:
    template = built["templates"]["plain"]
    table_id = _logical_id(built["plain"][1].table.table)
    policies = json.dumps(_of_type(template, "AWS::IAM::Policy"))
    assert "dynamodb:GetItem" in policies and table_id in policies
    assert built["table_metric"] == [{"name": "TableName", "value": {"Ref": table_id}}]


def test_a_kit_key_encrypts_a_plain_queue(built: dict[str, Any]) -> None:
    *_rest, key, queue, _owned, _topic = built["grants"]
    template = built["templates"]["grants"]
    properties = template["Resources"][_logical_id(queue)]["Properties"]
    assert properties["KmsMasterKeyId"] == {"Fn::GetAtt": [_logical_id(key), "Arn"]}


def test_cdk_queue_grant_lands_as_the_exact_send_level_with_the_key_through_sqs(built: dict[str, Any]) -> None:
    _stack, orders, _shipping, key, queue, _owned, _topic = built["grants"]
    template = built["templates"]["grants"]
    reach = _perimeter(template, orders.function)["reach"]
    assert {"kind": "sqs-queue", "resource": _logical_id(queue), "access": "send", "shared": False} in reach
    assert any(e["resource"] == _logical_id(key) and e["access"] == "encrypt-decrypt" for e in reach)
    policy = template["Resources"][_logical_id(orders.function.policy)]["Properties"]["PolicyDocument"]
    key_statements = [s for s in policy["Statement"] if _logical_id(key) in json.dumps(s["Resource"])]
    assert key_statements and all("kms:ReEncrypt*" not in json.dumps(s) for s in key_statements)
    assert key_statements[0]["Condition"]["StringEquals"]["kms:ViaService"] == [
        {"Fn::Join": ["", ["sqs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    ]
    # no CDK statement left on the role
    assert not [p for p in _of_type(template, "AWS::IAM::Policy") if "OrdersFunctionRole" in json.dumps(p)]


def test_a_declared_owner_and_a_share_declared_before_the_owners_grant_mark_both_sides(built: dict[str, Any]) -> None:
    _stack, orders, shipping, _key, _queue, owned, _topic = built["grants"]
    template = built["templates"]["grants"]
    queue_id = _logical_id(owned)
    for function, access in ((orders, "send"), (shipping, "consume")):
        (entry,) = [e for e in _perimeter(template, function.function)["reach"] if e["resource"] == queue_id]
        assert entry["access"] == access and entry["shared"] is True and entry["share_reason"] == REASON


def test_cdk_topic_grant_lands_as_publish(built: dict[str, Any]) -> None:
    _stack, orders, _shipping, _key, _queue, _owned, topic = built["grants"]
    reach = _perimeter(built["templates"]["grants"], orders.function)["reach"]
    assert any(e["resource"] == _logical_id(topic) and e["access"] == "publish" for e in reach)


def test_a_kit_key_grant_in_cdks_form_to_a_plain_role_is_cdks_statement(built: dict[str, Any]) -> None:
    template = built["templates"]["grants"]
    (policy,) = [
        p for p in _of_type(template, "AWS::IAM::Policy") if "PlainRole" in json.dumps(p["Properties"]["Roles"])
    ]
    assert policy["Properties"]["PolicyDocument"]["Statement"][0]["Action"] == "kms:Decrypt"


def test_secure_queue_defaults(built: dict[str, Any]) -> None:
    _stack, orders, _shipping, _key, _queue, owned, _topic = built["grants"]
    template = built["templates"]["grants"]
    resource = template["Resources"][_logical_id(owned)]
    assert resource["DeletionPolicy"] == "Retain"
    properties = resource["Properties"]
    assert properties["KmsMasterKeyId"] == {"Fn::GetAtt": [_logical_id(orders.encryption_key), "Arn"]}
    assert properties["RedrivePolicy"]["maxReceiveCount"] == 3
    dlq = template["Resources"][_logical_id(owned.dead_letter_queue)]["Properties"]
    assert dlq["KmsMasterKeyId"] == properties["KmsMasterKeyId"]
    policies = json.dumps(_of_type(template, "AWS::SQS::QueuePolicy"))
    assert policies.count('"aws:SecureTransport": "false"') >= 2  # the queue and its DLQ refuse plain HTTP


def test_secure_topic_defaults(built: dict[str, Any]) -> None:
    _stack, orders, _shipping, _key, _queue, _owned, topic = built["grants"]
    template = built["templates"]["grants"]
    properties = template["Resources"][_logical_id(topic)]["Properties"]
    assert properties["KmsMasterKeyId"] == {"Fn::GetAtt": [_logical_id(orders.encryption_key), "Arn"]}
    assert '"aws:SecureTransport": "false"' in json.dumps(_of_type(template, "AWS::SNS::TopicPolicy"))


def test_cdks_notifications_handler_gets_a_perimeter_limited_to_the_buckets_it_configures(
    built: dict[str, Any],
) -> None:
    _stack, _thumbs, bucket = built["notifications"]
    template = built["templates"]["notifications"]
    handlers = {k: r for k, r in template["Resources"].items() if k.startswith("BucketNotificationsHandler")}
    (function,) = [r for r in handlers.values() if r["Type"] == "AWS::Lambda::Function"]
    (role,) = [r for r in handlers.values() if r["Type"] == "AWS::IAM::Role"]
    assert "ManagedPolicyArns" not in role["Properties"]
    declared = function["Metadata"][PERIMETER_METADATA_KEY]
    assert declared["reach"] == [
        {
            "kind": "s3-prefix",
            "resource": _logical_id(bucket),
            "access": "configure-notifications",
            "prefix": "",
            "shared": False,
        }
    ]
    assert declared["helper"]["configures"] == ["Notifications/Images"]


def test_consuming_another_services_queue_names_the_path_and_the_fix() -> None:
    stack = cdk.Stack(cdk.App(), "Leak")
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    queue = SecureQueue(stack, "OrderEvents", owner=orders.function)
    with pytest.raises(ConfigurationError) as error:
        shipping.function.consume_queue(queue)
    assert "Leak/Orders/Function's data -> the queue Leak/OrderEvents/Resource -> Leak/Shipping/Function" in str(
        error.value
    )
    assert "share_reason" in str(error.value)


def test_a_second_owner_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Owners")
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    queue = SecureQueue(stack, "OrderEvents", owner=orders.function)
    from secure_serverless._grants import cfn_of, declare_owner

    with pytest.raises(ConfigurationError, match="already owned by Owners/Orders/Function"):
        declare_owner(shipping.function, resource=cfn_of(queue), what="the queue")


def test_a_key_grant_takes_keyword_options_and_refuses_unknown_ones() -> None:
    stack = cdk.Stack(cdk.App(), "Keys")
    orders = service(stack, "Orders")
    key = EncryptionKey(stack, "Extra")
    key.grant(orders.function, KeyAccess.DECRYPT, via_services=["sqs"])
    entries = [e for e in orders.function.perimeter.to_metadata()["reach"] if e["kind"] == "kms-key"]
    assert any(stack.resolve(e["resource"]) == _logical_id(key) and e["access"] == "decrypt" for e in entries)
    with pytest.raises(TypeError, match="via_service"):
        key.grant(orders.function, KeyAccess.DECRYPT, via_service=["sqs"])


def test_a_table_owned_at_construction_refuses_its_first_grant_to_another_service() -> None:
    from secure_serverless import SecureTable

    stack = cdk.Stack(cdk.App(), "TableOwner")
    orders, shipping = service(stack, "Orders"), service(stack, "Shipping")
    table = SecureTable(stack, "Ledger", partition_key=PK, owner=orders.function)
    assert table.encryption_key is orders.encryption_key
    with pytest.raises(ConfigurationError, match="TableOwner/Orders/Function's data -> the table TableOwner/Ledger"):
        table.grant_read_data(shipping.function)
