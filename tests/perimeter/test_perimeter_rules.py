"""Each rule, broken once: the violation names the function, the resource and the action."""

from __future__ import annotations

from typing import Any

import pytest

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_KEY,
    FILES_ROLE,
    FILES_TABLE,
    FIXTURES,
    NOTES_FUNCTION,
    NOTES_KEY,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    base_message,
    codes,
    getatt,
    join,
    only,
)
from secure_serverless_checks.perimeter import analyze, load_path

PARTITION, REGION, ACCOUNT = ({"Ref": f"AWS::{name}"} for name in ("Partition", "Region", "AccountId"))


# -- reach ------------------------------------------------------------------------------------


def test_cross_table_grant_is_undeclared_reach_and_a_shared_table(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, ["dynamodb:GetItem", "dynamodb:Query"], getatt(FILES_TABLE))

    report = builder.analyze()

    violation = only(report, "P07", NOTES_FUNCTION, FILES_TABLE)
    assert violation.actions == ("dynamodb:GetItem", "dynamodb:Query")
    assert violation.rule.name == "undeclared-reach"
    assert (
        base_message(violation) == "FilesTable2222 (AWS::DynamoDB::Table) is not in the function's declared perimeter"
    )
    assert violation.to_line().startswith(
        "P07 undeclared-reach: stack/NotesFunction1234 -> FilesTable2222 [dynamodb:GetItem, dynamodb:Query]: "
    )
    shared = only(report, "P13", FILES_FUNCTION, FILES_TABLE)
    assert "also reached by NotesFunction1234" in shared.message
    assert only(report, "P13", NOTES_FUNCTION, FILES_TABLE).actions == ("dynamodb:GetItem", "dynamodb:Query")
    assert not report.ok


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(
            {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${FilesTable2222}"},
            id="Fn::Sub string",
        ),
        pytest.param(
            {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${T}",
                    {"T": {"Ref": FILES_TABLE}},
                ]
            },
            id="Fn::Sub with variables",
        ),
        pytest.param({"Fn::Sub": "${FilesTable2222.Arn}"}, id="Fn::Sub attribute"),
        pytest.param(
            join("arn:", PARTITION, ":dynamodb:", REGION, ":", ACCOUNT, ":table/", {"Ref": FILES_TABLE}),
            id="Fn::Join of the name",
        ),
        pytest.param(
            {
                "Fn::Join": [
                    ":",
                    ["arn", PARTITION, "dynamodb", REGION, ACCOUNT, {"Fn::Sub": "table/${FilesTable2222}"}],
                ]
            },
            id="Fn::Join with a separator",
        ),
        pytest.param(
            {"Fn::Select": [1, [getatt(NOTES_TABLE), getatt(FILES_TABLE)]]},
            id="Fn::Select",
        ),
    ],
)
def test_arns_built_with_sub_and_join_are_resolved_to_the_foreign_table(
    builder: TemplateBuilder, resource: Any
) -> None:
    builder.allow(NOTES_POLICY, "dynamodb:PutItem", resource)

    report = builder.analyze()

    assert only(report, "P07", NOTES_FUNCTION, FILES_TABLE).actions == ("dynamodb:PutItem",)


