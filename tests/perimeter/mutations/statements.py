"""Classes 1-3 of the adversarial table: unresolved intrinsics, NoValue beside a Not- form, ARNs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perimeter_support import (
    FILES_KEY,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
    join,
)

from .table import FILES_DLQ, FILES_LOGS, parameter, row, statement, table_row

# == 1. intrinsics the analyzer cannot resolve, in every position of a statement ==============

#: Values that hide what they are: each must be a P14 wherever it stands.
_HIDDEN: dict[str, Callable[[TemplateBuilder], Any]] = {
    "Fn::Transform": lambda b: {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://x/y"}}},
    "Fn::ImportValue": lambda b: {"Fn::ImportValue": "other-stack-value"},
    "Ref parameter": lambda b: parameter(b, "Hidden"),
    "Fn::Sub of a parameter": lambda b: {"Fn::Sub": ["${P}", {"P": parameter(b, "HiddenSub")}]},
    "Fn::Select over a parameter list": lambda b: {"Fn::Select": [0, parameter(b, "HiddenList", "CommaDelimitedList")]},
    "Fn::Select over Fn::Split of an import": lambda b: {
        "Fn::Select": [1, {"Fn::Split": [",", {"Fn::ImportValue": "csv"}]}]
    },
    "Fn::Base64": lambda b: {"Fn::Base64": "x"},
    "Fn::FindInMap with a parameter key": lambda b: {"Fn::FindInMap": ["M", parameter(b, "HiddenKey"), "k"]},
}


def _in_action(make: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], None]:
    def apply(b: TemplateBuilder) -> None:
        b.allow(NOTES_POLICY, make(b), getatt(NOTES_TABLE))

    return apply


def _in_resource(make: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], None]:
    def apply(b: TemplateBuilder) -> None:
        b.allow(NOTES_POLICY, "dynamodb:GetItem", make(b))

    return apply


def _in_effect(make: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], None]:
    def apply(b: TemplateBuilder) -> None:
        statement(b, NOTES_POLICY, Effect=make(b), Action="dynamodb:GetItem", Resource=getatt(NOTES_TABLE))

    return apply


def _in_statement(make: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], None]:
    def apply(b: TemplateBuilder) -> None:
        b.statements(NOTES_POLICY).append(make(b))

    return apply


def _in_document(make: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], None]:
    def apply(b: TemplateBuilder) -> None:
        b.resources["Extra0001"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": "x", "PolicyDocument": make(b), "Roles": [{"Ref": NOTES_ROLE}]},
        }

    return apply


def _in_principal(make: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], None]:
    def apply(b: TemplateBuilder) -> None:
        b.statements(FILES_KEY, "KeyPolicy").append(
            {"Effect": "Allow", "Action": "kms:Decrypt", "Principal": {"AWS": make(b)}, "Resource": "*"}
        )

    return apply


for _name, _make in _HIDDEN.items():
    for _position, _wrap in (
        ("Action", _in_action),
        ("Resource", _in_resource),
        ("Effect", _in_effect),
        ("Statement", _in_statement),
        ("PolicyDocument", _in_document),
        ("Principal", _in_principal),
    ):
        table_row("unresolved-intrinsic", f"{_position} is {_name}", "fail", "P14", _wrap(_make))


@row("unresolved-intrinsic", "Effect Fn::If Allow/Deny over a foreign table", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    statement(
        b,
        NOTES_POLICY,
        Effect={"Fn::If": ["C", "Allow", "Deny"]},
        Action="dynamodb:GetItem",
        Resource=getatt(FILES_TABLE),
    )


@row("unresolved-intrinsic", "Action Fn::If of two literals (both analyzed)", "fail", "P08")
def _(b: TemplateBuilder) -> None:
    b.reach(NOTES_FUNCTION, NOTES_TABLE)["access"] = "read"
    b.allow(NOTES_POLICY, {"Fn::If": ["C", "dynamodb:GetItem", "dynamodb:PutItem"]}, getatt(NOTES_TABLE))


@row("unresolved-intrinsic", "Resource Fn::If own or foreign table", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::If": ["C", getatt(NOTES_TABLE), getatt(FILES_TABLE)]})


@row("unresolved-intrinsic", "Fn::If inside Fn::Join picks a foreign table", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.allow(
        NOTES_POLICY, "dynamodb:GetItem", join({"Fn::If": ["C", getatt(NOTES_TABLE), getatt(FILES_TABLE)]}, "/index/x")
    )


@row("unresolved-intrinsic", "PolicyDocument Fn::If with a foreign grant", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    good = {"Statement": []}
    bad = {"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}]}
    _in_document(lambda _: {"Fn::If": ["C", good, bad]})(b)


@row("unresolved-intrinsic", "Statement item Fn::If with a foreign grant", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.statements(NOTES_POLICY).append(
        {
            "Fn::If": [
                "C",
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)},
                {"Ref": "AWS::NoValue"},
            ]
        }
    )


@row("unresolved-intrinsic", "Effect of a non-literal Fn::Sub", "fail", "P14")
def _(b: TemplateBuilder) -> None:
    statement(
        b,
        NOTES_POLICY,
        Effect={"Fn::Sub": "Al${AWS::NoValue}low"},
        Action="dynamodb:GetItem",
        Resource=getatt(NOTES_TABLE),
    )


@row("unresolved-intrinsic", "64+ alternatives of nested Fn::If", "fail", "P14")
def _(b: TemplateBuilder) -> None:
    choice = {"Fn::If": ["C", "a", "b"]}
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Join": ["", [getatt(NOTES_TABLE), "/index/"] + [choice] * 8]})


@row("unresolved-intrinsic", "statement without Effect", "fail", "P14")
def _(b: TemplateBuilder) -> None:
    statement(b, NOTES_POLICY, Action="dynamodb:GetItem", Resource=getatt(NOTES_TABLE))


# == 2. NoValue next to a Not- form ==============================================================

_NO_VALUE = {"Ref": "AWS::NoValue"}


@row("no-value", "Action NoValue beside NotAction", "fail", "P11")
def _(b: TemplateBuilder) -> None:
    statement(b, NOTES_POLICY, Effect="Allow", Action=_NO_VALUE, NotAction="iam:*", Resource=getatt(NOTES_TABLE))


@row("no-value", "Resource NoValue beside NotResource", "fail", "P12")
def _(b: TemplateBuilder) -> None:
    statement(
        b, NOTES_POLICY, Effect="Allow", Action="dynamodb:GetItem", Resource=_NO_VALUE, NotResource=getatt(NOTES_TABLE)
    )


@row("no-value", "Action Fn::If NoValue beside NotAction Fn::If", "fail", "P11")
def _(b: TemplateBuilder) -> None:
    statement(
        b,
        NOTES_POLICY,
        Effect="Allow",
        Action={"Fn::If": ["C", _NO_VALUE, "dynamodb:GetItem"]},
        NotAction={"Fn::If": ["C", "iam:*", _NO_VALUE]},
        Resource=getatt(NOTES_TABLE),
    )


@row("no-value", "Resource list of NoValue items beside NotResource", "fail", "P12")
def _(b: TemplateBuilder) -> None:
    statement(
        b, NOTES_POLICY, Effect="Allow", Action="dynamodb:GetItem", Resource=[_NO_VALUE], NotResource="arn:aws:s3:::x"
    )


@row("no-value", "NotAction and Action both present", "fail", "P11")
def _(b: TemplateBuilder) -> None:
    statement(
        b, NOTES_POLICY, Effect="Allow", Action="dynamodb:GetItem", NotAction="s3:*", Resource=getatt(NOTES_TABLE)
    )


@row("no-value", "NoValue statement is dropped (nothing granted)", "pass")
def _(b: TemplateBuilder) -> None:
    b.statements(NOTES_POLICY).append(_NO_VALUE)


# == 3. ARNs: region and account =================================================================

_SERVICES: dict[str, tuple[str, str, str]] = {
    # service: (action, resource text after the account field, the foreign resource it names)
    "dynamodb": ("dynamodb:GetItem", "table/files", FILES_TABLE),
    "sqs": ("sqs:SendMessage", "files-dlq", FILES_DLQ),
    "logs": ("logs:PutLogEvents", "log-group:/aws/lambda/files", FILES_LOGS),
}


def _named(b: TemplateBuilder) -> None:
    b.resources[FILES_TABLE]["Properties"]["TableName"] = "files"
    b.resources[FILES_DLQ]["Properties"]["QueueName"] = "files-dlq"
    b.resources[FILES_LOGS]["Properties"]["LogGroupName"] = "/aws/lambda/files"


def _arn_row(service: str, region: str, account: str, code: str, label: str) -> None:
    action, tail, _ = _SERVICES[service]

    def apply(b: TemplateBuilder) -> None:
        _named(b)
        parameter(b, "Stage")
        b.allow(NOTES_POLICY, action, {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:{region}:{account}:{tail}"})

    table_row("arn-region-account", f"{service} {label}", "fail", code, apply)


for _service in _SERVICES:
    _arn_row(_service, "${AWS::Region}", "${AWS::AccountId}", "P07", "own region and account (foreign name)")
    _arn_row(_service, "*", "${AWS::AccountId}", "P12", "any region")
    _arn_row(_service, "${AWS::Region}", "*", "P12", "any account")
    _arn_row(_service, "us-east-1", "${AWS::AccountId}", "P07", "literal other region")
    _arn_row(_service, "${AWS::Region}", "999999999999", "P07", "literal other account")
    _arn_row(_service, "${Stage}", "${AWS::AccountId}", "P14", "parameter region")


def _own_name_elsewhere(b: TemplateBuilder) -> None:
    b.resources[NOTES_TABLE]["Properties"]["TableName"] = "notes"
    b.allow(NOTES_POLICY, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:999999999999:table/notes")


table_row(
    "arn-region-account", "own table name in another account is not the own table", "fail", "P07", _own_name_elsewhere
)


@row("arn-region-account", "own table name in any region is a wildcard", "fail", "P12")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_TABLE]["Properties"]["TableName"] = "notes"
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Sub": "arn:aws:dynamodb:*:${AWS::AccountId}:table/notes"})
