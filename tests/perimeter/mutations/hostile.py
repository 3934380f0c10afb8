"""Class 10 of the adversarial table: hostile and malformed input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perimeter_support import FILES_POLICY, FILES_TABLE, NOTES_POLICY, NOTES_ROLE, TemplateBuilder, getatt

from .statements import _in_document
from .table import row

# == 10. hostile and malformed input ==================================================================


def _deep(value: Any, levels: int, wrap: Callable[[Any], Any]) -> Any:
    for _ in range(levels):
        value = wrap(value)
    return value


@row("hostile", "Fn::Join nested 5,000 deep", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", _deep("x", 5000, lambda v: {"Fn::Join": ["", [v]]}))


@row("hostile", "Fn::If nested 2,000 deep in a document", "error")
def _(b: TemplateBuilder) -> None:
    _in_document(lambda _: _deep({"Statement": []}, 2000, lambda v: {"Fn::If": ["C", v, v]}))(b)


@row("hostile", "Fn::Select nested 3,000 deep", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", _deep("x", 3000, lambda v: {"Fn::Select": [0, [v]]}))


@row("hostile", "Fn::If with two arguments", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::If": ["C", "x"]})


@row("hostile", "Fn::GetAtt without attribute", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::GetAtt": "NotesTable5678"})


@row("hostile", "Ref to nothing", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Ref": "Nothing"})


@row("hostile", "statement that is a list", "error")
def _(b: TemplateBuilder) -> None:
    b.statements(NOTES_POLICY).append(["Allow"])


@row("hostile", "PolicyDocument a string that is not JSON", "error")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_POLICY]["Properties"]["PolicyDocument"] = "{not json"


@row("hostile", "Properties not an object", "error")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"] = ["x"]


@row("hostile", "Resource an object that is no intrinsic", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"a": 1, "b": 2})


@row("hostile", "Fn::Sub with a non-string", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Sub": 5})


@row("hostile", "unknown Fn:: function in a Resource", "fail", "P14")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Evil": ["x"]})


@row("hostile", "NUL characters in an ARN", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/\x00\x00")


@row("hostile", "Statement as one object, not a list", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.resources["Extra0001"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "x",
            "Roles": [{"Ref": NOTES_ROLE}],
            "PolicyDocument": {
                "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
            },
        },
    }


@row("hostile", "PolicyDocument as a JSON string", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_POLICY]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:1:table/x"}
    )
    b.resources[NOTES_POLICY]["Properties"]["PolicyDocument"] = __import__("json").dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:1:table/x"}
            ]
        }
    )
