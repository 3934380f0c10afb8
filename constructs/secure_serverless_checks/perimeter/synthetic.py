"""Synthetic cloud assemblies of N compliant functions, for benchmarks and scale tests.

Each function gets what the kit gives one: a role, its default policy, a table with an index,
a KMS key, a dead-letter queue and a log group, so N functions are about 7 x N resources
(500 functions: 3,500 resources). The shapes are the ones CDK synthesizes.

With ``shared_bucket=True`` every stack also has one bucket and its key, and each function reads
and writes its own prefix of that bucket (``F0001/``) and uses the bucket's key (declared
shared): the shape whose cross-function check once grew with the square of the functions.

    from secure_serverless_checks.perimeter import analyze
    from secure_serverless_checks.perimeter.synthetic import synthetic_assembly
    report = analyze(synthetic_assembly(functions=500))
"""

from __future__ import annotations

from typing import Any

from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY, actions_for

_XRAY = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def synthetic_assembly(*, functions: int, stacks: int = 1, shared_bucket: bool = False) -> dict[str, dict[str, Any]]:
    """``{stack name: template}`` with ``functions`` compliant functions spread over ``stacks``."""
    templates: dict[str, dict[str, Any]] = {}
    for stack in range(stacks):
        resources: dict[str, Any] = _shared_bucket() if shared_bucket else {}
        for number in range(stack, functions, stacks):
            function = _function(number)
            if shared_bucket:
                _add_prefix(function, f"F{number:04d}")
            resources.update(function)
        templates[f"Synthetic{stack}"] = {"Resources": resources}
    return templates


_BUCKET, _BUCKET_KEY = "SharedBucket", "SharedBucketKey"
_SHARE_REASON = "one bucket for every function, each under its own prefix"


def _shared_bucket() -> dict[str, Any]:
    return {
        _BUCKET_KEY: {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
        _BUCKET: {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": _getatt(_BUCKET_KEY),
                            }
                        }
                    ]
                }
            },
        },
    }


def _add_prefix(resources: dict[str, Any], name: str) -> None:
    """Give function ``name`` read-write on its own prefix of the shared bucket, and the bucket's key."""
    prefix = f"{name}/"
    statements = resources[f"{name}RoleDefaultPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements.append(
        {
            "Action": list(actions_for("s3-prefix", "read-write")),
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [_getatt(_BUCKET), f"/{prefix}*"]]},
        }
    )
    statements.append(
        {"Action": list(actions_for("kms-key", "encrypt-decrypt")), "Effect": "Allow", "Resource": _getatt(_BUCKET_KEY)}
    )
    reach = resources[f"{name}Function"]["Metadata"][PERIMETER_METADATA_KEY]["reach"]
    reach.append({"kind": "s3-prefix", "resource": _BUCKET, "access": "read-write", "prefix": prefix})
    reach.append(
        {
            "kind": "kms-key",
            "resource": _BUCKET_KEY,
            "access": "encrypt-decrypt",
            "shared": True,
            "share_reason": _SHARE_REASON,
        }
    )


def _getatt(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _function(number: int) -> dict[str, Any]:
    name = f"F{number:04d}"
    table, key, queue, logs = f"{name}Table", f"{name}Key", f"{name}Dlq", f"{name}Logs"
    role, policy, function = f"{name}Role", f"{name}RoleDefaultPolicy", f"{name}Function"
    account_root = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    return {
        key: {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": account_root}, "Resource": "*"},
                        {
                            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
                            "Effect": "Allow",
                            "Principal": {
                                "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
                            },
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        table: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "byDate", "KeySchema": [], "Projection": {}}],
                "SSESpecification": {"KMSMasterKeyId": _getatt(key), "SSEEnabled": True, "SSEType": "KMS"},
            },
        },
        queue: {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": _getatt(key)}},
        logs: {"Type": "AWS::Logs::LogGroup", "Properties": {"KmsKeyId": _getatt(key), "RetentionInDays": 365}},
        role: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                }
            },
        },
        policy: {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": policy,
                "Roles": [{"Ref": role}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Action": _XRAY, "Effect": "Allow", "Resource": "*"},
                        {
                            "Action": list(actions_for("dynamodb-table", "read-write")),
                            "Effect": "Allow",
                            "Resource": [_getatt(table), {"Fn::Join": ["", [_getatt(table), "/index/byDate"]]}],
                        },
                        {
                            "Action": list(actions_for("kms-key", "encrypt-decrypt")),
                            "Effect": "Allow",
                            "Resource": _getatt(key),
                        },
                        {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": _getatt(queue)},
                        {
                            "Action": list(actions_for("log-group", "write")),
                            "Effect": "Allow",
                            "Resource": _getatt(logs),
                        },
                    ],
                },
            },
        },
        function: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Role": _getatt(role),
                "Handler": "handler.handler",
                "Runtime": "python3.14",
                "DeadLetterConfig": {"TargetArn": _getatt(queue)},
                "Environment": {"Variables": {"TABLE_NAME": {"Ref": table}}},
                "LoggingConfig": {"LogGroup": {"Ref": logs}},
            },
            "DependsOn": [policy, role],
            "Metadata": {
                PERIMETER_METADATA_KEY: {
                    "version": 2,
                    "role": role,
                    "reach": [
                        {"kind": "dynamodb-table", "resource": table, "access": "read-write", "indexes": ["byDate"]},
                        {"kind": "kms-key", "resource": key, "access": "encrypt-decrypt"},
                        {"kind": "sqs-queue", "resource": queue, "access": "send"},
                        {"kind": "log-group", "resource": logs, "access": "write"},
                    ],
                    "wildcards": [
                        {
                            "actions": _XRAY,
                            "resource": "*",
                            "reason": "X-Ray trace ingestion has no resource-level permissions",
                        }
                    ],
                }
            },
        },
    }
