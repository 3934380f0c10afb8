"""Class ``trust`` of issue 21's table: trust wider than the function (P18)."""

from __future__ import annotations

import copy
from typing import Any

from perimeter_support import FILES_ROLE, NOTES_ROLE, TemplateBuilder, getatt

from .table import ACCOUNT, PARTITION, case

# == 2. trust wider than the function (P18) =========================================================

_TRUSTED: dict[str, tuple[str, Any]] = {
    "CDK AccountRootPrincipal (Fn::Join)": (
        "AWS",
        {"Fn::Join": ["", ["arn:", PARTITION, ":iam::", ACCOUNT, ":root"]]},
    ),
    "Ref AWS::AccountId": ("AWS", ACCOUNT),
    "Fn::Sub ...:root": ("AWS", {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}),
    "a bare account id": ("AWS", "123456789012"),
    "another account's root ARN": ("AWS", "arn:aws:iam::999999999999:root"),
    "another function's role": ("AWS", getatt(FILES_ROLE)),
    "a role ARN outside the assembly": ("AWS", "arn:aws:iam::123456789012:role/admin"),
    "AWS *": ("AWS", "*"),
    "another service": ("Service", "ecs-tasks.amazonaws.com"),
    "a second service in a list": ("Service", ["lambda.amazonaws.com", "states.amazonaws.com"]),
    "a federated principal": ("Federated", "cognito-identity.amazonaws.com"),
    "a SAML provider": ("Federated", "arn:aws:iam::123456789012:saml-provider/corp"),
    "a canonical user": ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
}


def _trust_case(label: str, kind: str, principal: Any) -> None:
    def apply(b: TemplateBuilder) -> None:
        b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {kind: copy.deepcopy(principal)}}
        )

    case("trust", f"trusts {label}", "fail", "P18", resource=NOTES_ROLE, mentions=("AssumeRolePolicyDocument",))(apply)


for _label, (_kind, _principal) in _TRUSTED.items():
    _trust_case(_label, _kind, _principal)


@case("trust", "Principal * string", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}
    )


@case("trust", "NotPrincipal", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": getatt(FILES_ROLE)}}
    )


@case("trust", "account root in an Fn::If branch of the principal", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Fn::If": ["C", {"Service": "lambda.amazonaws.com"}, {"AWS": ACCOUNT}]
    }


@case("trust", "account root through sts:TagSession only", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Principal": {"AWS": ACCOUNT}}
    )


@case("trust", "account root with a condition", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"AWS": ACCOUNT},
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "notes"}},
        }
    )


@case("trust", "the Lambda service through Fn::Sub URLSuffix", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Service": {"Fn::Sub": "lambda.${AWS::URLSuffix}"}
    }


@case("trust", "Lambda@Edge service too", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
    }


@case("trust", "a Deny for the account root adds no one", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}
    )