def test_arn_with_the_table_name_in_the_stacks_region_and_account_is_that_table(builder: TemplateBuilder) -> None:
    builder.resources[FILES_TABLE]["Properties"]["TableName"] = "files"
    builder.allow(
        NOTES_POLICY, "dynamodb:GetItem", {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/files"}
    )

    assert only(builder.analyze(), "P07", NOTES_FUNCTION, FILES_TABLE).actions == ("dynamodb:GetItem",)


def test_literal_region_of_an_unknown_environment_is_not_the_stacks_table(builder: TemplateBuilder) -> None:
    """Before: a table name matched in any region or account was the template's table (unsound:
    arn:...:*:*:table/files reaches every 'files' table). Now only the stack's own region and
    account name it; a literal region of an environment-agnostic stack is another resource."""
    builder.resources[FILES_TABLE]["Properties"]["TableName"] = "files"
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/files"
    builder.allow(NOTES_POLICY, "dynamodb:GetItem", arn)

    assert only(builder.analyze(), "P07", NOTES_FUNCTION, arn).actions == ("dynamodb:GetItem",)


def test_resource_outside_the_template_is_undeclared_reach(builder: TemplateBuilder) -> None:
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/billing"
    builder.allow(NOTES_POLICY, "dynamodb:GetItem", arn)

    violation = only(builder.analyze(), "P07", NOTES_FUNCTION, arn)

    assert "outside the assembly" in violation.message


def test_index_arn_of_a_foreign_table_is_undeclared_reach(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, "dynamodb:Query", join(getatt(FILES_TABLE), "/index/byOwner"))

    report = builder.analyze()

    assert only(report, "P07", NOTES_FUNCTION, f"{FILES_TABLE}/index/byOwner").actions == ("dynamodb:Query",)


def test_undeclared_index_of_the_own_table(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, "dynamodb:Query", join(getatt(NOTES_TABLE), "/index/byOwner"))

    violation = only(builder.analyze(), "P09", NOTES_FUNCTION, f"{NOTES_TABLE}/index/byOwner")

    assert violation.actions == ("dynamodb:Query",)
    assert (
        base_message(violation) == "index 'byOwner' of NotesTable5678 is not declared (declared indexes: byUpdatedAt)"
    )


def test_grant_through_a_separate_iam_policy_resource(builder: TemplateBuilder) -> None:
    builder.resources["SneakyPolicy0001"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "sneaky",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "dynamodb:DeleteItem", "Resource": getatt(FILES_TABLE)}],
            },
            "Roles": [{"Ref": NOTES_ROLE}],
        },
    }

    report = builder.analyze()

    assert only(report, "P07", NOTES_FUNCTION, FILES_TABLE).actions == ("dynamodb:DeleteItem",)
    row = next(r for r in report.perimeter_of(NOTES_FUNCTION).reach if r.resource == FILES_TABLE)
    assert row.sources == ("SneakyPolicy0001 Statement[0]",)


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param(getatt(NOTES_ROLE), id="GetAtt"),
        pytest.param({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${NotesRoleDDDD}"}, id="Fn::Sub"),
        pytest.param([join("arn:", PARTITION, ":iam::", ACCOUNT, ":role/", {"Ref": NOTES_ROLE})], id="Fn::Join"),
    ],
)
def test_kms_key_policy_giving_the_role_another_services_key(builder: TemplateBuilder, principal: Any) -> None:
    builder.statements(FILES_KEY, "KeyPolicy").append(
        {"Action": ["kms:Decrypt"], "Effect": "Allow", "Principal": {"AWS": principal}, "Resource": "*"}
    )

    report = builder.analyze()

    violation = only(report, "P07", NOTES_FUNCTION, FILES_KEY)
    assert violation.actions == ("kms:Decrypt",)
    assert only(report, "P13", FILES_FUNCTION, FILES_KEY)
    row = next(r for r in report.perimeter_of(NOTES_FUNCTION).reach if r.resource == FILES_KEY)
    assert row.sources == ("FilesKey1111 key policy Statement[2]",)


def test_key_policy_for_the_account_or_a_service_is_nobodys_reach(builder: TemplateBuilder) -> None:
    """The default key policy (account root, CloudWatch Logs) names no role of the template."""
    assert builder.statements(NOTES_KEY, "KeyPolicy")[0]["Action"] == "kms:*"

    assert builder.analyze().ok


def test_bucket_policy_granting_the_role_another_prefix(builder: TemplateBuilder) -> None:
    builder.statements(BUCKET_POLICY).append(
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"AWS": getatt(FILES_ROLE)},
            "Resource": join(getatt(BUCKET), "/attachments/*"),
        }
    )

    report = builder.analyze()

    violation = only(report, "P10", FILES_FUNCTION, f"{BUCKET}/attachments/*")
    assert violation.actions == ("s3:GetObject",)
    assert base_message(violation) == (
        "object ARN UploadsBucket9999/attachments/* is outside the declared prefix 'files/' of UploadsBucket9999"
    )
    assert "objects under 'attachments/', 'files/'" in only(report, "P13", FILES_FUNCTION, BUCKET).message


