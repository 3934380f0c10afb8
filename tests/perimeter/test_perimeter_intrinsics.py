"""Symbolic evaluation of intrinsics and the reduction of ARNs to logical resources."""

from __future__ import annotations

from typing import Any

import pytest

from secure_serverless_checks.perimeter import DanglingReferenceError, TemplateStructureError
from secure_serverless_checks.perimeter.intrinsics import Resolver, Token, render
from secure_serverless_checks.perimeter.targets import Target, classify
from secure_serverless_checks.perimeter.template import TemplateIndex

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String"}},
    "Mappings": {"Names": {"prod": {"table": "orders"}}},
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Key": {"Type": "AWS::KMS::Key"},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/orders"}},
    },
}
ARN_PREFIX = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:"


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(TemplateIndex("t", TEMPLATE))


def target(resolver: Resolver, value: Any) -> Target:
    return classify(resolver.resolve(value, "test"), resolver.index)


def test_sub_keeps_tokens_and_literal_text(resolver: Resolver) -> None:
    sym = resolver.resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Bucket.Arn}"}, "x")

    assert sym == (
        "arn:",
        Token("pseudo", "AWS::Partition"),
        ":s3:::",
        Token("ref", "Bucket"),
        "/${Literal}/",
        Token("getatt", "Bucket", "Arn"),
    )
    assert render(sym) == "arn:${AWS::Partition}:s3:::${Bucket}/${Literal}/${Bucket.Arn}"


def test_join_merges_literals_and_select_split_work_on_literals(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Join": ["-", ["a", "b", {"Ref": "Stage"}]]}, "x") == (
        "a-b-",
        Token("parameter", "Stage"),
    )
    assert resolver.resolve({"Fn::Select": ["1", {"Fn::Split": ["/", "x/y/z"]}]}, "x") == ("y",)
    assert resolver.resolve({"Fn::FindInMap": ["Names", "prod", "table"]}, "x") == ("orders",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", Target("wildcard", "*")),
        ({"Fn::GetAtt": ["Table", "Arn"]}, Target("resource", "Table", "Table", "", "t")),
        ({"Fn::GetAtt": "Table.Arn"}, Target("resource", "Table", "Table", "", "t")),
        (
            {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/byDate"]]},
            Target("resource", "Table/index/byDate", "Table", "/index/byDate", "t"),
        ),
        (
            {"Fn::GetAtt": ["Table", "StreamArn"]},
            Target("resource", "Table/stream/<label>", "Table", "/stream/<label>", "t"),
        ),
        ({"Fn::Sub": "${Bucket.Arn}/files/*"}, Target("resource", "Bucket/files/*", "Bucket", "/files/*", "t")),
        (
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/files/*"},
            Target("resource", "Bucket/files/*", "Bucket", "/files/*", "t"),
        ),
        ({"Fn::Sub": ARN_PREFIX % "kms" + "key/${Key}"}, Target("resource", "Key", "Key", "", "t")),
        ({"Fn::Sub": ARN_PREFIX % "sqs" + "${Queue.QueueName}"}, Target("resource", "Queue", "Queue", "", "t")),
        ({"Ref": "Topic"}, Target("resource", "Topic", "Topic", "", "t")),
        ({"Fn::Sub": ARN_PREFIX % "logs" + "log-group:${Logs}:*"}, Target("resource", "Logs:*", "Logs", ":*", "t")),
        (
            {"Fn::Sub": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/orders:*"},
            Target("resource", "Logs:*", "Logs", ":*", "t"),
        ),
        # Another region or account (the stack's environment is unknown here), or any of them.
        (
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders:*",
            Target("external", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders:*"),
        ),
        ("arn:aws:dynamodb:*:*:table/orders", Target("wildcard", "arn:aws:dynamodb:*:*:table/orders")),
        (
            {"Fn::Sub": "arn:aws:dynamodb:${Stage}:${AWS::AccountId}:table/orders"},
            Target("unresolved", "arn:aws:dynamodb:${Stage}:${AWS::AccountId}:table/orders"),
        ),
        ({"Fn::Sub": ARN_PREFIX % "dynamodb" + "table/*"}, Target("wildcard", ARN_PREFIX % "dynamodb" + "table/*")),
        ("arn:aws:sqs:eu-west-1:123456789012:other", Target("external", "arn:aws:sqs:eu-west-1:123456789012:other")),
        (
            {"Fn::Sub": ARN_PREFIX % "dynamodb" + "table/${Stage}"},
            Target("unresolved", ARN_PREFIX % "dynamodb" + "table/${Stage}"),
        ),
        (
            {"Fn::Sub": ARN_PREFIX % "dynamodb" + "table/${Bucket}"},
            Target("unresolved", ARN_PREFIX % "dynamodb" + "table/${Bucket}"),
        ),
        ({"Fn::GetAtt": ["Queue", "QueueUrl"]}, Target("unresolved", "${Queue.QueueUrl}")),
    ],
)
def test_classify(resolver: Resolver, value: Any, expected: Target) -> None:
    assert target(resolver, value) == expected


def test_resource_lists_take_both_branches_of_if_and_drop_no_value(resolver: Resolver) -> None:
    value = [{"Fn::If": ["Prod", {"Fn::GetAtt": ["Table", "Arn"]}, {"Ref": "AWS::NoValue"}]}, {"Ref": "Topic"}]

    assert [render(sym) for sym in resolver.resolve_list(value, "x")] == ["${Table.Arn}", "${Topic}"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"Ref": "Missing"},
            "t: here: Ref to 'Missing', which is neither a resource, a parameter nor a pseudo parameter",
        ),
        (
            {"Fn::GetAtt": ["Missing", "Arn"]},
            "t: here: Fn::GetAtt of 'Missing', which is not a resource of this template",
        ),
        ({"Fn::Sub": "arn:aws:s3:::${Missing}"}, "t: here: Fn::Sub to 'Missing'"),
        ({"Fn::Sub": "${Missing.Arn}"}, "t: here: Fn::Sub of 'Missing'"),
    ],
)
def test_dangling_references_are_input_errors(resolver: Resolver, value: Any, message: str) -> None:
    with pytest.raises(DanglingReferenceError) as raised:
        resolver.resolve(value, "here")

    assert str(raised.value).startswith(message)


def test_malformed_intrinsic_is_an_input_error(resolver: Resolver) -> None:
    with pytest.raises(TemplateStructureError, match=r"t: here: Fn::Join takes a list of 2 arguments"):
        resolver.resolve({"Fn::Join": ["", "not a list", "extra"]}, "here")
