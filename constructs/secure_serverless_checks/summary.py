"""Print a short summary of a synthesized cloud assembly: stacks, resources, checks, findings.

Usage: ``python -m secure_serverless_checks.summary cdk.out``. Pure Python (reads the assembly's JSON
files), so it needs neither CDK nor Node.js. Exit status 1 when cdk-nag left open findings.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ._assembly import ACKNOWLEDGED_RULES, NotAnAssemblyError, read_stacks
from ._nag_report import read_validation_report

__all__ = ["ACKNOWLEDGED_RULES", "AssemblySummary", "main", "render", "summarize"]


@dataclass
class AssemblySummary:
    stacks: dict[str, Counter[str]] = field(default_factory=dict)
    packs: list[str] = field(default_factory=list)
    open_findings: list[tuple[str, str]] = field(default_factory=list)
    #: (stack, construct path, acknowledged id, reason)
    acknowledgments: list[tuple[str, str, str, str]] = field(default_factory=list)


def summarize(outdir: Path) -> AssemblySummary:
    summary = AssemblySummary()
    for stack in read_stacks(outdir):
        summary.stacks[stack.name] = Counter(r["Type"] for r in stack.template.get("Resources", {}).values())
        summary.acknowledgments += [(a.stack, a.path, a.acknowledged_id, a.reason) for a in stack.acknowledgments()]
    report = read_validation_report(outdir)
    summary.packs = report.packs
    summary.open_findings = [(finding.rule, finding.path) for finding in report.findings]
    return summary


def render(summary: AssemblySummary) -> str:
    lines = ["Cloud assembly summary", ""]
    for name, counts in summary.stacks.items():
        lines.append(f"  {name}: {sum(counts.values())} resources")
        for cfn_type, count in sorted(counts.items()):
            lines.append(f"      {count:3d}  {cfn_type}")
    packs = ", ".join(summary.packs) or "no validation report (no findings, no acknowledgments)"
    lines += ["", f"  cdk-nag packs run: {packs}", f"  open findings: {len(summary.open_findings)}"]
    lines += [f"      {rule} at {path}" for rule, path in summary.open_findings]
    lines.append(f"  acknowledgments: {len(summary.acknowledgments)} (each with its reason)")
    for stack, path, rule, reason in summary.acknowledgments:
        lines.append(f"      {rule}  @ {path.removeprefix('/' + stack + '/')}")
        lines.append(f"          reason: {reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m secure_serverless_checks.summary <cdk.out>", file=sys.stderr)
        return 2
    try:
        summary = summarize(Path(args[0]))
    except NotAnAssemblyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render(summary))
    return 1 if summary.open_findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
