"""The reference app on the regulated profile (``-c profile=regulated``): five packs clean, and
what the packs asked for really built: isolated network, reserved concurrency, backups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from test_reference_app import (
    SERVICES,
    _documented_acknowledgments,
    acknowledgment_rows,
    logical_id,
    of_type,
    recorded_acknowledgments,
)

from reference_support import ReferenceAssembly, ReferenceTemplates
from secure_serverless._validation import ConfigurationError
from secure_serverless.profile import ALL_PACKS, Profile
from secure_serverless_checks.perimeter import analyze, load_path
from stacks.config import AppConfig, load_config

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- verdicts
def test_regulated_profile_runs_all_five_packs_with_no_open_findings(regulated_assembly: ReferenceAssembly) -> None:
    report = regulated_assembly.report
    assert set(ALL_PACKS) <= set(report.packs)
    assert [f"{f.rule} at {f.path}" for f in report.findings] == []


def _documented_regulated_acknowledgments(*, replicated: bool = False) -> set[tuple[str, str, str]]:
    """Rows of the regulated profile's table, or (``replicated``) of the replica-region table."""
    text = (ROOT / "docs" / "compliance.md").read_text()
    section = text.split("## The regulated profile", 1)[1]
    regulated, replica = section.split("### With a replica region", 1)
    return acknowledgment_rows(replica if replicated else regulated)


def test_regulated_acknowledgments_equal_the_list_in_docs_compliance(regulated_assembly: ReferenceAssembly) -> None:
    """Every acknowledgment the regulated profile adds (beyond docs/acknowledgments.md) is listed, with its reason."""
    recorded = recorded_acknowledgments(regulated_assembly.outdir)
    added = recorded - _documented_acknowledgments()
    documented = _documented_regulated_acknowledgments()
    assert documented, "docs/compliance.md lists no regulated-profile acknowledgment"
    assert added - documented == set(), "recorded but not documented"
    assert documented - added == set(), "documented but no longer recorded"


def test_the_perimeter_check_passes_on_the_regulated_assembly(regulated_assembly: ReferenceAssembly) -> None:
    report = analyze(load_path(regulated_assembly.outdir))
    assert [violation.to_line() for violation in report.violations] == []
    assert sorted(function.function.split("Function")[0] for function in report.matrix) == sorted(SERVICES)
    for function in report.matrix:
        service = function.function.split("Function")[0]
        others = [s for s in SERVICES if s != service]
        assert not any(row.resource.startswith(f"{o}Table") for row in function.reach for o in others)


def test_with_a_replica_region_the_files_bucket_replicates_and_five_packs_pass(
    replicated_assembly: ReferenceAssembly,
) -> None:
    report = replicated_assembly.report
    assert set(ALL_PACKS) <= set(report.packs)
    assert [f"{f.rule} at {f.path}" for f in report.findings] == []
    manifest = json.loads((replicated_assembly.outdir / "manifest.json").read_text())["artifacts"]
    prefix = AppConfig().stack_prefix
    assert manifest[f"{prefix}-FilesReplica"]["environment"] == "aws://unknown-account/eu-central-1"
    assert manifest[f"{prefix}-NotesService"]["environment"] == "aws://unknown-account/unknown-region"
    assert f"{prefix}-FilesReplica" in manifest[f"{prefix}-NotesService"]["dependencies"]
    service = json.loads((replicated_assembly.outdir / f"{prefix}-NotesService.template.json").read_text())
    (bucket,) = [b for k, b in of_type(service, "AWS::S3::Bucket").items() if "AccessLogs" not in k]
    (rule,) = bucket["Properties"]["ReplicationConfiguration"]["Rules"]
    assert "eu-central-1" in json.dumps(rule["Destination"])


def test_replicated_acknowledgments_equal_the_list_in_docs_compliance(replicated_assembly: ReferenceAssembly) -> None:
    recorded = recorded_acknowledgments(replicated_assembly.outdir)
    added = recorded - _documented_acknowledgments() - _documented_regulated_acknowledgments()
    documented = _documented_regulated_acknowledgments(replicated=True)
    assert documented
    assert added - documented == set(), "recorded but not documented"
    assert documented - added == set(), "documented but no longer recorded"
    data_bucket = "NotesService/FilesBucket/Resource"
    assert not [r for r in recorded if r[0] == data_bucket and "S3BucketReplicationEnabled" in r[1]]


