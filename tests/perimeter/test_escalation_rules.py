"""Issue 21's five classes, as an adversarial table (the ``escalation_mutations`` package), plus unit tests of
what the table does not show: the matrix row of a declared control-plane reach, the catalogue,
the messages.

``fail``: a violation with the expected rule code on the expected function (and resource), whose
message names the path and the fix. ``pass``: no violation at all. ``error``: a
``PerimeterInputError`` (the CLI's exit 2), never another exception.
"""

from __future__ import annotations

from collections import Counter

import pytest
from escalation_mutations import CASES, FIX_WORDS, Case

from perimeter_support import FILES_FUNCTION, NOTES_FUNCTION, NOTES_POLICY, NOTES_ROLE, TemplateBuilder, getatt
from secure_serverless_checks.perimeter import PerimeterInputError, analyze
from secure_serverless_checks.perimeter.control_plane import (
    CONTROL_PLANE_ACTIONS,
    ESCALATION_METHODS,
    control_plane_actions,
    is_control_plane,
)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_gets_its_verdict(case: Case) -> None:
    builder = TemplateBuilder()
    assembly = case.apply(builder) or {"stack": builder.template}

    if case.verdict == "error":
        with pytest.raises(PerimeterInputError) as raised:
            analyze(assembly)
        assert "\n" not in str(raised.value).strip()
        return
    report = analyze(assembly)
    if case.verdict == "pass":
        assert report.violations == (), report.to_text()
        return
    found = [
        v
        for v in report.violations
        if v.code == case.code
        and v.function == case.function
        and (case.resource is None or v.resource == case.resource)
    ]
    assert found, report.to_text()
    messages = " | ".join(v.message for v in found)
    for words in case.mentions + ((FIX_WORDS[case.code],) if case.code in FIX_WORDS else ()):
        assert words in messages, messages


def test_every_class_has_cases_of_every_verdict_it_needs() -> None:
    per_class = Counter(c.klass for c in CASES)

    assert set(per_class) == {"control-plane", "trust", "opaque", "computed-name", "credentials"}
    assert min(per_class.values()) >= 15
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.klass for c in CASES if c.verdict == "pass"} == set(per_class)


# -- the catalogue ------------------------------------------------------------------------------


def test_every_published_method_has_a_control_plane_action() -> None:
    for name, actions in ESCALATION_METHODS.items():
        assert any(action in CONTROL_PLANE_ACTIONS for action in actions), name


@pytest.mark.parametrize(
    ("actions", "not_action", "expected"),
    [
        (["iam:Put*"], False, {"iam:putrolepolicy", "iam:putuserpolicy", "iam:putgrouppolicy"}),
        (["*"], False, {"iam:passrole", "lambda:updatefunctioncode", "sts:assumerole"}),
        (["s3:*"], True, {"iam:passrole", "lambda:updatefunctioncode"}),
        (["IAM:PassRole"], False, {"IAM:PassRole"}),
    ],
)
def test_patterns_and_not_action_expand_over_the_catalogue(
    actions: list[str], not_action: bool, expected: set[str]
) -> None:
    assert expected <= set(control_plane_actions(actions, not_action=not_action))


@pytest.mark.parametrize(
    "action", ["dynamodb:GetItem", "s3:GetObject", "kms:Decrypt", "lambda:InvokeFunction", "sts:GetCallerIdentity"]
)
def test_data_plane_actions_are_not_control_plane(action: str) -> None:
    assert not is_control_plane(action)
    assert control_plane_actions([action], not_action=False) == []


@pytest.mark.parametrize(
    "action", ["iam:CreateVirtualMFADevice", "sts:GetFederationToken", "organizations:LeaveOrganization"]
)
def test_identity_service_writes_are_control_plane_even_uncatalogued(action: str) -> None:
    assert is_control_plane(action)


# -- the declaration and the matrix --------------------------------------------------------------


def _declared_builder() -> TemplateBuilder:
    builder = TemplateBuilder()
    builder.perimeter(NOTES_FUNCTION)["control_plane"] = [
        {"actions": ["lambda:UpdateFunctionConfiguration"], "resources": [FILES_FUNCTION], "reason": "rotates settings"}
    ]
    builder.allow(NOTES_POLICY, "lambda:UpdateFunctionConfiguration", getatt(FILES_FUNCTION))
    return builder


def test_a_declared_control_plane_reach_is_a_matrix_row_of_its_own_kind_with_its_reason() -> None:
    report = _declared_builder().analyze()

    (row,) = [r for r in report.perimeter_of(NOTES_FUNCTION).reach if r.resource == FILES_FUNCTION]
    assert (row.access, row.actions, row.reasons) == (
        "control-plane",
        ("lambda:UpdateFunctionConfiguration",),
        ("rotates settings",),
    )
    assert report.ok, report.to_text()
    assert "control-plane" in report.to_markdown()


def test_the_own_role_violation_names_the_path_and_the_method() -> None:
    builder = TemplateBuilder()
    builder.allow(NOTES_POLICY, ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"], getatt(NOTES_ROLE))

    (violation,) = builder.analyze().find("P17", NOTES_FUNCTION, NOTES_ROLE)

    assert violation.actions == ("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy")
    assert NOTES_POLICY in violation.message  # the path: which policy and statement
    assert "PutRolePolicyThenUpdateAssumeRolePolicy" in violation.message
    assert "never allowed, even declared" in violation.message


def test_the_kit_fixture_has_no_control_plane_reach_trust_or_opaque_finding() -> None:
    report = TemplateBuilder().analyze()

    assert not [v for v in report.violations if v.code in ("P16", "P17", "P18", "P19")], report.to_text()
