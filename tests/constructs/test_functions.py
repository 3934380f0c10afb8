"""SecureFunction and TableFunction: perimeter, defaults, options, failures, cdk-nag verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from cdk_support import as_list, nag_report, only_resource, open_findings, policy_statements, resources, template
from secure_serverless import (
    ConfigurationError,
    Invocation,
    PrefixAccess,
    SecureBucket,
    SecureFunction,
    TableFunction,
    TableIndex,
)
from secure_serverless_checks.access_levels import ACCESS_LEVELS, PERIMETER_METADATA_KEY

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)


def function(stack: cdk.Stack, **options: Any) -> SecureFunction:
    options.setdefault("invocation", Invocation.ASYNCHRONOUS)
    return SecureFunction(stack, "Fn", code=CODE, handler="index.handler", **options)


def table_function(stack: cdk.Stack, **options: Any) -> TableFunction:
    options.setdefault("invocation", Invocation.ASYNCHRONOUS)
    return TableFunction(stack, "Notes", code=CODE, handler="index.handler", partition_key=PK, **options)


@pytest.fixture(scope="module")
def default_function() -> assertions.Template:
    return template(function)


@pytest.fixture(scope="module")
def default_table_function() -> assertions.Template:
    return template(table_function)


# ---------------------------------------------------------------- SecureFunction defaults
def test_function_default_runtime_architecture_memory_timeout(default_function: assertions.Template) -> None:
    props = only_resource(default_function, "AWS::Lambda::Function")["Properties"]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 256
    assert props["Timeout"] == 10
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["RecursiveLoop"] == "Terminate"
    assert "ReservedConcurrentExecutions" not in props


def test_function_default_has_own_encrypted_log_group_with_retention(default_function: assertions.Template) -> None:
    props = only_resource(default_function, "AWS::Lambda::Function")["Properties"]
    log_group_id, log_group = next(iter(resources(default_function, "AWS::Logs::LogGroup").items()))
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert "KmsKeyId" in log_group["Properties"]
    assert log_group["DeletionPolicy"] == "Retain"


def test_function_default_environment_and_dlq_encrypted_with_its_key(default_function: assertions.Template) -> None:
    props = only_resource(default_function, "AWS::Lambda::Function")["Properties"]
    key_id = next(iter(resources(default_function, "AWS::KMS::Key")))
    assert props["KmsKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    queue_id, queue = next(iter(resources(default_function, "AWS::SQS::Queue").items()))
    assert props["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_function_default_uses_the_powertools_layer(default_function: assertions.Template) -> None:
    layers = only_resource(default_function, "AWS::Lambda::Function")["Properties"]["Layers"]
    # The managed layer of the tested Powertools release, resolved by CloudFormation from AWS's SSM parameter.
    assert layers == ["{{resolve:ssm:/aws/service/powertools/python/arm64/python3.14/3.37.0}}"]


def test_function_role_has_no_aws_managed_policy_and_no_inline_policy(default_function: assertions.Template) -> None:
    role = only_resource(default_function, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    arns = role["Properties"]["ManagedPolicyArns"]
    assert all(set(arn) == {"Ref"} for arn in arns), arns  # only the kit's own managed policy
    assert "Policies" not in role["Properties"]
    assert resources(default_function, "AWS::IAM::Policy") == {}


def test_function_policy_names_exact_actions_and_only_xray_uses_a_wildcard(
    default_function: assertions.Template,
) -> None:
    statements = policy_statements(default_function)
    statements += [
        s
        for p in resources(default_function, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in as_list(statement["Action"])), statement
        if statement["Resource"] == "*":
            assert sorted(statement["Action"]) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }


def test_function_declares_its_perimeter(default_function: assertions.Template) -> None:
    function_resource = only_resource(default_function, "AWS::Lambda::Function")
    declared = function_resource["Metadata"][PERIMETER_METADATA_KEY]
    role_id = next(iter(resources(default_function, "AWS::IAM::Role")))
    assert declared["role"] == role_id
    kinds = {(entry["kind"], entry["access"]) for entry in declared["reach"]}
    assert kinds == {("log-group", "write"), ("sqs-queue", "send"), ("kms-key", "encrypt-decrypt")}
    assert declared["wildcards"][0]["resource"] == "*"
    assert "resource-level" in declared["wildcards"][0]["reason"]


# ---------------------------------------------------------------- SecureFunction options
def test_function_options_memory_timeout_env_concurrency_level() -> None:
    tmpl = template(
        lambda stack: function(
            stack,
            memory_size=1024,
            timeout=cdk.Duration.seconds(20),
            environment={"MODE": "x"},
            service_name="svc",
            reserved_concurrent_executions=5,
            application_log_level=lambda_.ApplicationLogLevel.WARN,
            powertools=False,
        )
    )
    props = only_resource(tmpl, "AWS::Lambda::Function")["Properties"]
    assert props["MemorySize"] == 1024
    assert props["Timeout"] == 20
    assert props["ReservedConcurrentExecutions"] == 5
    assert props["Environment"]["Variables"]["MODE"] == "x"
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "svc"
    assert props["LoggingConfig"]["ApplicationLogLevel"] == "WARN"
    assert "Layers" not in props


def test_function_longer_retention_needs_no_reason() -> None:
    tmpl = template(lambda stack: function(stack, log_retention=logs.RetentionDays.TWO_YEARS))
    assert only_resource(tmpl, "AWS::Logs::LogGroup")["Properties"]["RetentionInDays"] == 731


def test_function_shorter_retention_is_recorded_with_the_callers_reason(tmp_path: Path) -> None:
    reason = "Workshop sandbox: logs are exported nightly to the central archive account."
    report = nag_report(
        lambda stack: function(stack, log_retention=logs.RetentionDays.ONE_WEEK, short_log_retention_reason=reason),
        tmp_path,
    )
    assert report.findings == []
    metadata = (tmp_path / "Test.metadata.json").read_text()
    assert "SecureServerless::SecureServerless-ShortLogRetention" in metadata
    assert reason in metadata


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"memory_size": 64}, "memory_size=64: must be a number between 128 and 10240 MiB"),
        ({"timeout": cdk.Duration.minutes(20)}, "timeout=1200"),
        ({"log_retention": logs.RetentionDays.ONE_WEEK}, "short_log_retention_reason"),
        ({"log_retention": 400}, None),  # 400 days is a valid member: no error expected
        ({"log_retention": 42}, "log_retention=42: use a logs.RetentionDays member"),
        ({"application_log_level": "WARN"}, "application_log_level='WARN': use a lambda_.ApplicationLogLevel member"),
        ({"invocation": "sync"}, "invocation='sync': use Invocation.SYNCHRONOUS or Invocation.ASYNCHRONOUS"),
        (
            {"invocation": Invocation.SYNCHRONOUS, "dead_letter_queue_retention": cdk.Duration.days(1)},
            "a synchronously invoked function has no dead-letter queue",
        ),
        ({"environment": {"AWS_REGION": "x"}}, "reserved by Lambda"),
        ({"reserved_concurrent_executions": 0}, "reserved_concurrent_executions=0"),
    ],
)
def test_function_rejects_bad_options(options: dict[str, Any], expected: str | None) -> None:
    if expected is None:
        template(lambda stack: function(stack, **options))
        return
    with pytest.raises(ConfigurationError) as error:
        template(lambda stack: function(stack, **options))
    assert expected in str(error.value)
    assert "Test/Fn" in str(error.value)


def test_function_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        template(
            lambda stack: SecureFunction(
                stack,
                "Fn",
                code=CODE,
                handler="nodot",
                invocation=Invocation.SYNCHRONOUS,
                memory_size=1,
                timeout=cdk.Duration.seconds(0),
            )
        )
    assert "3 problem(s)" in str(error.value)


# ---------------------------------------------------------------- TableFunction
def _table_statements(tmpl: assertions.Template) -> list[dict[str, Any]]:
    table_id = next(iter(resources(tmpl, "AWS::DynamoDB::Table")))
    policy = only_resource(tmpl, "AWS::IAM::ManagedPolicy")
    return [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if table_id in str(s["Resource"])]


def test_table_function_grants_exact_read_write_on_its_table_only(default_table_function: assertions.Template) -> None:
    (statement,) = _table_statements(default_table_function)
    assert sorted(statement["Action"]) == sorted(ACCESS_LEVELS["dynamodb-table"]["read-write"])
    assert "dynamodb:Scan" not in statement["Action"]
    table_id = next(iter(resources(default_table_function, "AWS::DynamoDB::Table")))
    assert statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}


def test_table_function_shares_one_key_for_table_logs_queue_environment(
    default_table_function: assertions.Template,
) -> None:
    (key_id,) = resources(default_table_function, "AWS::KMS::Key")
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    table = only_resource(default_table_function, "AWS::DynamoDB::Table")
    assert table["Properties"]["SSESpecification"]["KMSMasterKeyId"] == key_arn
    assert only_resource(default_table_function, "AWS::Lambda::Function")["Properties"]["KmsKeyArn"] == key_arn
    assert only_resource(default_table_function, "AWS::SQS::Queue")["Properties"]["KmsMasterKeyId"] == key_arn


def test_table_function_passes_the_table_name(default_table_function: assertions.Template) -> None:
    variables = only_resource(default_table_function, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    table_id = next(iter(resources(default_table_function, "AWS::DynamoDB::Table")))
    assert variables["TABLE_NAME"] == {"Ref": table_id}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "notes"


def test_table_function_declares_the_table_reach(default_table_function: assertions.Template) -> None:
    declared = only_resource(default_table_function, "AWS::Lambda::Function")["Metadata"][PERIMETER_METADATA_KEY]
    table_id = next(iter(resources(default_table_function, "AWS::DynamoDB::Table")))
    assert {"kind": "dynamodb-table", "resource": table_id, "access": "read-write", "shared": False} in declared[
        "reach"
    ]


def test_table_function_read_access_and_exact_index_arns() -> None:
    sk = dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING)
    tmpl = template(
        lambda stack: table_function(stack, access="read", indexes=[TableIndex(name="byDate", partition_key=sk)])
    )
    (statement,) = _table_statements(tmpl)
    assert sorted(statement["Action"]) == sorted(ACCESS_LEVELS["dynamodb-table"]["read"])
    assert not any(a in statement["Action"] for a in ("dynamodb:PutItem", "dynamodb:DeleteItem"))
    rendered = str(statement["Resource"])
    assert "/index/byDate" in rendered and "/index/*" not in rendered


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"access": "admin"}, "access='admin': must be one of read, write, read-write"),
        (
            {"function_options": {"environment": {"TABLE_NAME": "other"}}},
            "function_options['environment']='TABLE_NAME'",
        ),
        ({"function_options": {"memory": 512}}, "function_options['memory']=512: not an option of SecureFunction"),
        ({"function_options": {"handler": "x.y"}}, "is set by TableFunction; use TableFunction(handler=...)"),
        ({"table_options": {"pitr_days": 3}}, "table_options['pitr_days']=3: not an option of SecureTable"),
        ({"table_options": {"encryption_key": None}}, "one key serves the table and the function"),
    ],
)
def test_table_function_rejects_bad_options(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        template(lambda stack: table_function(stack, **options))
    assert expected in str(error.value)


# ---------------------------------------------------------------- bucket prefix access
def test_bucket_prefix_access_is_limited_to_the_prefix_and_s3_for_the_key() -> None:
    def build(stack: cdk.Stack) -> None:
        fn = function(stack)
        SecureBucket(stack, "Files").grant_prefix(fn, prefix="files/", access=PrefixAccess.READ_WRITE_DELETE)

    tmpl = template(build)
    statements = only_resource(tmpl, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    assert len(s3_statements) == 1
    assert sorted(s3_statements[0]["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert "/files/*" in str(s3_statements[0]["Resource"])
    via_s3 = [s for s in statements if "Condition" in s]
    assert "s3." in str(via_s3[0]["Condition"]["StringEquals"]["kms:ViaService"])
    declared = only_resource(tmpl, "AWS::Lambda::Function")["Metadata"][PERIMETER_METADATA_KEY]
    assert any(entry.get("prefix") == "files/" for entry in declared["reach"])


@pytest.mark.parametrize("prefix", ["", "/files/", "files", "files/*/"])
def test_bucket_prefix_must_be_a_plain_prefix(prefix: str) -> None:
    def build(stack: cdk.Stack) -> None:
        SecureBucket(stack, "Files").grant_prefix(function(stack), prefix=prefix, access="read")

    with pytest.raises(ConfigurationError, match="use a key prefix like 'files/'"):
        template(build)


# ---------------------------------------------------------------- cdk-nag, each construct alone
@pytest.mark.parametrize("build", [function, table_function], ids=["SecureFunction", "TableFunction"])
def test_construct_alone_has_no_open_findings_and_only_granular_acknowledgments(build: Any, tmp_path: Path) -> None:
    report = nag_report(build, tmp_path)
    assert open_findings(report) == []
    acknowledged = {(a.rule, a.path.split("/")[-2]) for a in report.acknowledged}
    assert ("AwsSolutions-IAM5[Resource::*]", "Policy") in acknowledged
    assert all(len(a.reason or "") > 40 for a in report.acknowledged)


# ---------------------------------------------------------------- invocation and dead-letter queues
def test_synchronous_function_has_no_dead_letter_queue_and_records_why(tmp_path: Path) -> None:
    tmpl = template(lambda stack: function(stack, invocation=Invocation.SYNCHRONOUS))
    props = only_resource(tmpl, "AWS::Lambda::Function")["Properties"]
    assert "DeadLetterConfig" not in props
    assert resources(tmpl, "AWS::SQS::Queue") == {}
    actions = {
        a
        for p in resources(tmpl, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in as_list(s["Action"])
    }
    assert "sqs:SendMessage" not in actions
    report = nag_report(lambda stack: function(stack, invocation=Invocation.SYNCHRONOUS), tmp_path)
    assert open_findings(report) == []
    dlq = [a for a in report.acknowledged if a.rule == "Serverless-LambdaDLQ"]
    assert dlq and "synchronously" in (dlq[0].reason or "")


def test_function_in_a_vpc_gets_exact_eni_actions_and_no_managed_policy() -> None:
    from aws_cdk import aws_ec2 as ec2

    def build(stack: cdk.Stack) -> None:
        vpc = ec2.Vpc(
            stack,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ],
        )
        function(stack, vpc=vpc)

    tmpl = template(build)
    role = only_resource(tmpl, "AWS::IAM::Role")
    assert all(set(arn) == {"Ref"} for arn in role["Properties"]["ManagedPolicyArns"])
    statements = [
        s
        for p in resources(tmpl, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any("ec2:CreateNetworkInterface" in as_list(s["Action"]) for s in statements)
    assert "VpcConfig" in only_resource(tmpl, "AWS::Lambda::Function")["Properties"]


def test_vpc_options_need_a_vpc() -> None:
    from aws_cdk import aws_ec2 as ec2

    with pytest.raises(ConfigurationError, match="vpc_subnets and security_groups need a vpc"):
        template(
            lambda stack: function(stack, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))
        )
