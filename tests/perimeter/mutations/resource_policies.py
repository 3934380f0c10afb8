"""The adversarial table: named mutations of the compliant fixture and the verdict each must get.

Each ``Mutation`` changes a deep copy of tests/perimeter/fixtures/compliant.template.json (one
assembly of one stack, or several for the cross-stack classes) and says what the analyzer must
answer: ``fail`` with a rule code on a function, ``pass`` (legitimate least privilege), or
``error`` (exit 2: the input cannot be analyzed). Classes follow issue 9; most rows are generated
from small tables (intrinsic x position, resource policy type x principal spelling, ...).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_KEY,
    FILES_POLICY,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_KEY,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
    join,
)

FILES_DLQ = "FilesDlq3333"
NOTES_DLQ = "NotesDlqBBBB"
NOTES_LOGS = "NotesLogsCCCC"
FILES_LOGS = "FilesLogs4444"
PERIMETER = "SecureServerless::Perimeter"
ARN_HEAD = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:"

Verdict = Literal["fail", "pass", "error"]
Assembly = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Mutation:
    """One row of the table: how to break (or legitimately change) the fixture, and the verdict."""

    id: str
    klass: str
    apply: Callable[[TemplateBuilder], Assembly | None]
    verdict: Verdict
    code: str = ""
    function: str = NOTES_FUNCTION


def statement(builder: TemplateBuilder, policy: str, **fields: Any) -> None:
    builder.statements(policy).append(fields)


def add(builder: TemplateBuilder, logical_id: str, resource_type: str, **properties: Any) -> None:
    builder.resources[logical_id] = {"Type": resource_type, "Properties": properties}


def declare(builder: TemplateBuilder, function: str, **entry: Any) -> None:
    builder.perimeter(function)["reach"].append({"shared": False, **entry})


def record_wildcard(builder: TemplateBuilder, function: str, actions: list[str], resource: str = "*") -> None:
    builder.perimeter(function)["wildcards"].append({"actions": actions, "resource": resource, "reason": "because"})


def parameter(builder: TemplateBuilder, name: str, kind: str = "String") -> dict[str, Any]:
    builder.template.setdefault("Parameters", {})[name] = {"Type": kind}
    return {"Ref": name}


def extra_policy(b: TemplateBuilder, roles: Any, resource: Any = None) -> None:
    """An AWS::IAM::Policy attached to ``roles``, granting dynamodb:GetItem on ``resource``."""
    grant = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": resource or getatt(FILES_TABLE)}
    add(b, "Extra0001", "AWS::IAM::Policy", PolicyName="x", Roles=roles, PolicyDocument={"Statement": [grant]})


def nested_child() -> dict[str, Any]:
    """A nested stack's template: a key whose policy grants the role passed as parameter Reader."""
    grant = {"Effect": "Allow", "Action": "kms:Decrypt", "Principal": {"AWS": {"Ref": "Reader"}}, "Resource": "*"}
    return {
        "Parameters": {"Reader": {"Type": "String"}},
        "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [grant]}}}},
    }


MUTATIONS: list[Mutation] = []


def row(klass: str, id: str, verdict: Verdict, code: str = "", function: str = NOTES_FUNCTION) -> Any:
    def register(apply: Callable[[TemplateBuilder], Assembly | None]) -> Callable[[TemplateBuilder], Any]:
        MUTATIONS.append(Mutation(f"{klass}:{id}", klass, apply, verdict, code, function))
        return apply

    return register


def table_row(klass: str, id: str, verdict: Verdict, code: str, apply: Callable[[TemplateBuilder], Any]) -> None:
    MUTATIONS.append(Mutation(f"{klass}:{id}", klass, apply, verdict, code))


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


# == 9. legitimate least privilege that must pass ====================================================


@row("least-privilege", "own table's stream with stream-read", "pass")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="dynamodb-table", resource=NOTES_TABLE, access="stream-read")
    b.allow(
        NOTES_POLICY,
        ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        getatt(NOTES_TABLE, "StreamArn"),
    )
    b.allow(NOTES_POLICY, "dynamodb:ListStreams", "*")
    record_wildcard(b, NOTES_FUNCTION, ["dynamodb:ListStreams"])


@row("least-privilege", "own stream without stream-read is exceeded", "fail", "P08")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetRecords", getatt(NOTES_TABLE, "StreamArn"))


@row("least-privilege", "ListBucket limited by s3:prefix to the own prefix", "pass")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource=BUCKET, access="list", prefix="attachments/")
    b.allow(NOTES_POLICY, "s3:ListBucket", getatt(BUCKET), Condition={"StringLike": {"s3:prefix": ["attachments/*"]}})


@row("least-privilege", "ListBucket without an s3:prefix condition", "fail", "P10")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource=BUCKET, access="list", prefix="attachments/")
    b.allow(NOTES_POLICY, "s3:ListBucket", getatt(BUCKET))


