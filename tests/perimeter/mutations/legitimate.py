"""Class 9 of the adversarial table: legitimate least privilege that must pass."""

from __future__ import annotations

from perimeter_support import (
    BUCKET,
    FILES_FUNCTION,
    NOTES_FUNCTION,
    NOTES_KEY,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
    join,
)

from .table import ARN_HEAD, NOTES_DLQ, NOTES_LOGS, add, declare, record_wildcard, row, statement

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
