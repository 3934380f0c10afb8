"""SecureFunction.declare_control_plane_reach: exact control-plane actions on exact resources, granted
and declared; the perimeter check accepts exactly that and nothing on the function's own role or code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from cdk_support import nag_report, open_findings, template
from secure_serverless import ConfigurationError, Invocation, SecureFunction
from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY
from secure_serverless_checks.perimeter import analyze

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
REASON = "rolls the worker's configuration after a deploy"


def _functions(stack: cdk.Stack) -> tuple[SecureFunction, SecureFunction]:
    deployer = SecureFunction(stack, "Deployer", code=CODE, handler="index.handler", invocation=Invocation.SYNCHRONOUS)
    worker = SecureFunction(stack, "Worker", code=CODE, handler="index.handler", invocation=Invocation.SYNCHRONOUS)
    return deployer, worker


def _build(stack: cdk.Stack) -> None:
    deployer, worker = _functions(stack)
    deployer.declare_control_plane_reach(
        actions=["lambda:UpdateFunctionConfiguration"], resources=[worker.function], reason=REASON
    )


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    return template(_build).to_json()


def test_the_exact_action_is_granted_on_the_exact_function(synthesized: dict[str, Any]) -> None:
    statements = [
        statement
        for resource in synthesized["Resources"].values()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    granted = [s for s in statements if s["Action"] == "lambda:UpdateFunctionConfiguration"]

    assert len(granted) == 1
    assert "Worker" in str(granted[0]["Resource"]) and "*" not in str(granted[0]["Resource"])


def test_the_declaration_is_recorded_with_its_reason(synthesized: dict[str, Any]) -> None:
    deployer = next(
        r for r in synthesized["Resources"].values() if r["Type"] == "AWS::Lambda::Function" and "Deployer" in str(r)
    )
    (entry,) = deployer["Metadata"][PERIMETER_METADATA_KEY]["control_plane"]

    assert entry["actions"] == ["lambda:UpdateFunctionConfiguration"]
    assert entry["reason"] == REASON
    assert entry["resources"][0].startswith("Worker")


def test_the_perimeter_check_passes_and_shows_a_control_plane_row(synthesized: dict[str, Any]) -> None:
    report = analyze({"Test": synthesized})

    assert report.ok, report.to_text()
    rows = [row for function in report.matrix for row in function.reach if row.access == "control-plane"]
    assert [row.actions for row in rows] == [("lambda:UpdateFunctionConfiguration",)]
    assert rows[0].reasons == (REASON,)


def test_functions_without_a_declaration_write_no_control_plane_key() -> None:
    synthesized = template(_functions).to_json()
    metadata = [
        r["Metadata"][PERIMETER_METADATA_KEY]
        for r in synthesized["Resources"].values()
        if "Metadata" in r and PERIMETER_METADATA_KEY in r["Metadata"]
    ]

    assert metadata and all("control_plane" not in m for m in metadata)


def test_cdk_nag_has_nothing_to_say(tmp_path: Path) -> None:
    assert open_findings(nag_report(_build, tmp_path)) == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"actions": ["iam:PutRolePolicy"], "resources": ["own role"]}, "own role, trust and code"),
        ({"actions": ["lambda:UpdateFunctionCode"], "resources": ["own function"]}, "own role, trust and code"),
        ({"actions": ["lambda:Update*"], "resources": ["worker"]}, "pattern"),
        ({"actions": ["dynamodb:GetItem"], "resources": ["worker"]}, "not a control-plane action"),
        ({"actions": ["lambda:UpdateFunctionCode"], "resources": ["*"]}, "without wildcards"),
        ({"actions": ["lambda:UpdateFunctionCode"], "resources": ["worker"], "reason": "because"}, "reason="),
    ],
)
def test_what_can_never_be_declared_is_refused_with_the_fix(options: dict[str, Any], expected: str) -> None:
    stack = cdk.Stack(cdk.App(), "Refused")
    deployer, worker = _functions(stack)
    named = {"own role": deployer.role, "own function": deployer.function, "worker": worker.function, "*": "*"}
    resources = [named[name] for name in options["resources"]]

    with pytest.raises(ConfigurationError) as raised:
        deployer.declare_control_plane_reach(
            actions=options["actions"], resources=resources, reason=options.get("reason", REASON)
        )

    assert expected in str(raised.value)