@row("least-privilege", "ListBucket with an s3:prefix of another prefix", "fail", "P10")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource=BUCKET, access="list", prefix="attachments/")
    b.allow(NOTES_POLICY, "s3:ListBucket", getatt(BUCKET), Condition={"StringLike": {"s3:prefix": ["files/*"]}})


@row("least-privilege", "object versions of the own prefix", "pass")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource=BUCKET, access="read-versions", prefix="attachments/")
    b.allow(NOTES_POLICY, "s3:GetObjectVersion", join(getatt(BUCKET), "/attachments/*"))


@row("least-privilege", "object versions of another prefix", "fail", "P10")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="s3-prefix", resource=BUCKET, access="read-versions", prefix="attachments/")
    b.allow(NOTES_POLICY, "s3:GetObjectVersion", join(getatt(BUCKET), "/files/*"))


@row("least-privilege", "own secret read", "pass")
def _(b: TemplateBuilder) -> None:
    add(b, "NotesSecret0001", "AWS::SecretsManager::Secret")
    declare(b, NOTES_FUNCTION, kind="secret", resource="NotesSecret0001", access="read")
    b.allow(
        NOTES_POLICY, ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], {"Ref": "NotesSecret0001"}
    )


@row("least-privilege", "own secret by name with the random suffix", "pass")
def _(b: TemplateBuilder) -> None:
    add(b, "NotesSecret0001", "AWS::SecretsManager::Secret", Name="notes/api")
    declare(b, NOTES_FUNCTION, kind="secret", resource="NotesSecret0001", access="read")
    b.allow(
        NOTES_POLICY,
        "secretsmanager:GetSecretValue",
        {"Fn::Sub": ARN_HEAD % "secretsmanager" + "secret:notes/api-??????"},
    )


@row("least-privilege", "another function's secret", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    add(b, "FilesSecret0001", "AWS::SecretsManager::Secret")
    b.allow(NOTES_POLICY, "secretsmanager:GetSecretValue", {"Ref": "FilesSecret0001"})


@row("least-privilege", "own SSM parameter", "pass")
def _(b: TemplateBuilder) -> None:
    add(b, "NotesParam0001", "AWS::SSM::Parameter", Name="/notes/config", Type="String", Value="x")
    declare(b, NOTES_FUNCTION, kind="ssm-parameter", resource="NotesParam0001", access="read")
    b.allow(NOTES_POLICY, "ssm:GetParameter", {"Fn::Sub": ARN_HEAD % "ssm" + "parameter/notes/config"})


@row("least-privilege", "GlobalTable (TableV2) as the own table", "pass")
def _(b: TemplateBuilder) -> None:
    add(b, "NotesGlobal0001", "AWS::DynamoDB::GlobalTable", Replicas=[{"Region": "eu-west-1"}])
    declare(b, NOTES_FUNCTION, kind="dynamodb-table", resource="NotesGlobal0001", access="read")
    b.allow(NOTES_POLICY, "dynamodb:GetItem", getatt("NotesGlobal0001"))


@row("least-privilege", "table named from AWS::StackName", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_TABLE]["Properties"]["TableName"] = {"Fn::Sub": "${AWS::StackName}-notes"}
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Sub": ARN_HEAD % "dynamodb" + "table/${AWS::StackName}-notes"})


@row("least-privilege", "index name given as an intrinsic", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_TABLE]["Properties"]["GlobalSecondaryIndexes"].append(
        {"IndexName": {"Fn::Sub": "${AWS::StackName}-x"}}
    )


@row("least-privilege", "invoke a declared function", "pass")
def _(b: TemplateBuilder) -> None:
    declare(b, NOTES_FUNCTION, kind="lambda-function", resource=FILES_FUNCTION, access="invoke")
    b.allow(NOTES_POLICY, "lambda:InvokeFunction", getatt(FILES_FUNCTION))


@row("least-privilege", "invoke an undeclared function", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "lambda:InvokeFunction", getatt(FILES_FUNCTION))


@row("least-privilege", "user pool group membership read", "pass")
def _(b: TemplateBuilder) -> None:
    add(b, "Pool0001", "AWS::Cognito::UserPool")
    declare(b, NOTES_FUNCTION, kind="cognito-user-pool", resource="Pool0001", access="read-membership")
    b.allow(NOTES_POLICY, ["cognito-idp:AdminListGroupsForUser", "cognito-idp:AdminGetUser"], getatt("Pool0001"))


@row("least-privilege", "user pool admin write beyond read-membership", "fail", "P08")
def _(b: TemplateBuilder) -> None:
    add(b, "Pool0001", "AWS::Cognito::UserPool")
    declare(b, NOTES_FUNCTION, kind="cognito-user-pool", resource="Pool0001", access="read-membership")
    b.allow(NOTES_POLICY, "cognito-idp:AdminAddUserToGroup", getatt("Pool0001"))


@row("least-privilege", "VPC network interface actions recorded", "pass")
def _(b: TemplateBuilder) -> None:
    actions = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"]
    b.allow(NOTES_POLICY, actions, "*")
    record_wildcard(b, NOTES_FUNCTION, actions)


@row("least-privilege", "Fn::If between two own index ARNs", "pass")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:Query", join(getatt(NOTES_TABLE), {"Fn::If": ["C", "/index/byUpdatedAt", ""]}))


@row("least-privilege", "own key policy names the own role", "pass")
def _(b: TemplateBuilder) -> None:
    b.statements(NOTES_KEY, "KeyPolicy").append(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Principal": {"AWS": getatt(NOTES_ROLE)}, "Resource": "*"}
    )


@row("least-privilege", "own DLQ policy lets the own role send", "pass")
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Qp0001",
        "AWS::SQS::QueuePolicy",
        Queues=[{"Ref": NOTES_DLQ}],
        PolicyDocument={
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sqs:SendMessage",
                    "Principal": {"AWS": getatt(NOTES_ROLE)},
                    "Resource": "*",
                }
            ]
        },
    )


