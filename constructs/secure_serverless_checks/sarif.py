"""SARIF 2.1.0 for code-scanning tools: cdk-nag findings and perimeter violations of a cloud assembly.

Usage: ``python -m secure_serverless_checks.sarif cdk.out --output secure-serverless.sarif``. Pure
Python. One log with two runs:

- ``cdk-nag``: every finding of ``validation-report.json``; an open finding is a result, an
  acknowledged one is a result with a SARIF suppression (``kind: inSource``, ``status:
  accepted``) whose justification is the recorded reason, so a code-scanning UI shows it as
  dismissed with its reason instead of hiding it.
- ``secure-serverless-perimeter``: every violation of ``python -m secure_serverless_checks.perimeter``.
- ``secure-serverless-acknowledgments``: every problem ``python -m secure_serverless_checks.acknowledgments``
  finds in the acknowledgments the assembly records (``aws:cdk:acknowledged-rules``): stale,
  short reason, never acknowledgeable, past its review-by date.

Each result names its construct path (a logical location) and points at the Python line that
created the construct when one can be found (see ``_source_locator``), else at the resource in
the synthesized template. Exit status 0 written, 2 the input is not a cloud assembly.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._acknowledgment_record import parse_reason
from ._assembly import NotAnAssemblyError, StackArtifact, read_stacks
from ._docs import doc_path
from ._nag_report import Finding, read_validation_report
from ._source_locator import ConstructSourceIndex, relative_uri
from .acknowledgments import Problem, check_acknowledgments
from .perimeter import RULES, PerimeterInputError, Report, Rule, Violation, analyze, load_path

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
CDK_NAG_URI = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"
_LEVELS = {"error": "error", "warning": "warning"}
#: The perimeter check's own validation plugin (``_perimeter_plugin.PLUGIN_NAME``; that module imports
#: aws-cdk-lib, this one must not). Its findings are the perimeter run's, not cdk-nag's.
PERIMETER_PLUGIN = "SecureServerlessPerimeter"


@dataclass(frozen=True)
class _Locator:
    """Turns a construct path into SARIF locations, relative to ``base`` (the repository root)."""

    stacks: dict[str, StackArtifact]
    sources: ConstructSourceIndex
    base: Path

    def stack_of(self, construct_path: str) -> StackArtifact | None:
        return self.stacks.get(construct_path.strip("/").split("/", 1)[0])

    def locations(self, construct_path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        """(locations, related locations, properties) of one construct."""
        path = construct_path.strip("/")
        logical = [{"fullyQualifiedName": path, "kind": "resource"}]
        template = self._template_location(path)
        source = self.sources.locate(path)
        properties: dict[str, Any] = {"constructPath": path}
        if source is not None:
            how = "Kind(scope, id)" if source.form == "scope-and-id" else "a call's first argument"
            properties["sourceLocatedBy"] = f"construct id {source.construct_id!r} of the construct path, as {how}"
            physical = {"artifactLocation": {"uri": source.file}, "region": {"startLine": source.line}}
            related = [{"id": 1, **template}] if template else []
            return [{"physicalLocation": physical, "logicalLocations": logical}], related, properties
        if template:
            return [{**template, "logicalLocations": logical}], [], properties
        return [{"logicalLocations": logical}], [], properties

    def _template_location(self, construct_path: str) -> dict[str, Any] | None:
        """The synthesized resource of the construct (or of its nearest child) in its stack's template."""
        stack = self.stack_of(construct_path)
        if stack is None:
            return None
        physical: dict[str, Any] = {"artifactLocation": {"uri": relative_uri(stack.template_file, self.base)}}
        located = stack.nearest_resource(construct_path)
        if located is None:
            return {"physicalLocation": physical, "message": {"text": f"stack {stack.name}"}}
        line = _line_of_key(stack.template_file, located[0])
        if line is not None:
            physical["region"] = {"startLine": line}
        return {"physicalLocation": physical, "message": {"text": f"{located[0]} in the synthesized template"}}


def build_sarif(
    outdir: str | Path,
    *,
    source_roots: Sequence[Path] = (),
    base: Path | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """The SARIF log of the cloud assembly in ``outdir`` (a dict ready for ``json.dumps``).

    :param base: folder the paths in the log are relative to. Default: the current folder.
    :param today: the date review-by dates are compared with. Default: today, UTC.
    """
    base = (base or Path.cwd()).resolve()
    stacks = {stack.name: stack for stack in read_stacks(outdir)}
    locator = _Locator(stacks, ConstructSourceIndex(source_roots, base=base), base)
    today = today or datetime.datetime.now(datetime.UTC).date()
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [_nag_run(outdir, locator), _perimeter_run(outdir, locator), _hygiene_run(outdir, locator, today)],
    }


