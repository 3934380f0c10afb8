"""Class ``credentials`` of issue 21's table: credentials handed to a function."""

from __future__ import annotations

import copy
from typing import Any

from perimeter_support import FILES_TABLE, NOTES_FUNCTION, NOTES_ROLE, TemplateBuilder, getatt

from .table import Assembly, add, case

# == 5. credentials handed to a function ==============================================================

_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def _env(b: TemplateBuilder, name: str, value: Any, function: str = NOTES_FUNCTION) -> None:
    b.resources[function]["Properties"]["Environment"]["Variables"][name] = value


def _user_with_key(b: TemplateBuilder, statement: dict[str, Any] | None = None, *, via: str = "inline") -> None:
    """An IAM user (its reach: GetItem on the files table, or ``statement``) and an access key of it."""
    grant = statement or {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
    document = {"Statement": [grant]}
    if via == "inline":
        add(b, "User0001", "AWS::IAM::User", Policies=[{"PolicyName": "p", "PolicyDocument": document}])
    elif via == "policy":
        add(b, "User0001", "AWS::IAM::User")
        add(
            b,
            "UserPolicy0001",
            "AWS::IAM::Policy",
            PolicyName="p",
            Users=[{"Ref": "User0001"}],
            PolicyDocument=document,
        )
    elif via == "group":
        add(b, "Group0001", "AWS::IAM::Group", Policies=[{"PolicyName": "p", "PolicyDocument": document}])
        add(b, "User0001", "AWS::IAM::User", Groups=[{"Ref": "Group0001"}])
    elif via == "group addition":
        add(b, "Group0001", "AWS::IAM::Group")
        add(b, "User0001", "AWS::IAM::User")
        add(
            b,
            "Addition0001",
            "AWS::IAM::UserToGroupAddition",
            GroupName={"Ref": "Group0001"},
            Users=[{"Ref": "User0001"}],
        )
        add(
            b,
            "GroupPolicy0001",
            "AWS::IAM::Policy",
            PolicyName="p",
            Groups=[{"Ref": "Group0001"}],
            PolicyDocument=document,
        )
    add(b, "Key0001", "AWS::IAM::AccessKey", UserName={"Ref": "User0001"})


@case("credentials", "a key id from Mappings with literal keys", "fail", "P16", mentions=("Environment.CONFIG",))
def _(b: TemplateBuilder) -> None:
    b.template["Mappings"] = {"Cfg": {"prod": {"id": _KEY_ID}}}
    _env(b, "CONFIG", {"Fn::FindInMap": ["Cfg", "prod", "id"]})


@case("credentials", "a key id from Mappings with a parameter key", "fail", "P16", mentions=("mapping Cfg",))
def _(b: TemplateBuilder) -> None:
    b.template["Mappings"] = {"Cfg": {"prod": {"id": _KEY_ID}, "dev": {"id": "none"}}}
    b.template.setdefault("Parameters", {})["Stage"] = {"Type": "String", "Default": "dev"}
    _env(b, "CONFIG", {"Fn::FindInMap": ["Cfg", {"Ref": "Stage"}, "id"]})


@case("credentials", "a key id as a parameter default", "fail", "P16", mentions=("parameter Upstream",))
def _(b: TemplateBuilder) -> None:
    b.template.setdefault("Parameters", {})["Upstream"] = {"Type": "String", "Default": _KEY_ID}
    _env(b, "UPSTREAM", {"Ref": "Upstream"})


@case("credentials", "a key id inside Fn::Sub with a parameter default", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    b.template.setdefault("Parameters", {})["Upstream"] = {"Type": "String", "Default": _KEY_ID}
    _env(b, "UPSTREAM", {"Fn::Sub": "id=${Upstream}"})


@case("credentials", "a key id in an Fn::If branch", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    _env(b, "UPSTREAM", {"Fn::If": ["C", "none", _KEY_ID]})


@case("credentials", "a key id in inline code", "fail", "P16", mentions=("Code.ZipFile",))
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {"ZipFile": f"KEY = '{_KEY_ID}'\ndef handler(e, c): pass\n"}


@case("credentials", "a key id in inline code built with Fn::Join", "fail", "P16", mentions=("Code.ZipFile",))
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {
        "ZipFile": {"Fn::Join": ["\n", ["import os", f"K='{_KEY_ID}'"]]}
    }


@case(
    "credentials",
    "an in-template key in an Fn::If branch: its user's reach counts",
    "fail",
    "P07",
    resource=FILES_TABLE,
)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
    _env(b, "UPSTREAM", {"Fn::If": ["C", "none", {"Ref": "Key0001"}]})


@case(
    "credentials", "SecretAccessKey of an in-template key: its user's reach counts", "fail", "P07", resource=FILES_TABLE
)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
    _env(b, "UPSTREAM_SECRET", getatt("Key0001", "SecretAccessKey"))


@case("credentials", "the key's user may rewrite the function's role", "fail", "P17", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": getatt(NOTES_ROLE)})
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "the user's reach through an IAM Policy naming it", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, via="policy")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "the user's reach through its group", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, via="group")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "the user's reach through a group addition", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, via="group addition")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "an in-template key in inline code (Fn::Sub)", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {
        "ZipFile": {"Fn::Sub": "ID='${Key0001}'\nSECRET='${Key0001.SecretAccessKey}'\n"}
    }


@case("credentials", "another stack's key through Fn::ImportValue", "fail", "P16", mentions=("other/Key0001",))
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    helper = TemplateBuilder()
    helper.template = other
    _user_with_key(helper)
    other["Outputs"] = {"K": {"Value": {"Ref": "Key0001"}, "Export": {"Name": "ci-key"}}}
    _env(b, "K", {"Fn::ImportValue": "ci-key"})
    return {"stack": b.template, "other": other}


@case("credentials", "another stack's key: its user's reach counts", "fail", "P07", resource="other/FilesTable2222")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    helper = TemplateBuilder()
    helper.template = other
    _user_with_key(helper)
    other["Outputs"] = {"K": {"Value": getatt("Key0001", "SecretAccessKey"), "Export": {"Name": "ci-secret"}}}
    _env(b, "K", {"Fn::ImportValue": "ci-secret"})
    return {"stack": b.template, "other": other}


@case("credentials", "another stack's literal key id through Fn::ImportValue", "fail", "P16")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    other["Outputs"] = {"K": {"Value": _KEY_ID, "Export": {"Name": "ci-key-id"}}}
    _env(b, "K", {"Fn::ImportValue": "ci-key-id"})
    return {"stack": b.template, "other": other}


@case("credentials", "a key whose user is outside the assembly", "fail", "P16", mentions=("not in the assembly",))
def _(b: TemplateBuilder) -> None:
    add(b, "Key0001", "AWS::IAM::AccessKey", UserName="ci-user")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "an in-template user that no function holds a key of", "pass")
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
