"""Class ``computed-name`` of issue 21's table: computed names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_TABLE,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
)

from .table import add, case, role_named

# == 4. computed names ================================================================================


def _extra_role_policy(b: TemplateBuilder, role_name: Any) -> None:
    grant = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
    add(
        b,
        "Extra0001",
        "AWS::IAM::RolePolicy",
        RoleName=role_name,
        PolicyName="x",
        PolicyDocument={"Statement": [grant]},
    )


_COMPUTED: dict[str, Callable[[TemplateBuilder], Any]] = {
    "Fn::Join of literals": lambda b: {"Fn::Join": ["-", ["notes", "role"]]},
    "Fn::Sub with a literal variable": lambda b: {"Fn::Sub": ["notes-${Kind}", {"Kind": "role"}]},
    "Fn::FindInMap with literal keys": lambda b: (
        b.template.setdefault("Mappings", {}).update({"Names": {"Roles": {"Notes": "notes-role"}}}),
        {"Fn::FindInMap": ["Names", "Roles", "Notes"]},
    )[1],
    "Fn::If of two literals": lambda b: {"Fn::If": ["C", "notes-blue", "notes-role"]},
    "Fn::Select of a literal list": lambda b: {"Fn::Select": [1, ["x", "notes-role"]]},
    "Fn::Join of Fn::Split of a literal": lambda b: {"Fn::Join": ["-", {"Fn::Split": [",", "notes,role"]}]},
    "a parameter with a default (may be overridden)": lambda b: (
        b.template.setdefault("Parameters", {}).update({"NotesRoleName": {"Type": "String", "Default": "notes-role"}}),
        {"Ref": "NotesRoleName"},
    )[1],
    "the stack name": lambda b: {"Fn::Sub": "${AWS::StackName}-role"},
}


def _computed_case(label: str, make: Callable[[TemplateBuilder], Any]) -> None:
    def role_policy(b: TemplateBuilder) -> None:
        role_named(b, NOTES_ROLE, make(b))
        _extra_role_policy(b, "notes-role")

    def iam_policy(b: TemplateBuilder) -> None:
        role_named(b, NOTES_ROLE, make(b))
        grant = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
        add(
            b,
            "Extra0001",
            "AWS::IAM::Policy",
            Roles=["notes-role"],
            PolicyName="x",
            PolicyDocument={"Statement": [grant]},
        )

    def bucket_principal(b: TemplateBuilder) -> None:
        role_named(b, NOTES_ROLE, make(b))
        b.statements(BUCKET_POLICY).append(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/notes-role"},
                "Resource": {"Fn::Join": ["", [getatt(BUCKET), "/files/*"]]},
            }
        )

    case("computed-name", f"RoleName {label}, RolePolicy by the literal name", "fail", "P07")(role_policy)
    case("computed-name", f"RoleName {label}, IAM Policy Roles by the literal name", "fail", "P07")(iam_policy)
    case("computed-name", f"RoleName {label}, bucket policy principal by the literal ARN", "fail", "P10")(
        bucket_principal
    )


for _label, _make in _COMPUTED.items():
    _computed_case(_label, _make)


@case("computed-name", "folded RoleName, a policy for another literal name attaches to nothing here", "pass")
def _(b: TemplateBuilder) -> None:
    role_named(b, NOTES_ROLE, {"Fn::Join": ["-", ["notes", "role"]]})
    _extra_role_policy(b, "billing-role")


@case("computed-name", "computed FunctionName, UpdateFunctionCode by the literal ARN", "fail", "P17")
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_FUNCTION]["Properties"]["FunctionName"] = {"Fn::Join": ["-", ["files", "fn"]]}
    b.allow(
        NOTES_POLICY,
        "lambda:UpdateFunctionCode",
        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:files-fn"},
    )


@case("computed-name", "dangling Ref in the template's Conditions", "error")
def _(b: TemplateBuilder) -> None:
    b.template["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}


@case("computed-name", "Ref to a resource in the template's Conditions", "error")
def _(b: TemplateBuilder) -> None:
    b.template["Conditions"] = {"HasTable": {"Fn::Not": [{"Fn::Equals": [{"Ref": NOTES_TABLE}, ""]}]}}


@case("computed-name", "dangling Ref in a statement's Condition", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(
        NOTES_POLICY,
        "dynamodb:GetItem",
        getatt(NOTES_TABLE),
        Condition={"StringEquals": {"aws:SourceVpc": {"Ref": "Vpc"}}},
    )


@case("computed-name", "dangling Fn::Sub in a statement's Condition", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(
        NOTES_POLICY,
        "dynamodb:GetItem",
        getatt(NOTES_TABLE),
        Condition={"ArnEquals": {"aws:SourceArn": {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Q}"}}},
    )


@case("computed-name", "Conditions naming a parameter and a pseudo parameter", "pass")
def _(b: TemplateBuilder) -> None:
    b.template.setdefault("Parameters", {})["Stage"] = {"Type": "String", "Default": "dev"}
    b.template["Conditions"] = {
        "IsProd": {
            "Fn::And": [{"Fn::Equals": [{"Ref": "Stage"}, "prod"]}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "x"]}]
        }
    }