def test_bucket_wide_object_arn_is_broader_than_the_declared_prefix(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, "s3:GetObject", join(getatt(BUCKET), "/*"))

    report = builder.analyze()

    violation = only(report, "P12", NOTES_FUNCTION, f"{BUCKET}/*")
    assert (
        base_message(violation)
        == "UploadsBucket9999/* is broader than the declared prefix 'attachments/' of UploadsBucket9999"
    )
    assert only(report, "P13", FILES_FUNCTION, BUCKET)


def test_overlapping_prefixes_of_one_bucket_are_shared(builder: TemplateBuilder) -> None:
    builder.reach(FILES_FUNCTION, BUCKET)["prefix"] = "attachments/files/"
    builder.statements("FilesRoleDefaultPolicy6666")[5]["Resource"] = join(getatt(BUCKET), "/attachments/files/*")

    report = builder.analyze()

    assert codes(report) == {("P13", FILES_FUNCTION, BUCKET), ("P13", NOTES_FUNCTION, BUCKET)}


def test_a_resource_is_shared_only_when_both_functions_say_so(builder: TemplateBuilder) -> None:
    builder.reach(FILES_FUNCTION, "UploadsKey8888")["shared"] = False

    report = builder.analyze()

    assert codes(report) == {("P13", FILES_FUNCTION, "UploadsKey8888"), ("P13", NOTES_FUNCTION, "UploadsKey8888")}
    assert only(report, "P13", NOTES_FUNCTION, "UploadsKey8888").actions == ("kms:Decrypt", "kms:GenerateDataKey")


# -- access levels ------------------------------------------------------------------------------


def test_write_where_read_is_declared(builder: TemplateBuilder) -> None:
    builder.reach(NOTES_FUNCTION, NOTES_TABLE)["access"] = "read"

    report = builder.analyze()

    violation = only(report, "P08", NOTES_FUNCTION, NOTES_TABLE)
    assert violation.actions == (
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    )
    assert violation.message.startswith("beyond the declared access level 'read' of NotesTable5678")
    assert only(report, "P08", NOTES_FUNCTION, f"{NOTES_TABLE}/index/byUpdatedAt")


def test_stream_of_the_own_table_is_not_in_any_access_level(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, ["dynamodb:GetRecords", "dynamodb:GetShardIterator"], getatt(NOTES_TABLE, "StreamArn"))

    violation = only(builder.analyze(), "P08", NOTES_FUNCTION, f"{NOTES_TABLE}/stream/<label>")

    assert violation.actions == ("dynamodb:GetRecords", "dynamodb:GetShardIterator")


# -- wildcards ----------------------------------------------------------------------------------


def test_service_wildcard_action(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, "dynamodb:*", getatt(NOTES_TABLE))

    violation = only(builder.analyze(), "P11", NOTES_FUNCTION, NOTES_TABLE)

    assert violation.actions == ("dynamodb:*",)
    assert violation.rule.name == "wildcard-action"


def test_star_resource_on_a_data_action(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, ["dynamodb:GetItem", "xray:PutTraceSegments"], "*")

    report = builder.analyze()

    assert only(report, "P12", NOTES_FUNCTION, "*").actions == ("dynamodb:GetItem",)


def test_wildcards_are_exempt_only_for_the_exact_actions_recorded(builder: TemplateBuilder) -> None:
    builder.perimeter(NOTES_FUNCTION)["wildcards"][0]["actions"] = ["xray:PutTraceSegments"]

    report = builder.analyze()

    assert only(report, "P12", NOTES_FUNCTION, "*").actions == ("xray:PutTelemetryRecords",)


def test_index_wildcard_is_reported_and_cannot_be_recorded(builder: TemplateBuilder) -> None:
    """Before: any 'wildcards' entry with a reason excused its actions. Now only actions without
    resource-level permissions can be recorded; a data action such as Query is an invalid entry."""
    builder.allow(NOTES_POLICY, "dynamodb:Query", join(getatt(NOTES_TABLE), "/index/*"))

    assert only(builder.analyze(), "P12", NOTES_FUNCTION, f"{NOTES_TABLE}/index/*").actions == ("dynamodb:Query",)

    builder.perimeter(NOTES_FUNCTION)["wildcards"].append(
        {"actions": ["dynamodb:Query"], "resource": "<NotesTable5678.Arn>/index/*", "reason": "cdk-nag style id"}
    )
    report = builder.analyze()
    assert only(report, "P12", NOTES_FUNCTION, f"{NOTES_TABLE}/index/*")
    assert (
        "only actions without resource-level permissions"
        in only(report, "P02", NOTES_FUNCTION, "SecureServerless::Perimeter").message
    )