@row("least-privilege", "API Gateway may invoke the function", "pass")
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Perm0001",
        "AWS::Lambda::Permission",
        Action="lambda:InvokeFunction",
        FunctionName=getatt(NOTES_FUNCTION),
        Principal="apigateway.amazonaws.com",
    )


@row("least-privilege", "another account's role in a key policy", "pass")
def _(b: TemplateBuilder) -> None:
    b.statements(NOTES_KEY, "KeyPolicy").append(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Principal": {"AWS": "arn:aws:iam::999999999999:role/auditor"},
            "Resource": "*",
        }
    )


@row("least-privilege", "log streams of the own log group", "pass")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "logs:PutLogEvents", join(getatt(NOTES_LOGS), ":log-stream:*"))


@row("least-privilege", "policy moved to an inline policy of the role", "pass")
def _(b: TemplateBuilder) -> None:
    document = b.resources[NOTES_POLICY]["Properties"]["PolicyDocument"]
    del b.resources[NOTES_POLICY]
    b.resources[NOTES_FUNCTION]["DependsOn"] = [NOTES_ROLE]
    b.resources[NOTES_ROLE]["Properties"]["Policies"] = [{"PolicyName": "inline", "PolicyDocument": document}]


@row("least-privilege", "deny statement with an intrinsic effect choice", "pass")
def _(b: TemplateBuilder) -> None:
    statement(b, NOTES_POLICY, Effect="Deny", Action="dynamodb:*", Resource={"Fn::ImportValue": "x"})


# == 10. hostile and malformed input ==================================================================


def _deep(value: Any, levels: int, wrap: Callable[[Any], Any]) -> Any:
    for _ in range(levels):
        value = wrap(value)
    return value


@row("hostile", "Fn::Join nested 5,000 deep", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", _deep("x", 5000, lambda v: {"Fn::Join": ["", [v]]}))


@row("hostile", "Fn::If nested 2,000 deep in a document", "error")
def _(b: TemplateBuilder) -> None:
    _in_document(lambda _: _deep({"Statement": []}, 2000, lambda v: {"Fn::If": ["C", v, v]}))(b)


@row("hostile", "Fn::Select nested 3,000 deep", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", _deep("x", 3000, lambda v: {"Fn::Select": [0, [v]]}))


@row("hostile", "Fn::If with two arguments", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::If": ["C", "x"]})


@row("hostile", "Fn::GetAtt without attribute", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::GetAtt": "NotesTable5678"})


@row("hostile", "Ref to nothing", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Ref": "Nothing"})


@row("hostile", "statement that is a list", "error")
def _(b: TemplateBuilder) -> None:
    b.statements(NOTES_POLICY).append(["Allow"])


@row("hostile", "PolicyDocument a string that is not JSON", "error")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_POLICY]["Properties"]["PolicyDocument"] = "{not json"


@row("hostile", "Properties not an object", "error")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"] = ["x"]


@row("hostile", "Resource an object that is no intrinsic", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"a": 1, "b": 2})


@row("hostile", "Fn::Sub with a non-string", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Sub": 5})


@row("hostile", "unknown Fn:: function in a Resource", "fail", "P14")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::Evil": ["x"]})


@row("hostile", "NUL characters in an ARN", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/\x00\x00")


@row("hostile", "Statement as one object, not a list", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.resources["Extra0001"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "x",
            "Roles": [{"Ref": NOTES_ROLE}],
            "PolicyDocument": {
                "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
            },
        },
    }


@row("hostile", "PolicyDocument as a JSON string", "fail", "P07")
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_POLICY]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:1:table/x"}
    )
    b.resources[NOTES_POLICY]["Properties"]["PolicyDocument"] = __import__("json").dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:1:table/x"}
            ]
        }
    )