def _nag_run(outdir: str | Path, locator: _Locator) -> dict[str, Any]:
    report = read_validation_report(outdir)
    findings = [f for f in (*report.findings, *report.acknowledged) if f.pack != PERIMETER_PLUGIN]
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(
            _base_rule(finding.rule),
            {
                "id": _base_rule(finding.rule),
                "shortDescription": {"text": finding.description},
                "helpUri": CDK_NAG_URI,
                "properties": {"pack": finding.pack},
            },
        )
    rule_ids = sorted(rules)
    results = [_nag_result(finding, rule_ids, locator) for finding in findings]
    return {
        "tool": {"driver": {"name": "cdk-nag", "informationUri": CDK_NAG_URI, "rules": [rules[r] for r in rule_ids]}},
        "results": results,
        "properties": {"packs": [pack for pack in report.packs if pack != PERIMETER_PLUGIN]},
    }


def _nag_result(finding: Finding, rule_ids: list[str], locator: _Locator) -> dict[str, Any]:
    rule_id = _base_rule(finding.rule)
    locations, related, properties = locator.locations(finding.path)
    properties |= {"findingId": finding.rule, "pack": finding.pack}
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_ids.index(rule_id),
        "level": _LEVELS.get(finding.severity, "warning"),
        "message": {"text": f"{finding.rule} at {finding.path.strip('/')}: {finding.description}"},
        "locations": locations,
        "partialFingerprints": {"secureServerless/v1": _fingerprint(finding.rule, finding.path)},
        "properties": properties,
    }
    if related:
        result["relatedLocations"] = related
    if finding.reason is not None:
        recorded = parse_reason(finding.reason)
        properties["acknowledgedAt"] = (finding.acknowledged_at or "").strip("/")
        if recorded.owner:
            properties["owner"] = recorded.owner
        if recorded.review_by:
            properties["reviewBy"] = recorded.review_by.isoformat()
        result["suppressions"] = [{"kind": "inSource", "status": "accepted", "justification": finding.reason}]
    return result


def _perimeter_run(outdir: str | Path, locator: _Locator) -> dict[str, Any]:
    try:
        report: Report | None = analyze(load_path(outdir))
    except PerimeterInputError as error:
        report, failure = None, str(error)
    except (RecursionError, MemoryError, OSError) as error:
        report, failure = None, f"cannot read the input: {type(error).__name__}"
    rules = list(RULES)
    for violation in report.violations if report else ():
        if violation.rule not in rules:
            rules.append(violation.rule)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "secure-serverless-perimeter",
                "rules": [_perimeter_rule(rule) for rule in rules],
            }
        },
        "results": [_perimeter_result(v, rules, locator) for v in report.violations] if report else [],
    }
    # What the analyzer reports but does not evaluate (when it has such warnings): notes, not errors.
    for warning in getattr(report, "warnings", ()) if report else ():
        if warning.rule not in rules:
            rules.append(warning.rule)
            run["tool"]["driver"]["rules"].append(_perimeter_rule(warning.rule))
        run["results"].append(_perimeter_result(warning, rules, locator) | {"level": "note"})
    if report is None:
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": failure}}],
            }
        ]
    return run


def _perimeter_rule(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"id": rule.code, "name": rule.name, "shortDescription": {"text": rule.summary}}
    fix = getattr(rule, "fix", None)
    if fix:
        descriptor["help"] = {"text": str(fix)}
    return descriptor


def _perimeter_result(violation: Violation, rules: list[Rule], locator: _Locator) -> dict[str, Any]:
    path = _function_path(violation, locator)
    locations, related, properties = locator.locations(path)
    properties |= {"template": violation.template, "function": violation.function, "resource": violation.resource}
    actions = f" [{', '.join(violation.actions)}]" if violation.actions else ""
    fix = getattr(violation.rule, "fix", None)
    result: dict[str, Any] = {
        "ruleId": violation.code,
        "ruleIndex": rules.index(violation.rule),
        "level": "error",
        "message": {
            "text": f"{violation.function} -> {violation.resource}{actions}: {violation.message}"
            + (f" Fix: {fix}" if fix else "")
        },
        "locations": locations,
        "partialFingerprints": {"secureServerless/v1": _fingerprint(violation.code, path, violation.resource)},
        "properties": properties,
    }
    if related:
        result["relatedLocations"] = related
    return result


