"""Classes 7-8 of the adversarial table: whole assemblies, reach outside IAM."""

from __future__ import annotations

import copy
from typing import Any

from perimeter_support import (
    BUCKET,
    FILES_FUNCTION,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
    join,
)

from .resource_policies import _notes_role_named
from .table import Assembly, add, nested_child, parameter, row

# == 7. whole assemblies ============================================================================


def _two_stacks(b: TemplateBuilder, other: dict[str, Any]) -> Assembly:
    return {"stack": b.template, "other": other}


@row("assembly", "bucket policy in another stack names an exported role", "fail", "P07")
def _(b: TemplateBuilder) -> Assembly:
    b.template["Outputs"] = {"RoleArn": {"Value": getatt(NOTES_ROLE), "Export": {"Name": "notes-role-arn"}}}
    other = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Principal": {"AWS": {"Fn::ImportValue": "notes-role-arn"}},
                                "Resource": join(getatt("Bucket"), "/*"),
                            }
                        ]
                    },
                },
            },
        }
    }
    return _two_stacks(b, other)


@row("assembly", "key policy in another stack names the role by literal ARN", "fail", "P07")
def _(b: TemplateBuilder) -> Assembly:
    _notes_role_named(b)
    other = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "kms:Decrypt",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:role/notes-role"},
                                "Resource": "*",
                            }
                        ]
                    }
                },
            }
        }
    }
    return _two_stacks(b, other)


@row("assembly", "grant on a table imported from another stack", "fail", "P07")
def _(b: TemplateBuilder) -> Assembly:
    other = {
        "Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}},
        "Outputs": {"T": {"Value": getatt("Table"), "Export": {"Name": "other-table"}}},
    }
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::ImportValue": "other-table"})
    return _two_stacks(b, other)


@row("assembly", "role imported from another stack is followed", "fail", "P07")
def _(b: TemplateBuilder) -> Assembly:
    other = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [
                        {
                            "PolicyName": "p",
                            "PolicyDocument": {
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "dynamodb:GetItem",
                                        "Resource": "arn:aws:dynamodb:us-east-1:1:table/x",
                                    }
                                ]
                            },
                        }
                    ]
                },
            }
        },
        "Outputs": {"R": {"Value": getatt("Role"), "Export": {"Name": "other-role"}}},
    }
    b.resources[NOTES_FUNCTION]["Properties"]["Role"] = {"Fn::ImportValue": "other-role"}
    return _two_stacks(b, other)


@row("assembly", "nested stack whose template is missing", "fail", "P14", "Nested0001")
def _(b: TemplateBuilder) -> None:
    add(b, "Nested0001", "AWS::CloudFormation::Stack", TemplateURL="https://s3.amazonaws.com/x/y.json")


@row("assembly", "nested stack grants the parent's role through a parameter", "fail", "P07")
def _(b: TemplateBuilder) -> Assembly:
    add(b, "Nested0001", "AWS::CloudFormation::Stack", TemplateURL="x", Parameters={"Reader": getatt(NOTES_ROLE)})
    child = nested_child()
    return {"stack": b.template, "stack/Nested0001": child}


@row("assembly", "a function of another stack shares the data resource", "fail", "P13")
def _(b: TemplateBuilder) -> Assembly:
    b.template["Outputs"] = {"T": {"Value": getatt(NOTES_TABLE), "Export": {"Name": "notes-table"}}}
    other = copy.deepcopy(TemplateBuilder().template)
    other["Resources"]["FilesRoleDefaultPolicy6666"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::ImportValue": "notes-table"}}
    )
    return {"stack": b.template, "other": other}


# == 8. reach outside IAM ==========================================================================


@row("outside-iam", "access key id in an environment variable", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["KEY"] = "AKIAABCDEFGHIJKLMNOP"


@row("outside-iam", "AWS_SECRET_ACCESS_KEY variable", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["AWS_SECRET_ACCESS_KEY"] = parameter(b, "S")


@row("outside-iam", "an IAM access key resource passed in the environment", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    add(b, "User0001", "AWS::IAM::User")
    add(b, "Key0001", "AWS::IAM::AccessKey", UserName={"Ref": "User0001"})
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["K"] = getatt("Key0001", "SecretAccessKey")


@row("resource-policy", "S3 access point policy names the role", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Principal": {"AWS": getatt(NOTES_ROLE)}, "Resource": "*"}
        ]
    }
    add(b, "AccessPoint0002", "AWS::S3::AccessPoint", Bucket={"Ref": BUCKET}, Policy=document)


@row("outside-iam", "another service's secret as a dynamic reference", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["DB"] = (
        "{{resolve:secretsmanager:billing-db:SecretString:password}}"
    )


@row("outside-iam", "ssm-secure dynamic reference", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Environment"]["Variables"]["T"] = {
        "Fn::Sub": "{{resolve:ssm-secure:/x/${AWS::Region}}}"
    }


@row("outside-iam", "file system mounted by two functions", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    config = [{"Arn": getatt("AccessPoint0001"), "LocalMountPath": "/mnt/data"}]
    add(b, "AccessPoint0001", "AWS::EFS::AccessPoint", FileSystemId="fs-1")
    b.resources[NOTES_FUNCTION]["Properties"]["FileSystemConfigs"] = config
    b.resources[FILES_FUNCTION]["Properties"]["FileSystemConfigs"] = copy.deepcopy(config)


@row("outside-iam", "file system of one function only", "pass")
def _(b: TemplateBuilder) -> None:
    add(b, "AccessPoint0001", "AWS::EFS::AccessPoint", FileSystemId="fs-1")
    b.resources[NOTES_FUNCTION]["Properties"]["FileSystemConfigs"] = [
        {"Arn": getatt("AccessPoint0001"), "LocalMountPath": "/mnt/data"}
    ]
