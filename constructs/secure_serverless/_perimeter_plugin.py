"""The perimeter check as a CDK policy-validation plugin: a violation fails ``cdk synth``.

cdk-nag 3 runs as such plugins; registering this one beside it (``register_compliance_checks``)
makes a cross-service grant, an undeclared reach or a wildcard fail the synth exactly as a cdk-nag
finding does, with the analyzer's violation lines in the report. It runs on every template of
the assembly together, so cross-stack references are checked too.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import aws_cdk as cdk
import jsii

from ._assembly import NotAnAssemblyError, read_stacks
from .perimeter import PerimeterInputError, Violation, analyze, load_path

PLUGIN_NAME = "SecureServerlessPerimeter"
_DOCS = "docs/perimeter.md"


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class PerimeterCheck:
    """Runs ``secure_serverless.perimeter`` over the synthesized templates."""

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        from . import __version__

        return __version__

    @property
    def rule_ids(self) -> list[str]:
        from .perimeter import RULES

        return [rule.code for rule in RULES]

    def validate(self, context: cdk.IPolicyValidationContextBeta1) -> cdk.PolicyValidationPluginReportBeta1:
        paths = list(context.template_paths)
        acknowledged = _acknowledged_perimeter_rules(paths)
        if acknowledged:
            # CDK would let an acknowledgment silence this plugin like any other; a perimeter
            # violation is never acceptable, so the synth stops here whatever the reason says.
            raise PerimeterAcknowledgedError(
                "the perimeter check cannot be acknowledged: "
                + "; ".join(f"{path} acknowledges {rule}" for path, rule in acknowledged)
                + ". Fix the grant instead (docs/library-grants.md), or turn the whole check off with "
                "register_compliance_checks(app, perimeter=False, perimeter_off_reason='...'), which is recorded."
            )
        try:
            report = analyze(load_path(paths))
        except PerimeterInputError as error:
            return cdk.PolicyValidationPluginReportBeta1(
                success=False,
                violations=[
                    cdk.PolicyViolationBeta1(
                        rule_name="P00",
                        description=f"the perimeter check could not read the templates: {error}",
                        violating_resources=[],
                        fix="fix the template named in the message, or report it as a bug of the kit",
                        severity="error",
                    )
                ],
            )
        for warning in report.warnings:  # out of scope, reported, never failing (docs/perimeter.md)
            print(f"perimeter check: warning {warning.to_line()}", file=sys.stderr)
        by_rule: dict[str, list[Violation]] = defaultdict(list)
        for violation in report.violations:
            by_rule[violation.code].append(violation)
        violations = []
        for code, found in sorted(by_rule.items()):
            rule = found[0].rule
            violations.append(
                cdk.PolicyViolationBeta1(
                    rule_name=f"{code} {rule.name}",
                    description="\n".join(v.to_line() for v in found),
                    violating_resources=[
                        cdk.PolicyViolatingResourceBeta1(
                            resource_logical_id=v.function,
                            locations=[v.resource],
                            template_path=_template_path(paths, v.template),
                        )
                        for v in found
                    ],
                    fix=getattr(rule, "fix", None) or f"see {_DOCS} for rule {code}",
                    severity="error",
                )
            )
        return cdk.PolicyValidationPluginReportBeta1(success=not violations, violations=violations)


class PerimeterAcknowledgedError(RuntimeError):
    """An acknowledgment names a rule of the perimeter check (or the acknowledgments cannot be read)."""


def _acknowledged_perimeter_rules(template_paths: list[str]) -> list[tuple[str, str]]:
    """(construct path, rule id) of every acknowledgment of this plugin's rules in the assembly.

    Read with the assembly reader the summary and the acknowledgment check use. An assembly it
    cannot read stops the synth: an unread acknowledgment must not slip through.
    """
    found: list[tuple[str, str]] = []
    for folder in sorted({Path(path).parent for path in template_paths}):
        try:
            stacks = read_stacks(folder)
        except (NotAnAssemblyError, OSError, ValueError) as error:
            raise PerimeterAcknowledgedError(
                f"the perimeter check could not read the assembly's acknowledgments: {error}"
            ) from error
        found.extend(
            (ack.path, ack.acknowledged_id)
            for stack in stacks
            for ack in stack.acknowledgments()
            if ack.pack == PLUGIN_NAME
        )
    return sorted(set(found))


def _template_path(paths: list[str], template: str) -> str:
    """The template file a violation's template name came from (names are file stems)."""
    for path in paths:
        if template in path:
            return path
    return paths[0] if paths else template
