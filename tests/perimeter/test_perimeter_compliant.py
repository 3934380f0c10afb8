"""The compliant template passes, and the matrix shows what each function really reaches."""

from __future__ import annotations

import copy
from typing import Any

from perimeter_support import (
    BUCKET,
    COMPLIANT,
    FILES_FUNCTION,
    FILES_POLICY,
    FILES_ROLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
)
from secure_serverless_checks.access_levels import actions_for
from secure_serverless_checks.perimeter import analyze, load_path


def test_compliant_template_has_no_violation() -> None:
    report = analyze(load_path(COMPLIANT))

    assert report.violations == (), report.to_text()
    assert report.ok
    assert [p.function for p in report.matrix] == [FILES_FUNCTION, NOTES_FUNCTION]
    assert report.summary() == "OK: 2 functions within their declared perimeters (1 template)."


def test_matrix_lists_each_resource_with_its_access_level_and_exact_actions(builder: TemplateBuilder) -> None:
    notes = builder.analyze().perimeter_of(NOTES_FUNCTION)
    rows = {row.resource: row for row in notes.reach}

    assert notes.role == NOTES_ROLE
    assert notes.declared
    assert set(rows) == {
        "*",
        "NotesDlqBBBB",
        "NotesKeyAAAA",
        "NotesLogsCCCC",
        NOTES_TABLE,
        f"{NOTES_TABLE}/index/byUpdatedAt",
        f"{BUCKET}/attachments/*",
        "UploadsKey8888",
    }
    table = rows[NOTES_TABLE]
    assert (table.kind, table.access) == ("dynamodb-table", "read-write")
    assert set(table.actions) == set(actions_for("dynamodb-table", "read-write"))
    assert table.sources == (f"{NOTES_POLICY} Statement[1]",)
    assert rows["*"].access == "recorded wildcard"
    assert rows["*"].reasons == ("X-Ray trace ingestion has no resource-level permissions",)
    assert rows[f"{BUCKET}/attachments/*"].actions == ("s3:GetObject", "s3:PutObject")


def test_disjoint_prefixes_of_one_bucket_are_not_shared(builder: TemplateBuilder) -> None:
    """Both functions reach UploadsBucket, on attachments/ and files/: that is isolation."""
    report = builder.analyze()

    assert not report.find("P13")
    assert {row.resource for p in report.matrix for row in p.reach if row.resource.startswith(BUCKET)} == {
        f"{BUCKET}/attachments/*",
        f"{BUCKET}/files/*",
    }


def test_reach_is_the_same_whichever_way_a_policy_is_attached(builder: TemplateBuilder) -> None:
    """Inline Policies, a separate AWS::IAM::Policy and customer managed policies (attached from the
    role or from the policy) are all followed: moving statements between them changes nothing."""
    before = builder.analyze().perimeter_of(FILES_FUNCTION).reach
    statements: list[Any] = builder.statements(FILES_POLICY)
    document = {"Version": "2012-10-17", "Statement": statements}
    del builder.resources[FILES_POLICY]
    builder.resources[FILES_ROLE]["Properties"]["Policies"] = [
        {"PolicyName": "inline", "PolicyDocument": {**document, "Statement": statements[:2]}}
    ]
    builder.resources[FILES_ROLE]["Properties"]["ManagedPolicyArns"] = [{"Ref": "FilesManagedA"}]
    builder.resources["FilesManagedA"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": {**document, "Statement": statements[2:4]}},
    }
    builder.resources["FilesManagedB"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": {**document, "Statement": statements[4:]}, "Roles": [{"Ref": FILES_ROLE}]},
    }
    builder.resources[FILES_FUNCTION]["DependsOn"] = [FILES_ROLE]

    after = builder.analyze()

    assert after.violations == (), after.to_text()
    assert [(row.resource, row.actions) for row in after.perimeter_of(FILES_FUNCTION).reach] == [
        (row.resource, row.actions) for row in before
    ]


def test_deny_statements_are_not_reach(builder: TemplateBuilder) -> None:
    builder.statements(NOTES_POLICY).append({"Action": "dynamodb:*", "Effect": "Deny", "Resource": "*"})

    report = builder.analyze()

    assert report.ok, report.to_text()
    assert "dynamodb:*" not in {a for row in report.perimeter_of(NOTES_FUNCTION).reach for a in row.actions}


def test_conditions_are_shown_in_the_matrix_but_do_not_reduce_reach(builder: TemplateBuilder) -> None:
    builder.allow(
        NOTES_POLICY,
        "dynamodb:GetItem",
        {"Fn::GetAtt": ["FilesTable2222", "Arn"]},
        Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["nobody"]}},
    )

    report = builder.analyze()

    row = next(r for r in report.perimeter_of(NOTES_FUNCTION).reach if r.resource == "FilesTable2222")
    assert row.conditions == ("ForAllValues:StringEquals:dynamodb:LeadingKeys",)
    assert report.find("P07", NOTES_FUNCTION, "FilesTable2222")


def test_analyze_does_not_modify_its_input() -> None:
    template = TemplateBuilder().template
    pristine = copy.deepcopy(template)

    analyze({"stack": template})

    assert template == pristine
