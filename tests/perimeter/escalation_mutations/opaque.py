"""Class ``opaque`` of issue 21's table: opaque template features (P19)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
)

from .table import Assembly, Verdict, add, case

# == 3. opaque template features (P19) ===============================================================

_INCLUDE = {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/snippet.yaml"}}}


def _opaque_case(label: str, resource: str, place: Callable[[TemplateBuilder], None], code: str = "P19") -> None:
    case("opaque", label, "fail", code, function=resource, resource=resource, mentions=("Fn::Transform",))(place)


_opaque_case(
    "Fn::Transform beside a role's properties",
    NOTES_ROLE,
    lambda b: b.resources[NOTES_ROLE]["Properties"].update(copy.deepcopy(_INCLUDE)),
)
_opaque_case(
    "Fn::Transform as the role's inline Policies",
    NOTES_ROLE,
    lambda b: b.resources[NOTES_ROLE]["Properties"].update({"Policies": [copy.deepcopy(_INCLUDE)]}),
)
_opaque_case(
    "Fn::Transform as a trust policy statement",
    NOTES_ROLE,
    lambda b: b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        copy.deepcopy(_INCLUDE)
    ),
)
_opaque_case(
    "Fn::Transform in an IAM policy document",
    NOTES_POLICY,
    lambda b: b.resources[NOTES_POLICY]["Properties"].update({"PolicyDocument": copy.deepcopy(_INCLUDE)}),
)
_opaque_case(
    "Fn::Transform beside a function's properties",
    NOTES_FUNCTION,
    lambda b: b.resources[NOTES_FUNCTION]["Properties"].update(copy.deepcopy(_INCLUDE)),
)
_opaque_case(
    "Fn::Transform as a function's environment",
    NOTES_FUNCTION,
    lambda b: b.resources[NOTES_FUNCTION]["Properties"]["Environment"].update({"Variables": copy.deepcopy(_INCLUDE)}),
)
_opaque_case(
    "Fn::Transform in a bucket policy",
    BUCKET_POLICY,
    lambda b: b.resources[BUCKET_POLICY]["Properties"].update({"PolicyDocument": copy.deepcopy(_INCLUDE)}),
)
_opaque_case(
    "Fn::Transform beside a table's properties (its resource policy)",
    FILES_TABLE,
    lambda b: b.resources[FILES_TABLE]["Properties"].update(copy.deepcopy(_INCLUDE)),
)
_opaque_case(
    "Fn::Transform as a key policy statement",
    "FilesKey1111",
    lambda b: b.resources["FilesKey1111"]["Properties"]["KeyPolicy"]["Statement"].append(copy.deepcopy(_INCLUDE)),
)


def _runner_case(label: str, verdict: Verdict, make: Callable[[TemplateBuilder], Any]) -> None:
    case("opaque", label, verdict, "P19" if verdict == "fail" else "", function="Runner0001", resource="Runner0001")(
        make
    )


_runner_case(
    "a module",
    "fail",
    lambda b: add(b, "Runner0001", "MyOrg::Data::Bucket::MODULE", Name="x"),
)
_runner_case(
    "a StackSet handed a role",
    "fail",
    lambda b: add(
        b,
        "Runner0001",
        "AWS::CloudFormation::StackSet",
        StackSetName="s",
        PermissionModel="SELF_MANAGED",
        Parameters=[{"ParameterKey": "Role", "ParameterValue": getatt(NOTES_ROLE)}],
    ),
)
_runner_case(
    "a Service Catalog product handed a table",
    "fail",
    lambda b: add(
        b,
        "Runner0001",
        "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
        ProductName="p",
        ProvisioningParameters=[{"Key": "Table", "Value": {"Ref": FILES_TABLE}}],
    ),
)
_runner_case(
    "a private registry type handed a role",
    "fail",
    lambda b: add(b, "Runner0001", "MyOrg::IAM::Grant", RoleName={"Ref": NOTES_ROLE}, Action="s3:*"),
)
_runner_case(
    "a custom resource with a literal provider handed a role",
    "fail",
    lambda b: add(
        b,
        "Runner0001",
        "Custom::Grant",
        ServiceToken="arn:aws:lambda:us-east-1:123456789012:function:granter",
        Role={"Ref": NOTES_ROLE},
    ),
)


def _topic_served(b: TemplateBuilder) -> None:
    add(b, "Topic0001", "AWS::SNS::Topic")
    add(b, "Runner0001", "AWS::CloudFormation::CustomResource", ServiceToken={"Ref": "Topic0001"}, B={"Ref": BUCKET})


_runner_case("a custom resource served by a topic handed a bucket", "fail", _topic_served)
# Handed nothing, a StackSet is not opaque reach (no P19), but it can still move data by names the
# data-flow model cannot follow: it fails closed there (P14, 'Data flow' in docs/perimeter.md).
case("opaque", "a StackSet handed nothing", "fail", "P14", function="Runner0001", resource="Runner0001")(
    lambda b: add(b, "Runner0001", "AWS::CloudFormation::StackSet", StackSetName="s", PermissionModel="SELF_MANAGED")
)
_runner_case(
    "a custom resource served by a function of the template",
    "pass",
    lambda b: add(b, "Runner0001", "Custom::Seed", ServiceToken=getatt(FILES_FUNCTION), Table={"Ref": NOTES_TABLE}),
)


@case("opaque", "an external custom resource handed an imported role", "fail", "P19", function="Runner0001")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    other["Outputs"] = {"R": {"Value": getatt(NOTES_ROLE), "Export": {"Name": "other-notes-role"}}}
    add(
        b,
        "Runner0001",
        "Custom::Grant",
        ServiceToken="arn:aws:sns:us-east-1:1:t",
        R={"Fn::ImportValue": "other-notes-role"},
    )
    return {"stack": b.template, "other": other}


@case("opaque", "a custom resource served by another stack's function", "pass")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    other["Outputs"] = {"F": {"Value": getatt(FILES_FUNCTION), "Export": {"Name": "seeder"}}}
    add(b, "Runner0001", "Custom::Seed", ServiceToken={"Fn::ImportValue": "seeder"}, Table={"Ref": NOTES_TABLE})
    return {"stack": b.template, "other": other}
