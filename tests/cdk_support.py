"""Helpers for tests that synthesize CDK code.

Two kinds of apps, because a registered cdk-nag plugin makes ``Template.from_stack`` raise:
- ``template(build)``: an app without plugins, for fine-grained assertions;
- ``nag_report(build, outdir)``: an app with the packs registered, for the compliance verdict.
Both use the feature flags of the reference app's cdk.json, as a user's app would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import assertions

from secure_serverless.compliance import (
    DEFAULT_PACKS,
    ComplianceReport,
    register_compliance_checks,
    synth_with_checks,
)

ROOT = Path(__file__).resolve().parents[1]
FEATURE_FLAGS: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]

Build = Callable[[cdk.Stack], object]


def new_app(**kwargs: Any) -> cdk.App:
    context = {**FEATURE_FLAGS, **kwargs.pop("context", {})}
    return cdk.App(context=context, **kwargs)


def template(build: Build) -> assertions.Template:
    """Synthesize ``build`` in a fresh stack (no cdk-nag) and return its template."""
    stack = cdk.Stack(new_app(), "Test")
    build(stack)
    return assertions.Template.from_stack(stack)


def nag_report(build: Build, outdir: Path, packs: Sequence[str] = DEFAULT_PACKS) -> ComplianceReport:
    """Synthesize ``build`` in a fresh app with cdk-nag packs registered; return the verdict."""
    app = new_app(outdir=str(outdir))
    register_compliance_checks(app, packs=packs)
    stack = cdk.Stack(app, "Test")
    build(stack)
    return synth_with_checks(app)


def resources(tmpl: assertions.Template, cfn_type: str) -> dict[str, Any]:
    return dict(tmpl.find_resources(cfn_type))


def only_resource(tmpl: assertions.Template, cfn_type: str) -> dict[str, Any]:
    found = resources(tmpl, cfn_type)
    assert len(found) == 1, f"expected one {cfn_type}, found {sorted(found)}"
    return next(iter(found.values()))


def policy_statements(tmpl: assertions.Template) -> list[dict[str, Any]]:
    """Every statement of every identity policy (AWS::IAM::Policy and inline role policies)."""
    statements: list[dict[str, Any]] = []
    for policy in resources(tmpl, "AWS::IAM::Policy").values():
        statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    for role in resources(tmpl, "AWS::IAM::Role").values():
        for inline in role["Properties"].get("Policies", []):
            statements.extend(inline["PolicyDocument"]["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def open_findings(report: ComplianceReport) -> list[str]:
    """Open findings as readable lines, for assertion messages."""
    return [f"{finding.rule} at {finding.path}" for finding in report.findings]


class StackResources:
    """A synthesized stack's resources, looked up by the constructs that made them."""

    def __init__(self, stack: cdk.Stack, resources: dict[str, Any]) -> None:
        self.stack = stack
        self.resources = resources

    def logical_id(self, construct: Any) -> str:
        cfn = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
        assert isinstance(cfn, cdk.CfnResource)
        return self.stack.get_logical_id(cfn)

    def ref(self, construct: Any) -> dict[str, str]:
        return {"Ref": self.logical_id(construct)}

    def arn(self, construct: Any) -> dict[str, list[str]]:
        return {"Fn::GetAtt": [self.logical_id(construct), "Arn"]}

    def resource(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.logical_id(construct)]  # type: ignore[no-any-return]

    def props(self, construct: Any) -> dict[str, Any]:
        return self.resource(construct)["Properties"]  # type: ignore[no-any-return]
