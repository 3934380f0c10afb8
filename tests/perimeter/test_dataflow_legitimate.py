"""The data-flow model accepts three legitimate patterns, and follows replication across stacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataflow_support import _bucket, _flows, add, declare, role
from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_KEY,
    FILES_POLICY,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    TemplateBuilder,
    getatt,
    join,
)
from secure_serverless_checks.perimeter import analyze

# -- three legitimate patterns, accepted -------------------------------------------------------


def _invoke_files_through(b: TemplateBuilder, resource: Any) -> None:
    declare(b, NOTES_FUNCTION, kind="lambda-function", resource=FILES_FUNCTION, access="invoke")
    b.allow(NOTES_POLICY, "lambda:InvokeFunction", resource)


def _alias(b: TemplateBuilder) -> None:
    add(b, "FilesVersion", "AWS::Lambda::Version", FunctionName={"Ref": FILES_FUNCTION})
    add(
        b,
        "FilesAlias",
        "AWS::Lambda::Alias",
        FunctionName={"Ref": FILES_FUNCTION},
        Name="live",
        FunctionVersion=getatt("FilesVersion", "Version"),
    )


def _user(b: TemplateBuilder) -> None:
    add(b, "Auditor", "AWS::IAM::User")


def _bucket_statement(principal: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": join(getatt(BUCKET), "/files/*"),
    }


def _oai(b: TemplateBuilder) -> None:
    add(
        b,
        "Identity",
        "AWS::CloudFront::CloudFrontOriginAccessIdentity",
        CloudFrontOriginAccessIdentityConfig={"Comment": "site"},
    )


LEGITIMATE: dict[str, Callable[[TemplateBuilder], None]] = {
    "invoke a declared function through an alias (Ref)": lambda b: (
        _alias(b),
        _invoke_files_through(b, {"Ref": "FilesAlias"}),
    ),
    "invoke a declared function through a version (Ref)": lambda b: (
        _alias(b),
        _invoke_files_through(b, {"Ref": "FilesVersion"}),
    ),
    "invoke a declared function through an alias (AliasArn)": lambda b: (
        _alias(b),
        _invoke_files_through(b, getatt("FilesAlias", "AliasArn")),
    ),
    "an IAM user of the template in a bucket policy": lambda b: (
        _user(b),
        b.statements(BUCKET_POLICY).append(_bucket_statement({"AWS": getatt("Auditor")})),
    ),
    "an IAM user spelled out as an ARN in a bucket policy": lambda b: (
        _user(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${Auditor}"}})
        ),
    ),
    "an IAM user of the template in a key policy": lambda b: (
        _user(b),
        b.statements(FILES_KEY, "KeyPolicy").append(
            {"Effect": "Allow", "Principal": {"AWS": getatt("Auditor")}, "Action": "kms:Decrypt", "Resource": "*"}
        ),
    ),
    "a CloudFront origin access identity by IAM ARN (Fn::Join)": lambda b: (
        _oai(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement(
                {
                    "AWS": join(
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":iam::cloudfront:user/CloudFront Origin Access Identity ",
                        {"Ref": "Identity"},
                    )
                }
            )
        ),
    ),
    "a CloudFront origin access identity by IAM ARN (Fn::Sub)": lambda b: (
        _oai(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement(
                {
                    "AWS": {
                        "Fn::Sub": (
                            "arn:${AWS::Partition}:iam::cloudfront:user/CloudFront Origin Access Identity ${Identity}"
                        )
                    }
                }
            )
        ),
    ),
    "a CloudFront origin access identity by S3CanonicalUserId": lambda b: (
        _oai(b),
        b.statements(BUCKET_POLICY).append(
            _bucket_statement({"CanonicalUser": getatt("Identity", "S3CanonicalUserId")})
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(LEGITIMATE))
def test_a_legitimate_pattern_is_accepted(name: str) -> None:
    builder = TemplateBuilder()
    LEGITIMATE[name](builder)

    report = builder.analyze()

    assert report.violations == (), report.to_text()


def test_an_alias_of_an_undeclared_function_is_still_undeclared_reach() -> None:
    builder = TemplateBuilder()
    _alias(builder)
    builder.allow(NOTES_POLICY, "lambda:InvokeFunction", {"Ref": "FilesAlias"})

    assert builder.analyze().find("P07", NOTES_FUNCTION, f"{FILES_FUNCTION}:live"), builder.analyze().to_text()


def test_a_role_spelled_as_a_user_arn_is_not_taken_for_a_user() -> None:
    """A user ARN naming no user of the template is still unresolved (fail closed)."""
    builder = TemplateBuilder()
    builder.statements(BUCKET_POLICY).append(
        _bucket_statement(
            {"AWS": {"Fn::Sub": ["arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${N}", {"N": {"Ref": FILES_ROLE}}]}}
        )
    )

    assert [v for v in builder.analyze().violations if v.rule.code == "P14"]


_UNUSED = (FILES_POLICY, FILES_TABLE)


def test_replication_into_a_bucket_of_another_stack_is_followed_by_its_global_name() -> None:
    """A replica in a stack of another region is named by ARN (bucket names are global)."""
    source, replica = TemplateBuilder(), TemplateBuilder()
    _bucket(replica)["BucketName"] = {"Fn::Sub": "mirror-${AWS::AccountId}"}
    _bucket(source)["ReplicationConfiguration"] = {
        "Role": role(source, "ReplicationRole", "s3.amazonaws.com"),
        "Rules": [
            {
                "Status": "Enabled",
                "Filter": {"Prefix": "files/"},
                "Destination": {"Bucket": {"Fn::Sub": "arn:${AWS::Partition}:s3:::mirror-${AWS::AccountId}"}},
            }
        ],
    }
    report = analyze({"source": source.template, "replica": replica.template})

    found = [v for v in _flows(report) if v.template == "replica" and v.function == FILES_FUNCTION]
    assert found and "replication rule" in found[0].message, report.to_text()
    assert found[0].resource == f"source/{BUCKET}/files/"