_HYGIENE_RULES = {
    "stale": "The acknowledgment excuses no finding any more.",
    "short-reason": "The acknowledgment's reason is too short to be checked by a reviewer.",
    "never-acknowledge": "The acknowledged rule is one the kit never lets anyone acknowledge.",
    "expired": "The acknowledgment's review-by date has passed.",
    "malformed-record": "The acknowledgment's owner / review-by suffix cannot be read.",
}


def _hygiene_run(outdir: str | Path, locator: _Locator, today: datetime.date) -> dict[str, Any]:
    rule_ids = sorted(_HYGIENE_RULES)
    problems = check_acknowledgments(outdir, today=today).problems
    return {
        "tool": {
            "driver": {
                "name": "secure-serverless-acknowledgments",
                "rules": [{"id": rule, "shortDescription": {"text": _HYGIENE_RULES[rule]}} for rule in rule_ids],
            }
        },
        "results": [_hygiene_result(problem, rule_ids, locator) for problem in problems],
    }


def _hygiene_result(problem: Problem, rule_ids: list[str], locator: _Locator) -> dict[str, Any]:
    acknowledgment = problem.acknowledgment
    locations, related, properties = locator.locations(acknowledgment.path)
    properties |= {"acknowledgedId": acknowledgment.acknowledged_id, "reason": acknowledgment.reason}
    result: dict[str, Any] = {
        "ruleId": problem.kind,
        "ruleIndex": rule_ids.index(problem.kind),
        "level": "error",
        "message": {"text": problem.to_line()},
        "locations": locations,
        "partialFingerprints": {
            "secureServerless/v1": _fingerprint(problem.kind, acknowledgment.path, acknowledgment.acknowledged_id)
        },
        "properties": properties,
    }
    if related:
        result["relatedLocations"] = related
    return result


def _function_path(violation: Violation, locator: _Locator) -> str:
    """The function's construct path (``aws:cdk:path``), or ``template/logicalId`` for a plain template."""
    stack = locator.stacks.get(violation.template)
    resource = stack.template.get("Resources", {}).get(violation.function) if stack else None
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("aws:cdk:path"), str):
        return str(metadata["aws:cdk:path"])
    return f"{violation.template}/{violation.function}"


def _base_rule(rule: str) -> str:
    """``AwsSolutions-IAM5[Resource::*]`` -> ``AwsSolutions-IAM5``: one SARIF rule per cdk-nag rule."""
    return rule.split("[", 1)[0]


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(part.strip("/") for part in parts).encode()).hexdigest()[:32]


def _line_of_key(template_file: Path, logical_id: str) -> int | None:
    needle = f'"{logical_id}":'
    for number, line in enumerate(template_file.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip().startswith(needle):
            return number
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_serverless_checks.sarif",
        description="Write cdk-nag findings (open and acknowledged) and perimeter violations as SARIF 2.1.0.",
        epilog="exit status: 0 written, 2 not a cloud assembly. See " + doc_path("pull-requests.md"),
    )
    parser.add_argument(
        "outdir", metavar="CDK_OUT", type=Path, help="a cloud assembly (cdk.out) synthesized with cdk-nag"
    )
    parser.add_argument("--output", metavar="FILE", type=Path, help="write the log to FILE (default: standard output)")
    parser.add_argument(
        "--source-root",
        metavar="DIR",
        type=Path,
        action="append",
        help="folder of the app's Python sources, searched for the line that created each construct "
        "(repeatable; default: the current folder). Paths in the log are relative to the current folder.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        log = build_sarif(arguments.outdir, source_roots=arguments.source_root or [Path.cwd()])
    except NotAnAssemblyError as error:
        print(f"sarif: error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(log, indent=2) + "\n"
    if arguments.output is None:
        sys.stdout.write(text)
        return 0
    arguments.output.write_text(text, encoding="utf-8")
    nag, perimeter, hygiene = (run["results"] for run in log["runs"])
    suppressed = sum(1 for result in nag if "suppressions" in result)
    warnings = sum(1 for result in perimeter if result["level"] == "note")
    print(
        f"Wrote {arguments.output}: {len(nag) - suppressed} open and {suppressed} acknowledged cdk-nag "
        f"finding(s), {len(perimeter) - warnings} perimeter violation(s) and {warnings} warning(s), "
        f"{len(hygiene)} acknowledgment problem(s)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