@pytest.mark.parametrize(
    ("statement", "code", "resource", "action"),
    [
        ({"NotAction": "iam:*", "Resource": getatt(NOTES_TABLE)}, "P11", NOTES_TABLE, "* except iam:*"),
        (
            {"Action": "dynamodb:GetItem", "NotResource": getatt(NOTES_TABLE)},
            "P12",
            "* except NotesTable5678",
            "dynamodb:GetItem",
        ),
        (
            {"Action": "s3:Get*", "Resource": join(getatt(BUCKET), "/attachments/*")},
            "P11",
            f"{BUCKET}/attachments/*",
            "s3:Get*",
        ),
        ({"Action": "*", "Resource": "*"}, "P12", "*", "*"),
    ],
)
def test_not_action_not_resource_and_patterns_are_wildcards(
    builder: TemplateBuilder, statement: dict[str, Any], code: str, resource: str, action: str
) -> None:
    builder.statements(NOTES_POLICY).append({"Effect": "Allow", **statement})

    assert only(builder.analyze(), code, NOTES_FUNCTION, resource).actions == (action,)


def test_star_action_on_star_is_both_wildcard_action_and_wildcard_resource(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, "*", "*")

    report = builder.analyze()

    # ... and control-plane reach (P17): "*" includes iam:PutRolePolicy on the function's own role.
    assert {v.code for v in report.find(function=NOTES_FUNCTION, resource="*")} == {"P11", "P12", "P17"}


# -- roles and policies -------------------------------------------------------------------------


def test_aws_managed_policy_fixture() -> None:
    report = analyze(load_path(FIXTURES / "aws_managed_policy.template.json"))

    violation = only(report, "P05", "Hello4A628BD4", "service-role/AWSLambdaBasicExecutionRole")
    assert "AWS managed policy service-role/AWSLambdaBasicExecutionRole is attached to HelloServiceRoleE071F162" in (
        violation.message
    )
    assert only(report, "P01", "Hello4A628BD4", "Hello4A628BD4")


def test_aws_managed_policy_as_a_plain_arn(builder: TemplateBuilder) -> None:
    builder.resources[NOTES_ROLE]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
    ]

    assert only(builder.analyze(), "P05", NOTES_FUNCTION, "AmazonDynamoDBFullAccess")


def test_customer_managed_policy_from_outside_the_template(builder: TemplateBuilder) -> None:
    arn = "arn:aws:iam::123456789012:policy/team-boundary"
    builder.resources[NOTES_ROLE]["Properties"]["ManagedPolicyArns"] = [arn]

    assert only(builder.analyze(), "P06", NOTES_FUNCTION, arn)


def test_shared_role_fixture() -> None:
    report = analyze(load_path(FIXTURES / "shared_role.template.json"))

    assert codes(report) == {
        ("P04", "ReaderFunction0004", "SharedRole0001"),
        ("P04", "ReportFunction0005", "SharedRole0001"),
    }
    assert report.find("P04", "ReaderFunction0004")[0].message.startswith(
        "role SharedRole0001 is also used by ReportFunction0005"
    )


def test_role_shared_by_two_functions_of_the_compliant_stack(builder: TemplateBuilder) -> None:
    builder.resources[FILES_FUNCTION]["Properties"]["Role"] = getatt(NOTES_ROLE)

    report = builder.analyze()

    assert only(report, "P04", FILES_FUNCTION, NOTES_ROLE)
    assert only(report, "P04", NOTES_FUNCTION, NOTES_ROLE)
    mismatch = only(report, "P02", FILES_FUNCTION, "SecureServerless::Perimeter")
    assert base_message(mismatch) == "declares role FilesRole5555 but the function's Role is NotesRoleDDDD"
    assert only(report, "P07", FILES_FUNCTION, NOTES_TABLE)


