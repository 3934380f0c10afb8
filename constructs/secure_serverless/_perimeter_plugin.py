"""The perimeter check as a CDK policy-validation plugin: a violation fails ``cdk synth``.

cdk-nag 3 runs as such plugins; registering this one beside it (``register_compliance_checks``)
makes a cross-service grant, an undeclared reach or a wildcard fail the synth exactly as a cdk-nag
finding does, with the analyzer's violation lines in the report. It runs on every template of
the assembly together, so cross-stack references are checked too.

Unlike a cdk-nag finding, no perimeter finding can be acknowledged, and the verdict holds under
the CDK CLI as under ``python app.py``: see ``_perimeter_gate`` and docs/perimeter.md.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aws_cdk as cdk
import jsii

from secure_serverless_checks._assembly import NotAnAssemblyError, read_stacks
from secure_serverless_checks.perimeter import PerimeterInputError, Violation, analyze, load_path

from ._perimeter_gate import EXIT_CHECK_FAILED, EXIT_VIOLATIONS, NOT_ACKNOWLEDGEABLE_SHORT, PerimeterGate

PLUGIN_NAME = "SecureServerlessPerimeter"
#: CDK applies no acknowledgment to a fatal violation and prints "Rule <id>", not "Acknowledge with".
SEVERITY = "fatal"
#: Rule code of the check's own failures: an acknowledgment of a perimeter rule, a crash, bad input.
CHECK_FAILED = "P00"
_DOCS = "docs/perimeter.md"


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class PerimeterCheck:
    """Runs ``secure_serverless_checks.perimeter`` over the synthesized templates.

    Every finding is reported with severity ``fatal``: aws-cdk-lib and the CDK CLI neither apply an
    acknowledgment to a fatal violation nor suggest one ("Rule ..." instead of "Acknowledge with
    ..."). ``validate`` never raises: CDK turns an exception into a report with no violations,
    which the CLI reads as a success; a crash, unreadable input or an acknowledgment of a
    perimeter rule is a fatal violation of its own. When the app runs where aws-cdk-lib does not
    raise by itself (under the CDK CLI), ``gate`` ends the process non-zero at exit.
    """

    def __init__(self, gate: PerimeterGate | None = None) -> None:
        self._gate = gate if gate is not None else PerimeterGate(armed=False)

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        from . import __version__

        return __version__

    @property
    def rule_ids(self) -> list[str]:
        from secure_serverless_checks.perimeter import RULES

        return [CHECK_FAILED] + [rule.code for rule in RULES]

    def validate(self, context: cdk.IPolicyValidationContextBeta1) -> cdk.PolicyValidationPluginReportBeta1:
        paths: list[str] = []
        try:
            paths = list(context.template_paths)
            code, findings = _verdict(paths)
        except Exception as error:  # whatever fails inside the check fails the check
            code = EXIT_CHECK_FAILED
            findings = [_check_failed(f"the perimeter check crashed: {type(error).__name__}: {error}")]
        if findings:
            lines = [line for finding in findings for line in finding.lines]
            self._gate.fail(code, lines, str(Path(paths[0]).parent) if paths else None)
            # CDK's report shows only violations that name a resource: say the others here.
            self._gate.tell([line for finding in findings if not finding.resources for line in finding.lines])
        return cdk.PolicyValidationPluginReportBeta1(
            success=not findings, violations=[finding.violation(paths) for finding in findings]
        )


@dataclass(frozen=True)
class _Finding:
    """One violation of the plugin's report: a rule and the lines (and resources) behind it."""

    rule_name: str
    lines: list[str]
    fix: str
    resources: list[tuple[str, str, str]] = field(default_factory=list)  # (function, resource, template)

    def violation(self, paths: list[str]) -> cdk.PolicyViolationBeta1:
        return cdk.PolicyViolationBeta1(
            rule_name=self.rule_name,
            description="\n".join(self.lines),
            violating_resources=[
                cdk.PolicyViolatingResourceBeta1(
                    resource_logical_id=function,
                    locations=[resource],
                    template_path=_template_path(paths, template),
                )
                for function, resource, template in self.resources
            ],
            fix=f"{self.fix.rstrip('.')}. {NOT_ACKNOWLEDGEABLE_SHORT}",
            severity=SEVERITY,
        )


def _check_failed(message: str) -> _Finding:
    return _Finding(
        f"{CHECK_FAILED} check-failed",
        [message],
        "fix the input named in the message (or report a crash as a bug of the kit); the perimeter is unproven "
        "until the check runs to the end",
    )


def _verdict(paths: list[str]) -> tuple[int, list[_Finding]]:
    """(exit code, findings) of the perimeter check over ``paths``; raises only on a bug."""
    findings: list[_Finding] = []
    code = EXIT_VIOLATIONS
    try:
        acknowledged = _acknowledged_perimeter_rules(paths)
    except PerimeterAcknowledgedError as error:
        acknowledged = []
        findings.append(_check_failed(str(error)))
        code = EXIT_CHECK_FAILED
    if acknowledged:
        findings.append(
            _Finding(
                f"{CHECK_FAILED} acknowledged-perimeter-rule",
                [
                    "the perimeter check cannot be acknowledged: "
                    + "; ".join(f"{path} acknowledges {rule}" for path, rule in acknowledged)
                ],
                "remove the acknowledgment and fix what it names",
            )
        )
    try:
        report = analyze(load_path(paths))
    except PerimeterInputError as error:
        findings.append(_check_failed(f"the perimeter check could not read the templates: {error}"))
        return EXIT_CHECK_FAILED, findings
    for warning in report.warnings:  # out of scope, reported, never failing (docs/perimeter.md)
        print(f"perimeter check: warning {warning.to_line()}", file=sys.stderr)
    by_rule: dict[str, list[Violation]] = defaultdict(list)
    for violation in report.violations:
        by_rule[violation.code].append(violation)
    for rule_code, found in sorted(by_rule.items()):
        rule = found[0].rule
        findings.append(
            _Finding(
                f"{rule_code} {rule.name}",
                [v.to_line() for v in found],
                getattr(rule, "fix", None) or f"see {_DOCS} for rule {rule_code}",
                [(v.function, v.resource, v.template) for v in found],
            )
        )
    return code, findings


class PerimeterAcknowledgedError(RuntimeError):
    """The assembly's acknowledgments cannot be read."""


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
