"""The data-flow model fails closed: resource policies not read before, types it does not know,
edges it cannot resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataflow_support import DATA_FLOW, _bucket, add, role
from perimeter_support import BUCKET, FILES_FUNCTION, NOTES_FUNCTION, NOTES_ROLE, TemplateBuilder, getatt

# -- fail closed: resource policies not read before, types the model does not know -----------


def _grant_to_notes(action: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": getatt(NOTES_ROLE)}, "Action": action, "Resource": "*"}


RESOURCE_POLICIES: dict[str, Callable[[TemplateBuilder], None]] = {
    "AWS::Elasticsearch::Domain AccessPolicies": lambda b: add(
        b, "Search", "AWS::Elasticsearch::Domain", AccessPolicies={"Statement": [_grant_to_notes("es:ESHttpGet")]}
    ),
    "AWS::S3Express::BucketPolicy": lambda b: (
        add(
            b,
            "Directory",
            "AWS::S3Express::DirectoryBucket",
            DataRedundancy="SingleAvailabilityZone",
            LocationName="use1-az4",
        ),
        add(
            b,
            "DirectoryPolicy",
            "AWS::S3Express::BucketPolicy",
            Bucket={"Ref": "Directory"},
            PolicyDocument={"Statement": [_grant_to_notes("s3express:CreateSession")]},
        ),
    ),
    "AWS::S3Tables::TableBucketPolicy": lambda b: (
        add(b, "Tables", "AWS::S3Tables::TableBucket", TableBucketName="tables"),
        add(
            b,
            "TablesPolicy",
            "AWS::S3Tables::TableBucketPolicy",
            TableBucketARN=getatt("Tables", "TableBucketARN"),
            ResourcePolicy={"Statement": [_grant_to_notes("s3tables:GetTableData")]},
        ),
    ),
    "AWS::S3::MultiRegionAccessPointPolicy": lambda b: add(
        b,
        "GlobalPolicy",
        "AWS::S3::MultiRegionAccessPointPolicy",
        MrapName="global",
        Policy={"Statement": [_grant_to_notes("s3:GetObject")]},
    ),
    "AWS::S3ObjectLambda::AccessPointPolicy": lambda b: add(
        b,
        "LambdaPointPolicy",
        "AWS::S3ObjectLambda::AccessPointPolicy",
        ObjectLambdaAccessPoint="point",
        PolicyDocument={"Statement": [_grant_to_notes("s3-object-lambda:GetObject")]},
    ),
    "AWS::Lambda::LayerVersionPermission": lambda b: (
        add(b, "Layer", "AWS::Lambda::LayerVersion", Content={"S3Bucket": "b", "S3Key": "k"}),
        add(
            b,
            "LayerPermission",
            "AWS::Lambda::LayerVersionPermission",
            Action="lambda:GetLayerVersion",
            LayerVersionArn={"Ref": "Layer"},
            Principal="*",
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE_POLICIES))
def test_a_resource_policy_type_not_read_before_now_grants_reach(name: str) -> None:
    builder = TemplateBuilder()
    RESOURCE_POLICIES[name](builder)

    report = builder.analyze()

    # P07 (a resource not declared) or, where the policy names a resource the template does not
    # define, P14 (fail closed): before, the policy was not read at all and nothing was reported.
    assert {v.rule.code for v in report.violations if v.function == NOTES_FUNCTION} & {"P07", "P12", "P14"}, (
        report.to_text()
    )


@pytest.mark.parametrize(
    "resource_type",
    ["AWS::Glacier::Vault", "AWS::DMS::ReplicationTask", "AWS::DataSync::Task", "AWS::AppFlow::Flow"],
)
def test_a_type_the_model_does_not_know_fails_closed_naming_it(resource_type: str) -> None:
    builder = TemplateBuilder()
    add(builder, "Mover", resource_type)

    report = builder.analyze()

    found = [v for v in report.violations if v.rule.code == "P14" and v.resource == "Mover"]
    assert found and resource_type in found[0].message, report.to_text()


UNRESOLVABLE: dict[str, Callable[[TemplateBuilder], None]] = {
    "an event source that is a parameter": lambda b: (
        b.template.setdefault("Parameters", {}).update({"Source": {"Type": "String"}}),
        add(
            b,
            "Mover",
            "AWS::Lambda::EventSourceMapping",
            EventSourceArn={"Ref": "Source"},
            FunctionName={"Ref": FILES_FUNCTION},
        ),
    ),
    "a state machine whose definition is in S3": lambda b: add(
        b,
        "Mover",
        "AWS::StepFunctions::StateMachine",
        RoleArn=role(b, "MachineRole", "states.amazonaws.com"),
        DefinitionS3Location={"Bucket": "b", "Key": "k"},
    ),
    "a backup selection whose plan is not in the template": lambda b: add(
        b,
        "Mover",
        "AWS::Backup::BackupSelection",
        BackupPlanId="plan-id",
        BackupSelection={"SelectionName": "s", "IamRoleArn": "arn:aws:iam::123456789012:role/r", "Resources": []},
    ),
    "a dynamic reference to a secret named by a parameter": lambda b: (
        b.template.setdefault("Parameters", {}).update({"Name": {"Type": "String"}}),
        add(
            b,
            "Mover",
            "AWS::SSM::Parameter",
            Type="String",
            Value={"Fn::Sub": "{{resolve:secretsmanager:${Name}:SecretString}}"},
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(UNRESOLVABLE))
def test_an_edge_the_model_cannot_resolve_fails_closed(name: str) -> None:
    builder = TemplateBuilder()
    UNRESOLVABLE[name](builder)

    report = builder.analyze()

    assert [v for v in report.violations if v.rule.code == "P14" and v.resource == "Mover"], report.to_text()


def test_a_bucket_acl_that_is_not_a_literal_fails_closed() -> None:
    builder = TemplateBuilder()
    builder.template["Parameters"] = {"Acl": {"Type": "String"}}
    _bucket(builder)["AccessControl"] = {"Ref": "Acl"}

    assert [v for v in builder.analyze().violations if v.rule.code in ("P14", DATA_FLOW) and BUCKET in v.resource]