def test_imported_role_fixture() -> None:
    report = analyze(load_path(FIXTURES / "imported_role.template.json"))

    violation = only(report, "P03", "LegacyFunction0001", "arn:aws:iam::123456789012:role/legacy-lambda-role")
    assert violation.rule.name == "role-not-in-template"


def test_role_imported_from_another_stack(builder: TemplateBuilder) -> None:
    builder.resources[NOTES_FUNCTION]["Properties"]["Role"] = {"Fn::ImportValue": "shared-lambda-role-arn"}

    assert only(builder.analyze(), "P03", NOTES_FUNCTION, "${Fn::ImportValue}")


# -- the declaration ------------------------------------------------------------------------------


def test_function_without_metadata_reaches_only_undeclared_resources(builder: TemplateBuilder) -> None:
    del builder.resources[NOTES_FUNCTION]["Metadata"]["SecureServerless::Perimeter"]

    report = builder.analyze()

    assert only(report, "P01", NOTES_FUNCTION, NOTES_FUNCTION)
    assert only(report, "P07", NOTES_FUNCTION, NOTES_TABLE).actions[0] == "dynamodb:BatchGetItem"
    assert only(report, "P12", NOTES_FUNCTION, "*").actions == ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
    assert not report.perimeter_of(NOTES_FUNCTION).declared
    assert not report.find(function=FILES_FUNCTION, code="P01")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"access": "admin"},
            "reach[0]: unknown access level 'admin' for dynamodb-table; expected one of "
            "['read', 'read-write', 'stream-read', 'write']",
        ),
        ({"resource": "GoneTable"}, "reach[0]: resource 'GoneTable' is not in the template"),
        (
            {"resource": NOTES_KEY},
            "reach[0]: NotesKeyAAAA is an AWS::KMS::Key, but kind 'dynamodb-table' is AWS::DynamoDB::Table",
        ),
        ({"indexes": ["byNothing"]}, "reach[0]: NotesTable5678 defines no index named byNothing"),
        ({"shared": "yes"}, "reach[0]: 'shared' must be true or false, got 'yes'"),
    ],
)
def test_invalid_reach_entries_are_reported_and_declare_nothing(
    builder: TemplateBuilder, change: dict[str, Any], message: str
) -> None:
    builder.perimeter(NOTES_FUNCTION)["reach"][0].update(change)

    report = builder.analyze()

    assert only(report, "P02", NOTES_FUNCTION, "SecureServerless::Perimeter").message == message


def test_invalid_entry_does_not_widen_the_perimeter(builder: TemplateBuilder) -> None:
    builder.perimeter(NOTES_FUNCTION)["reach"][0]["access"] = "everything"

    report = builder.analyze()

    assert only(report, "P07", NOTES_FUNCTION, NOTES_TABLE)


def test_wildcard_without_a_reason_is_invalid_and_not_honoured(builder: TemplateBuilder) -> None:
    builder.perimeter(NOTES_FUNCTION)["wildcards"][0]["reason"] = " "

    report = builder.analyze()

    assert only(report, "P02", NOTES_FUNCTION, "SecureServerless::Perimeter").message == (
        "wildcards[0]: a wildcard needs a 'reason'"
    )
    assert only(report, "P12", NOTES_FUNCTION, "*")


def test_metadata_may_name_resources_with_ref_and_getatt(builder: TemplateBuilder) -> None:
    perimeter = builder.perimeter(NOTES_FUNCTION)
    perimeter["role"] = {"Ref": NOTES_ROLE}
    perimeter["reach"][0]["resource"] = getatt(NOTES_TABLE)

    assert builder.analyze().ok


def test_unresolvable_resource_is_reported_not_assumed_safe(builder: TemplateBuilder) -> None:
    builder.allow(NOTES_POLICY, "dynamodb:GetItem", {"Fn::ImportValue": "other-stack-table-arn"})

    violation = only(builder.analyze(), "P14", NOTES_FUNCTION, "${Fn::ImportValue}")

    assert violation.actions == ("dynamodb:GetItem",)