# ---------------------------------------------------------------- network
def _service(templates: ReferenceTemplates) -> dict[str, Any]:
    return templates.service()


def test_every_function_runs_in_the_isolated_subnets_with_reserved_concurrency(
    regulated_templates: ReferenceTemplates,
) -> None:
    template = _service(regulated_templates)
    subnets = sorted(of_type(template, "AWS::EC2::Subnet"))
    assert len(subnets) == 2
    functions_sg = logical_id(template, "AWS::EC2::SecurityGroup", "NetworkFunctions")
    for service in SERVICES:
        function = template["Resources"][logical_id(template, "AWS::Lambda::Function", f"{service}Function")]
        vpc_config = function["Properties"]["VpcConfig"]
        assert sorted(ref["Ref"] for ref in vpc_config["SubnetIds"]) == subnets
        assert vpc_config["SecurityGroupIds"] == [{"Fn::GetAtt": [functions_sg, "GroupId"]}]
        assert function["Properties"]["ReservedConcurrentExecutions"] == Profile.REGULATED.reserved_concurrency


def test_the_vpc_has_no_route_to_the_internet(regulated_templates: ReferenceTemplates) -> None:
    template = _service(regulated_templates)
    for cfn_type in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EgressOnlyInternetGateway"):
        assert of_type(template, cfn_type) == {}
    assert of_type(template, "AWS::EC2::Route") == {}, "isolated subnets: only the local and gateway-endpoint routes"
    for subnet in of_type(template, "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
    (flow_log,) = of_type(template, "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["ResourceId"] == {"Ref": logical_id(template, "AWS::EC2::VPC", "NetworkVpc")}


def test_interface_endpoints_admit_https_from_the_functions_only(regulated_templates: ReferenceTemplates) -> None:
    template = _service(regulated_templates)
    endpoints_sg = logical_id(template, "AWS::EC2::SecurityGroup", "NetworkEndpoints")
    functions_sg = logical_id(template, "AWS::EC2::SecurityGroup", "NetworkFunctions")
    ingress = [
        rule["Properties"]
        for rule in of_type(template, "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [endpoints_sg, "GroupId"]}
    ]
    assert ingress, "the endpoints admit nothing"
    for rule in ingress:
        assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": [functions_sg, "GroupId"]}
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    assert "SecurityGroupIngress" not in template["Resources"][endpoints_sg]["Properties"]
    egress = template["Resources"][functions_sg]["Properties"]["SecurityGroupEgress"]
    assert [(rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) for rule in egress] == [("tcp", 443, 443)]
    interface = [
        e
        for e in of_type(template, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"]["VpcEndpointType"] == "Interface"
    ]
    assert len(interface) == 2  # X-Ray, and Cognito for the admin route's membership check
    assert all(e["Properties"]["SecurityGroupIds"] == [{"Fn::GetAtt": [endpoints_sg, "GroupId"]}] for e in interface)


def test_gateway_endpoint_policies_name_only_the_stacks_tables_and_bucket(
    regulated_templates: ReferenceTemplates,
) -> None:
    template = _service(regulated_templates)
    gateways = {
        key: endpoint["Properties"]
        for key, endpoint in of_type(template, "AWS::EC2::VPCEndpoint").items()
        if endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    }
    (dynamodb,) = [p for k, p in gateways.items() if "DynamoDb" in k]
    (statement,) = dynamodb["PolicyDocument"]["Statement"]
    tables = sorted(of_type(template, "AWS::DynamoDB::Table"))
    assert sorted(arn["Fn::GetAtt"][0] for arn in statement["Resource"]) == tables
    assert not any("*" in action for action in statement["Action"])
    (s3,) = [p for k, p in gateways.items() if "S3" in k]
    (statement,) = s3["PolicyDocument"]["Statement"]
    (bucket,) = [
        b for b in of_type(template, "AWS::S3::Bucket") if b.startswith("FilesBucket") and "AccessLogs" not in b
    ]
    assert statement["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/*"]]}
    assert sorted(statement["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]


# ---------------------------------------------------------------- backups
def test_every_table_is_backed_up_to_a_vault_that_denies_deleting_recovery_points(
    regulated_templates: ReferenceTemplates,
) -> None:
    template = _service(regulated_templates)
    (selection,) = of_type(template, "AWS::Backup::BackupSelection").values()
    selected = {arn["Fn::GetAtt"][0] for arn in selection["Properties"]["BackupSelection"]["Resources"]}
    assert selected == set(of_type(template, "AWS::DynamoDB::Table"))
    (vault_id,) = of_type(template, "AWS::Backup::BackupVault")
    vault = template["Resources"][vault_id]
    key_id = vault["Properties"]["EncryptionKeyArn"]["Fn::GetAtt"][0]
    assert template["Resources"][key_id]["Type"] == "AWS::KMS::Key"
    assert vault["DeletionPolicy"] == "Retain"
    (deny,) = vault["Properties"]["AccessPolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert "backup:DeleteRecoveryPoint" in deny["Action"]
    (plan,) = of_type(template, "AWS::Backup::BackupPlan").values()
    (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"]["DeleteAfterDays"] == Profile.REGULATED.backup_retention_days
    assert rule["TargetBackupVault"] == {"Fn::GetAtt": [vault_id, "BackupVaultName"]}


def test_the_default_profile_has_none_of_the_regulated_resources(reference_templates: ReferenceTemplates) -> None:
    template = reference_templates.service()
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {t for t in types if t.startswith(("AWS::EC2::", "AWS::Backup::"))} == set()
    for function in of_type(template, "AWS::Lambda::Function").values():
        assert "VpcConfig" not in function["Properties"]
        assert "ReservedConcurrentExecutions" not in function["Properties"]


# ---------------------------------------------------------------- the switch
def _config(context: dict[str, Any]) -> AppConfig:
    return load_config(cdk.App(context=context).node)


def test_profile_regulated_switches_every_setting_on() -> None:
    assert _config({}).profile == Profile.DEFAULT
    assert _config({"profile": "regulated"}).profile == Profile.REGULATED
    tuned = _config({"profile": "regulated", "reservedConcurrency": "5", "backupRetentionDays": 90}).profile
    assert (tuned.reserved_concurrency, tuned.backup_retention_days, tuned.isolated_network) == (5, 90, True)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"profile": "strict"}, "context profile='strict': use default (cheap, no VPC) or regulated"),
        ({"reservedConcurrency": 5}, "applies to the regulated profile only"),
        ({"profile": "regulated", "reservedConcurrency": 5000}, "reserved_concurrency=5000"),
        ({"profile": "regulated", "backupRetentionDays": 0}, "use a whole number greater than 0"),
        ({"profile": "regulated", "replicaRegion": "Frankfurt"}, "give an AWS region name"),
        ({"replicaRegion": "eu-central-1"}, "applies to the regulated profile only"),
    ],
)
def test_bad_profile_context_fails_naming_the_key_and_the_fix(context: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        _config(context)
    assert expected in str(error.value)


#: What a VPC function may do on "*": AWS documents no resource-level permissions for these.
_RESOURCE_LESS_ON_STAR = {
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
}


def _statements(service: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for resource in service["Resources"].values()
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_vpc_functions_grant_no_write_action_on_star(regulated_templates: ReferenceTemplates) -> None:
    """Issue 25 (checkov CKV_AWS_111): the ENI actions are scoped to the function's subnets,
    security groups and the account's network-interface/*; only Describe and X-Ray stay on "*"."""
    service = _service(regulated_templates)
    on_star = {
        action
        for statement in _statements(service)
        if statement["Resource"] == "*"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert on_star == _RESOURCE_LESS_ON_STAR
    create = [s for s in _statements(service) if "ec2:CreateNetworkInterface" in json.dumps(s["Action"])]
    named = {json.dumps(s["Resource"]).split(":", 5)[-1] for s in create}
    assert any("subnet/" in text for text in named)
    assert any("security-group/" in text for text in named)
    assert any("network-interface/*" in text for text in named)
    subnets = [lid for lid, r in service["Resources"].items() if r["Type"] == "AWS::EC2::Subnet"]
    for subnet in subnets:
        assert any(subnet in json.dumps(s["Resource"]) for s in create), subnet
