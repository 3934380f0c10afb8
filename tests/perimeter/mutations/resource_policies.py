"""Class 4 of the adversarial table: resource policies x principal spellings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_KEY,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_POLICY,
    NOTES_ROLE,
    TemplateBuilder,
    getatt,
    join,
)

from .table import FILES_DLQ, add, parameter, row, table_row

# == 4. resource policies x principal spellings ===================================================


def _notes_role_named(b: TemplateBuilder, name: Any = "notes-role") -> None:
    b.resources[NOTES_ROLE]["Properties"]["RoleName"] = name


#: principal spelling -> (how to set it up and return the Principal.AWS value, expected code)
_PRINCIPALS: dict[str, tuple[Callable[[TemplateBuilder], Any], str]] = {
    "GetAtt Arn": (lambda b: getatt(NOTES_ROLE), "P07"),
    "Fn::Sub with the account id": (
        lambda b: {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${NotesRoleDDDD}"},
        "P07",
    ),
    "literal role name": (
        lambda b: (_notes_role_named(b), "arn:aws:iam::123456789012:role/notes-role")[1],
        "P07",
    ),
    "assumed-role session ARN": (
        lambda b: (_notes_role_named(b), "arn:aws:sts::123456789012:assumed-role/notes-role/worker")[1],
        "P07",
    ),
    "computed role name": (
        lambda b: (
            _notes_role_named(b, {"Fn::Sub": "${AWS::StackName}-notes"}),
            {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/${AWS::StackName}-notes"},
        )[1],
        "P07",
    ),
    "star": (lambda b: "*", "P07"),
    "import": (lambda b: {"Fn::ImportValue": "role-arn"}, "P14"),
    "parameter": (lambda b: parameter(b, "RoleArn"), "P14"),
}


def _key_policy(b: TemplateBuilder, principal: Any) -> None:
    b.statements(FILES_KEY, "KeyPolicy").append(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Principal": {"AWS": principal}, "Resource": "*"}
    )


def _bucket_policy(b: TemplateBuilder, principal: Any) -> None:
    b.statements(BUCKET_POLICY).append(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Principal": {"AWS": principal},
            "Resource": join(getatt(BUCKET), "/files/*"),
        }
    )


def _queue_document(principal: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Principal": {"AWS": principal}, "Resource": "*"}
        ],
    }


def _queue_policy(b: TemplateBuilder, principal: Any) -> None:
    add(b, "Qp0001", "AWS::SQS::QueuePolicy", Queues=[{"Ref": FILES_DLQ}], PolicyDocument=_queue_document(principal))


def _queue_inline_policy(b: TemplateBuilder, principal: Any) -> None:
    add(b, "Qp0001", "AWS::SQS::QueueInlinePolicy", Queue={"Ref": FILES_DLQ}, PolicyDocument=_queue_document(principal))


def _topic_document(principal: Any) -> dict[str, Any]:
    return {
        "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Principal": {"AWS": principal}, "Resource": "*"}]
    }


def _topic_policy(b: TemplateBuilder, principal: Any) -> None:
    add(b, "Topic0001", "AWS::SNS::Topic")
    add(b, "Tp0001", "AWS::SNS::TopicPolicy", Topics=[{"Ref": "Topic0001"}], PolicyDocument=_topic_document(principal))


def _topic_inline_policy(b: TemplateBuilder, principal: Any) -> None:
    add(b, "Topic0001", "AWS::SNS::Topic")
    add(
        b,
        "Tp0001",
        "AWS::SNS::TopicInlinePolicy",
        TopicArn={"Ref": "Topic0001"},
        PolicyDocument=_topic_document(principal),
    )


def _table_document(principal: Any, action: str) -> dict[str, Any]:
    return {
        "PolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": action, "Principal": {"AWS": principal}, "Resource": "*"}]
        }
    }


def _table_policy(b: TemplateBuilder, principal: Any) -> None:
    b.resources[FILES_TABLE]["Properties"]["ResourcePolicy"] = _table_document(principal, "dynamodb:GetItem")


def _stream_policy(b: TemplateBuilder, principal: Any) -> None:
    b.resources[FILES_TABLE]["Properties"]["StreamSpecification"] = {
        "StreamViewType": "NEW_IMAGE",
        "ResourcePolicy": _table_document(principal, "dynamodb:GetRecords"),
    }


def _secret_policy(b: TemplateBuilder, principal: Any) -> None:
    add(b, "Secret0001", "AWS::SecretsManager::Secret")
    add(
        b,
        "SecretPolicy0001",
        "AWS::SecretsManager::ResourcePolicy",
        SecretId={"Ref": "Secret0001"},
        ResourcePolicy={
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Principal": {"AWS": principal},
                    "Resource": "*",
                }
            ]
        },
    )


def _lambda_permission(b: TemplateBuilder, principal: Any) -> None:
    add(
        b,
        "Perm0001",
        "AWS::Lambda::Permission",
        Action="lambda:InvokeFunction",
        FunctionName=getatt(FILES_FUNCTION),
        Principal=principal,
    )


def _trust_policy(b: TemplateBuilder, principal: Any) -> None:
    b.resources[FILES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principal}}
    )


def _global_table_policy(b: TemplateBuilder, principal: Any) -> None:
    add(
        b,
        "Global0001",
        "AWS::DynamoDB::GlobalTable",
        Replicas=[{"Region": "eu-west-1", "ResourcePolicy": _table_document(principal, "dynamodb:GetItem")}],
    )


_RESOURCE_POLICIES: dict[str, Callable[[TemplateBuilder, Any], None]] = {
    "key policy": _key_policy,
    "bucket policy": _bucket_policy,
    "SQS QueuePolicy": _queue_policy,
    "SQS QueueInlinePolicy": _queue_inline_policy,
    "SNS TopicPolicy": _topic_policy,
    "SNS TopicInlinePolicy": _topic_inline_policy,
    "DynamoDB table ResourcePolicy": _table_policy,
    "DynamoDB stream ResourcePolicy": _stream_policy,
    "DynamoDB GlobalTable replica ResourcePolicy": _global_table_policy,
    "Secrets Manager ResourcePolicy": _secret_policy,
    "Lambda Permission": _lambda_permission,
    "role trust policy": _trust_policy,
}


def _resource_policy_row(policy: str, spelling: str) -> None:
    install = _RESOURCE_POLICIES[policy]
    make, code = _PRINCIPALS[spelling]
    # The role's own bucket prefix is declared: another prefix of it is P10, not P07.
    code = "P10" if policy == "bucket policy" and code == "P07" else code

    def apply(b: TemplateBuilder) -> None:
        install(b, make(b))

    table_row("resource-policy", f"{policy} names the role by {spelling}", "fail", code, apply)


for _policy in _RESOURCE_POLICIES:
    for _spelling in _PRINCIPALS:
        _resource_policy_row(_policy, _spelling)


@row("resource-policy", "star narrowed by aws:PrincipalArn to the role", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.statements(FILES_KEY, "KeyPolicy").append(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Principal": {"AWS": "*"},
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": getatt(NOTES_ROLE)}},
        }
    )


@row("resource-policy", "star with aws:PrincipalAccount of the own account", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.statements(FILES_KEY, "KeyPolicy").append(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Principal": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}},
        }
    )


@row("resource-policy", "NotPrincipal of another role grants everyone else", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.statements(FILES_KEY, "KeyPolicy").append(
        {"Effect": "Allow", "Action": "kms:Decrypt", "NotPrincipal": {"AWS": getatt(FILES_ROLE)}, "Resource": "*"}
    )


@row("resource-policy", "Principal as Fn::If of two roles", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.statements(FILES_KEY, "KeyPolicy").append(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Principal": {"Fn::If": ["C", {"AWS": getatt(FILES_ROLE)}, {"AWS": getatt(NOTES_ROLE)}]},
            "Resource": "*",
        }
    )


@row("resource-policy", "star narrowed by aws:PrincipalArn to the owner", "pass")
def _(b: TemplateBuilder) -> None:
    b.statements(FILES_KEY, "KeyPolicy").append(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Principal": "*",
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": getatt(FILES_ROLE)}},
        }
    )


@row("resource-policy", "trust policy lets a service assume a function role", "fail", "P04", FILES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}
    )


@row("resource-policy", "identity grant of sts:AssumeRole on another function's role", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "sts:AssumeRole", getatt(FILES_ROLE))


@row("resource-policy", "repository policy of another service", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Repo0001",
        "AWS::ECR::Repository",
        RepositoryPolicyText={
            "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Principal": {"AWS": getatt(NOTES_ROLE)}}]
        },
    )
