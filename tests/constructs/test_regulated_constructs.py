"""IsolatedNetwork, TableBackup and Profile: defaults, options, failures, the five-pack verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_

from cdk_support import as_list, nag_report, new_app, only_resource, open_findings, resources, template
from secure_serverless import (
    ConfigurationError,
    InterfaceService,
    Invocation,
    IsolatedNetwork,
    Profile,
    SecureBucket,
    SecureTable,
    TableBackup,
    TableFunction,
    TableIndex,
)
from secure_serverless.bucket_replication import BucketReplica, ReplicaTarget, replicate_bucket
from secure_serverless.compliance import register_compliance_checks, synth_with_checks
from secure_serverless.profile import ALL_PACKS

PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")


def _scoped_network(stack: cdk.Stack, **options: Any) -> IsolatedNetwork:
    network = IsolatedNetwork(stack, "Network", **options)
    network.allow_table(SecureTable(stack, "Table", partition_key=PK))
    if options.get("s3_endpoint", True):
        network.allow_bucket(SecureBucket(stack, "Bucket"))
    return network


# ---------------------------------------------------------------- IsolatedNetwork
def test_network_default_has_isolated_subnets_only_and_no_way_out() -> None:
    tmpl = template(_scoped_network)
    assert len(resources(tmpl, "AWS::EC2::Subnet")) == 2
    for cfn_type in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::Route"):
        assert resources(tmpl, cfn_type) == {}
    endpoints = resources(tmpl, "AWS::EC2::VPCEndpoint").values()
    kinds = sorted(
        (e["Properties"]["VpcEndpointType"], e["Properties"]["ServiceName"]["Fn::Join"][1][-1]) for e in endpoints
    )
    assert kinds == [("Gateway", ".dynamodb"), ("Gateway", ".s3"), ("Interface", ".xray")]


def test_network_flow_logs_go_to_an_encrypted_log_group_through_exact_actions() -> None:
    tmpl = template(_scoped_network)
    flow_log = only_resource(tmpl, "AWS::EC2::FlowLog")["Properties"]
    assert (flow_log["ResourceType"], flow_log["TrafficType"]) == ("VPC", "ALL")
    (group_id,) = [k for k in resources(tmpl, "AWS::Logs::LogGroup") if k.startswith("NetworkFlowLogs")]
    group = resources(tmpl, "AWS::Logs::LogGroup")[group_id]["Properties"]
    assert group["RetentionInDays"] == 365 and "KmsKeyId" in group
    (policy,) = resources(tmpl, "AWS::IAM::ManagedPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == {"Fn::GetAtt": [group_id, "Arn"]}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    (role,) = resources(tmpl, "AWS::IAM::Role").values()
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    assert resources(tmpl, "AWS::IAM::Policy") == {}, "no inline policy"


def test_network_interface_services_and_no_s3_endpoint_options() -> None:
    tmpl = template(
        lambda stack: _scoped_network(
            stack, interface_services=(InterfaceService.KMS, InterfaceService.SQS), s3_endpoint=False, max_azs=1
        )
    )
    assert len(resources(tmpl, "AWS::EC2::Subnet")) == 1
    services = sorted(
        e["Properties"]["ServiceName"]["Fn::Join"][1][-1] for e in resources(tmpl, "AWS::EC2::VPCEndpoint").values()
    )
    assert services == [".dynamodb", ".kms", ".sqs"]


def test_network_allow_table_names_its_indexes_and_stream() -> None:
    def build(stack: cdk.Stack) -> None:
        network = IsolatedNetwork(stack, "Network", s3_endpoint=False)
        table = SecureTable(
            stack,
            "Table",
            partition_key=PK,
            indexes=[TableIndex(name="byOwner", partition_key=PK)],
            stream=dynamodb.StreamViewType.NEW_IMAGE,
        )
        network.allow_table(table)

    endpoints = resources(template(build), "AWS::EC2::VPCEndpoint").values()
    (endpoint,) = [e for e in endpoints if e["Properties"]["VpcEndpointType"] == "Gateway"]
    (statement,) = endpoint["Properties"]["PolicyDocument"]["Statement"]
    rendered = str(statement["Resource"])
    assert "/index/byOwner" in rendered and "StreamArn" in rendered
    assert "dynamodb:Scan" not in statement["Action"] and "dynamodb:GetRecords" in statement["Action"]


def test_network_with_an_unscoped_gateway_endpoint_fails_the_synth() -> None:
    with pytest.raises(RuntimeError) as error:
        template(lambda stack: IsolatedNetwork(stack, "Network"))
    message = str(error.value)
    assert "dynamodb gateway endpoint allows every dynamodb resource" in message
    assert "IsolatedNetwork.allow_table(table)" in message and "IsolatedNetwork.allow_bucket(bucket)" in message


def test_network_collects_every_problem() -> None:
    with pytest.raises(ConfigurationError) as error:
        template(lambda stack: IsolatedNetwork(stack, "Network", max_azs=0, interface_services=["kms"]))  # type: ignore[list-item]
    assert len(error.value.problems) == 2
    assert "max_azs=0" in str(error.value) and "use InterfaceService members" in str(error.value)


def test_network_allow_bucket_without_the_s3_endpoint_fails() -> None:
    def build(stack: cdk.Stack) -> None:
        IsolatedNetwork(stack, "Network", s3_endpoint=False).allow_bucket(SecureBucket(stack, "Bucket"))

    with pytest.raises(ConfigurationError, match="pass s3_endpoint=True"):
        template(build)


# ---------------------------------------------------------------- TableBackup
def _backup(stack: cdk.Stack, **options: Any) -> TableBackup:
    return TableBackup(stack, "Backups", tables=[SecureTable(stack, "Table", partition_key=PK)], **options)


def test_backup_default_covers_the_tables_in_a_vault_nobody_can_empty() -> None:
    tmpl = template(_backup)
    vault = only_resource(tmpl, "AWS::Backup::BackupVault")
    assert vault["DeletionPolicy"] == "Retain"
    (deny,) = vault["Properties"]["AccessPolicy"]["Statement"]
    assert (deny["Effect"], deny["Principal"]) == ("Deny", {"AWS": "*"})
    assert sorted(deny["Action"]) == ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]
    key_id = vault["Properties"]["EncryptionKeyArn"]["Fn::GetAtt"][0]
    assert key_id.startswith("BackupsKey")
    (rule,) = only_resource(tmpl, "AWS::Backup::BackupPlan")["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    assert rule["ScheduleExpression"] == "cron(0 5 * * ? *)"
    selection = only_resource(tmpl, "AWS::Backup::BackupSelection")["Properties"]["BackupSelection"]
    (table_id,) = resources(tmpl, "AWS::DynamoDB::Table")
    assert selection["Resources"] == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_backup_retention_and_schedule_options() -> None:
    tmpl = template(
        lambda stack: _backup(stack, retention_days=90, schedule=events.Schedule.cron(hour="1", minute="30"))
    )
    (rule,) = only_resource(tmpl, "AWS::Backup::BackupPlan")["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 90}
    assert rule["ScheduleExpression"] == "cron(30 1 * * ? *)"


def test_backup_collects_every_problem() -> None:
    with pytest.raises(ConfigurationError) as error:
        template(lambda stack: TableBackup(stack, "Backups", tables=[], retention_days=0))
    assert len(error.value.problems) == 2
    assert "give at least one SecureTable" in str(error.value) and "retention_days=0" in str(error.value)


# ---------------------------------------------------------------- Profile
def test_profiles_default_and_regulated() -> None:
    assert Profile.DEFAULT.packs == ("AwsSolutions", "Serverless")
    assert not Profile.DEFAULT.isolated_network and Profile.DEFAULT.reserved_concurrency is None
    assert not Profile.DEFAULT.table_backups and not Profile.DEFAULT.runs_regulated_packs
    assert Profile.REGULATED.runs_regulated_packs
    assert Profile.REGULATED.packs == ALL_PACKS
    assert Profile.REGULATED.isolated_network and Profile.REGULATED.table_backups
    assert Profile.named("regulated") is Profile.REGULATED
    tuned = Profile.REGULATED.with_settings(reserved_concurrency=None)
    assert tuned.reserved_concurrency is None and tuned.backup_retention_days == 35


def test_profile_collects_every_problem() -> None:
    with pytest.raises(ConfigurationError) as error:
        Profile(name="mine", packs=("CIS",), reserved_concurrency=0, backup_retention_days=True)  # type: ignore[arg-type]
    assert len(error.value.problems) == 3
    with pytest.raises(ConfigurationError, match=r"name='strict': choose one of \['default', 'regulated'\]"):
        Profile.named("strict")


# ---------------------------------------------------------------- the five packs
def _regulated_service(stack: cdk.Stack) -> None:
    profile = Profile.REGULATED
    network = IsolatedNetwork(stack, "Network", s3_endpoint=False)
    service = TableFunction(
        stack,
        "Service",
        code=CODE,
        handler="index.handler",
        partition_key=PK,
        invocation=Invocation.ASYNCHRONOUS,
        function_options={**network.function_options(), "reserved_concurrent_executions": profile.reserved_concurrency},
    )
    network.allow_table(service.table)
    TableBackup(stack, "Backups", tables=[service.table], retention_days=profile.backup_retention_days or 35)


def test_a_regulated_service_passes_all_five_packs_and_the_perimeter_check(tmp_path: Path) -> None:
    report = nag_report(_regulated_service, tmp_path, packs=ALL_PACKS)
    assert set(ALL_PACKS) <= set(report.packs)
    assert open_findings(report) == []


# ---------------------------------------------------------------- cross-region replication
TARGET = ReplicaTarget(region="eu-central-1", name_prefix="test-files")


def _replicated_app(app: cdk.App) -> tuple[cdk.Stack, cdk.Stack]:
    replica_stack = cdk.Stack(app, "Replica", env=cdk.Environment(region=TARGET.region))
    BucketReplica(replica_stack, "Replica", target=TARGET)
    source = cdk.Stack(app, "Test")
    replicate_bucket(SecureBucket(source, "Bucket"), target=TARGET)
    source.add_dependency(replica_stack)
    return replica_stack, source


def test_replication_sends_every_object_to_the_replica_under_its_own_key() -> None:
    replica_stack, source = _replicated_app(new_app())
    tmpl = assertions.Template.from_stack(source)
    (bucket,) = [b for k, b in resources(tmpl, "AWS::S3::Bucket").items() if "AccessLogs" not in k]
    config = bucket["Properties"]["ReplicationConfiguration"]
    (rule,) = config["Rules"]
    assert rule["Status"] == "Enabled" and rule["Filter"] == {"Prefix": ""}
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert "test-files-" in str(rule["Destination"]["Bucket"]) and "eu-central-1" in str(rule["Destination"]["Bucket"])
    assert ":alias/test-files-replica" in str(rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"])
    (policy,) = resources(tmpl, "AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = sorted(a for s in statements for a in as_list(s["Action"]))
    assert not any("*" in action for action in actions)
    assert "s3:ReplicateObject" in actions and "kms:Decrypt" in actions
    (encrypt,) = [s for s in statements if "kms:Encrypt" in as_list(s["Action"])]
    assert encrypt["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/test-files-replica"}
    assert encrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-central-1.amazonaws.com"}
    (role_id,) = resources(tmpl, "AWS::IAM::Role")
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    replica = assertions.Template.from_stack(replica_stack)
    (replica_bucket,) = [b for k, b in resources(replica, "AWS::S3::Bucket").items() if "AccessLogs" not in k]
    assert "test-files-" in str(replica_bucket["Properties"]["BucketName"])
    assert replica_bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert only_resource(replica, "AWS::KMS::Alias")["Properties"]["AliasName"] == "alias/test-files-replica"


def test_a_replicated_bucket_and_its_replica_pass_all_five_packs(tmp_path: Path) -> None:
    app = new_app(outdir=str(tmp_path))
    register_compliance_checks(app, packs=ALL_PACKS)
    _replicated_app(app)
    assert open_findings(synth_with_checks(app)) == []


def test_replication_fails_on_bad_target_agnostic_replica_stack_and_same_region() -> None:
    with pytest.raises(ConfigurationError) as error:
        ReplicaTarget(region="Frankfurt", name_prefix="X")
    assert len(error.value.problems) == 2
    app = new_app()
    with pytest.raises(ConfigurationError, match=r"env=cdk.Environment\(region=target.region\)"):
        BucketReplica(cdk.Stack(app, "Agnostic"), "Replica", target=TARGET)
    same = cdk.Stack(app, "Same", env=cdk.Environment(region=TARGET.region))
    with pytest.raises(ConfigurationError, match="is the source bucket's own region"):
        replicate_bucket(SecureBucket(same, "Bucket"), target=TARGET)
