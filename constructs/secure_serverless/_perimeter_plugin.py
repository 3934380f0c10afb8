"""The perimeter check as a CDK policy-validation plugin: a violation fails ``cdk synth``.

cdk-nag 3 runs as such plugins; registering this one beside it (``register_compliance_checks``)
makes a cross-service grant, an undeclared reach or a wildcard fail the synth exactly as a cdk-nag
finding does, with the analyzer's violation lines in the report. It runs on every template of
the assembly together, so cross-stack references are checked too.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import aws_cdk as cdk
import jsii

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


def _template_path(paths: list[str], template: str) -> str:
    """The template file a violation's template name came from (names are file stems)."""
    for path in paths:
        if template in path:
            return path
    return paths[0] if paths else template
