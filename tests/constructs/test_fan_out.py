"""SNS-to-SQS fan-out with ``SecureFunction.receive_from``: the flow is declared on both sides."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from secure_serverless import ConfigurationError, Invocation, SecureQueue, SecureTopic, TableFunction
from secure_serverless._grants import cfn_of
from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
PK = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
REASON = "Shipping books the courier for each new order; it reads the order id and address."


def _service(scope: cdk.Stack, name: str) -> TableFunction:
    return TableFunction(
        scope, name, code=CODE, handler="index.handler", partition_key=PK, invocation=Invocation.SYNCHRONOUS
    )


def _fan_out(share_reason: str | None) -> tuple[cdk.Stack, TableFunction, TableFunction, SecureTopic]:
    stack = cdk.Stack(cdk.App(), "FanOut")
    orders, shipping = _service(stack, "Orders"), _service(stack, "Shipping")
    topic = SecureTopic(stack, "OrderTopic", owner=orders.function)
    topic.grant_publish(orders.function)
    inbox = SecureQueue(stack, "Inbox", owner=shipping.function, encryption_key=shipping.encryption_key)
    shipping.function.receive_from(topic, queue=inbox, share_reason=share_reason, raw_message_delivery=True)
    return stack, orders, shipping, topic


def _entries(template: Template, function_prefix: str, topic_id: str) -> list[dict[str, Any]]:
    functions = template.find_resources("AWS::Lambda::Function")
    (metadata,) = [r["Metadata"] for k, r in functions.items() if k.startswith(function_prefix)]
    return [e for e in metadata[PERIMETER_METADATA_KEY]["reach"] if e["resource"] == topic_id]


def test_receiving_another_services_topic_declares_the_flow_on_both_sides() -> None:
    stack, _orders, _shipping, topic = _fan_out(REASON)
    template = Template.from_stack(stack)
    topic_id = stack.resolve(stack.get_logical_id(cfn_of(topic)))
    template.resource_count_is("AWS::SNS::Subscription", 1)
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "sqs", "RawMessageDelivery": True})
    (received,) = _entries(template, "ShippingFunction", topic_id)
    assert received == {
        "kind": "sns-topic",
        "resource": topic_id,
        "access": "receive",
        "shared": True,
        "share_reason": REASON,
    }
    (published,) = _entries(template, "OrdersFunction", topic_id)
    assert published["access"] == "publish"
    assert published["shared"] is True and published["share_reason"] == REASON


def test_receiving_another_services_topic_without_a_reason_names_the_path() -> None:
    with pytest.raises(ConfigurationError) as error:
        _fan_out(None)
    message = str(error.value)
    assert "FanOut/Orders" in message and "-> the topic FanOut/OrderTopic ->" in message
    assert "share_reason" in message
