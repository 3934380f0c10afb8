"""Classes 5-6 of the adversarial table: declared metadata that excuses too much, computed roles."""

from __future__ import annotations

import copy
from typing import Any

from perimeter_support import (
    FILES_FUNCTION,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
)

from .resource_policies import _notes_role_named
from .table import ARN_HEAD, FILES_LOGS, add, declare, extra_policy, parameter, record_wildcard, row, table_row

# == 5. declared metadata that excuses too much ====================================================


@row("metadata-excuse", "wildcard entry for a data action on *", "fail", "P12")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", "*")
    record_wildcard(b, NOTES_FUNCTION, ["dynamodb:GetItem"])


@row("metadata-excuse", "wildcard entry for a data action is itself invalid", "fail", "P02")
def _(b: TemplateBuilder) -> None:
    record_wildcard(b, NOTES_FUNCTION, ["dynamodb:Scan"])


@row("metadata-excuse", "wildcard entry of a wildcard action", "fail", "P11")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "xray:*", "*")
    record_wildcard(b, NOTES_FUNCTION, ["xray:*"])


@row("metadata-excuse", "wildcard entry on an account-wide table pattern", "fail", "P12")
def _(b: TemplateBuilder) -> None:
    arn = {"Fn::Sub": ARN_HEAD % "dynamodb" + "table/*"}
    b.allow(NOTES_POLICY, "dynamodb:GetItem", arn)
    record_wildcard(b, NOTES_FUNCTION, ["dynamodb:GetItem"], ARN_HEAD % "dynamodb" + "table/*")


@row("metadata-excuse", "wildcard reach makes the other function's table shared", "fail", "P13", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", "*")


@row("metadata-excuse", "star action on star reaches every key", "fail", "P13", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "*", "*")


@row("metadata-excuse", "log group shared by two functions", "fail", "P13", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="log-group", resource=FILES_LOGS, access="write", shared=True)
    b.allow(NOTES_POLICY, ["logs:CreateLogStream", "logs:PutLogEvents"], getatt(FILES_LOGS))


@row("metadata-excuse", "shared declared on one side only", "fail", "P13")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="dynamodb-table", resource=FILES_TABLE, access="read", shared=True)
    b.allow(NOTES_POLICY, "dynamodb:GetItem", getatt(FILES_TABLE))


@row("metadata-excuse", "version 2 shared without share_reason", "fail", "P02")
def _(b: TemplateBuilder) -> None:
    b.perimeter(NOTES_FUNCTION)["version"] = 2


@row("metadata-excuse", "version 2 shared with share_reason on both sides", "pass")
def _(b: TemplateBuilder) -> None:
    for function in (NOTES_FUNCTION, FILES_FUNCTION):
        b.perimeter(function)["version"] = 2
        b.reach(function, "UploadsKey8888")["share_reason"] = "one key encrypts the shared uploads bucket"


@row("metadata-excuse", "unknown version", "fail", "P02")
def _(b: TemplateBuilder) -> None:
    b.perimeter(NOTES_FUNCTION)["version"] = 3


@row("metadata-excuse", "declared kind of another type", "fail", "P02")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="secret", resource=NOTES_TABLE, access="read")


# == 6. computed roles and roles shared with other compute ==========================================


@row("computed-role", "policy Roles by a computed RoleName", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    _notes_role_named(b, {"Fn::Sub": "${AWS::StackName}-notes"})
    extra_policy(b, [{"Fn::Sub": "${AWS::StackName}-notes"}])


@row("computed-role", "policy Roles by a parameter", "fail", "P14")
def _(b: TemplateBuilder) -> None:
    extra_policy(b, [parameter(b, "RoleName")])


@row("computed-role", "RolePolicy RoleName by a literal name", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    _notes_role_named(b)
    add(
        b,
        "Extra0001",
        "AWS::IAM::RolePolicy",
        RoleName="notes-role",
        PolicyName="x",
        PolicyDocument={
            "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}]
        },
    )


@row("computed-role", "policy Roles as Fn::If of two roles", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    extra_policy(b, [{"Fn::If": ["C", {"Ref": FILES_ROLE}, {"Ref": NOTES_ROLE}]}])


@row("computed-role", "function Role as Fn::If of two roles", "fail", "P03")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Role"] = {"Fn::If": ["C", getatt(NOTES_ROLE), getatt(FILES_ROLE)]}


@row("computed-role", "function Role by a parameter", "fail", "P03")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Role"] = parameter(b, "RoleArn")


_COMPUTE: dict[str, tuple[str, dict[str, Any]]] = {
    "SAM function": ("AWS::Serverless::Function", {"Role": getatt(NOTES_ROLE)}),
    "Step Functions state machine": ("AWS::StepFunctions::StateMachine", {"RoleArn": getatt(NOTES_ROLE)}),
    "ECS task role": ("AWS::ECS::TaskDefinition", {"TaskRoleArn": getatt(NOTES_ROLE)}),
    "CodeBuild project": ("AWS::CodeBuild::Project", {"ServiceRole": getatt(NOTES_ROLE)}),
    "EC2 instance profile": ("AWS::EC2::InstanceProfile", {"Roles": [{"Ref": NOTES_ROLE}]}),
    "EventBridge Pipe": ("AWS::Pipes::Pipe", {"RoleArn": getatt(NOTES_ROLE)}),
    "Glue job": ("AWS::Glue::Job", {"Role": {"Ref": NOTES_ROLE}}),
}


def _compute_row(label: str, resource_type: str, properties: dict[str, Any]) -> None:
    def apply(b: TemplateBuilder) -> None:
        add(b, "Compute0001", resource_type, **copy.deepcopy(properties))

    table_row("shared-compute", f"role also used by a {label}", "fail", "P04", apply)


for _label, (_type, _properties) in _COMPUTE.items():
    _compute_row(_label, _type, _properties)


@row("shared-compute", "untransformed SAM template", "fail", "P14", "Transform")
def _(b: TemplateBuilder) -> None:
    b.template["Transform"] = "AWS::Serverless-2016-10-31"
