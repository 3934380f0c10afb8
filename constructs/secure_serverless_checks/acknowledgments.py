"""Acknowledgment hygiene: fail on acknowledgments that excuse nothing, say nothing, or must not exist.

Usage: ``python -m secure_serverless_checks.acknowledgments cdk.out [--today YYYY-MM-DD]``. Pure Python:
it reads the cloud assembly that a synth with cdk-nag packs registered wrote. Exit status 0 every
acknowledgment is sound, 1 at least one problem (each printed with the acknowledgment, its
construct path and the fix), 2 the input is not a cloud assembly.

How a stale acknowledgment is found with cdk-nag 3: every finding an acknowledgment suppressed
is listed in ``validation-report.json`` under ``suppressedViolations`` with the acknowledgment's
qualified id (``acknowledgedId``) and the construct it sits on (``acknowledgedAt``). An
acknowledgment recorded in the assembly (``aws:cdk:acknowledged-rules``) that no suppressed
finding names suppressed nothing in this synth: the finding it excused is gone (fixed, renamed,
or the resource removed). Comparing the two needs no second synth without acknowledgments.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._acknowledgment_record import parse_reason
from ._assembly import NotAnAssemblyError, RecordedAcknowledgment, StackArtifact, read_stacks
from ._docs import doc_path
from ._nag_report import ComplianceReport, Finding, read_validation_report
from .never_acknowledge import NeverAcknowledge, forbidden

#: Shortest reason accepted; the same value as ``secure_serverless._validation.MIN_REASON_LENGTH``
#: (a test keeps them equal: that module imports aws-cdk-lib, this one must not).
MIN_REASON_LENGTH = 20
#: Acknowledgment ids of this pack are the kit's own records of a weakened default (e.g.
#: ``SecureServerless-ShortLogRetention``): no cdk-nag rule stands behind them, so they are
#: never stale, but their reason and review-by date are checked like any other.
KIT_RECORD_PACK = "SecureServerless"

STALE = "stale"
SHORT_REASON = "short-reason"
FORBIDDEN = "never-acknowledge"
EXPIRED = "expired"
MALFORMED = "malformed-record"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one acknowledgment."""

    kind: str
    acknowledgment: RecordedAcknowledgment
    message: str
    fix: str

    def to_line(self) -> str:
        return (
            f"{self.kind}: {self.acknowledgment.acknowledged_id} at {self.acknowledgment.path}: "
            f"{self.message}. Fix: {self.fix}."
        )


@dataclass(frozen=True)
class HygieneReport:
    checked: tuple[RecordedAcknowledgment, ...]
    problems: tuple[Problem, ...]
    #: Packs of acknowledgments whose pack did not run in this synth (an app may acknowledge findings
    #: of packs it runs elsewhere, e.g. the extended packs): not checked for staleness here.
    packs_not_run: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_text(self) -> str:
        lines = [problem.to_line() for problem in self.problems]
        count = len(self.checked)
        if self.packs_not_run:
            unverified = sum(1 for a in self.checked if a.pack in self.packs_not_run)
            lines.append(
                f"Not checked for staleness: {unverified} acknowledgment(s) of packs that did not run in this synth "
                f"({', '.join(self.packs_not_run)}); check an assembly synthesized with them."
            )
        if self.ok:
            lines.append(
                f"OK: {count} acknowledgment{'s' if count != 1 else ''} checked, none stale, short, forbidden or expired."
            )
        else:
            offenders = len({problem.acknowledgment for problem in self.problems})
            lines.append(f"FAILED: {len(self.problems)} problem(s) in {offenders} of {count} acknowledgments.")
        return "\n".join(lines) + "\n"


def check_acknowledgments(
    outdir: str | Path, *, today: datetime.date, min_reason_length: int = MIN_REASON_LENGTH
) -> HygieneReport:
    """Check every acknowledgment recorded in the cloud assembly in ``outdir``."""
    stacks = read_stacks(outdir)
    report = read_validation_report(outdir)
    checked: list[RecordedAcknowledgment] = []
    problems: list[Problem] = []
    for stack in stacks:
        for acknowledgment in stack.acknowledgments():
            checked.append(acknowledgment)
            problems += _check(acknowledgment, stack, report, today=today, min_reason_length=min_reason_length)
    not_run = sorted({a.pack for a in checked if report.packs and a.pack not in {*report.packs, KIT_RECORD_PACK}})
    return HygieneReport(tuple(checked), tuple(problems), tuple(not_run))


def _suppressed_by(acknowledgment: RecordedAcknowledgment, report: ComplianceReport) -> list[Finding]:
    at = acknowledgment.path.strip("/")
    return [
        finding
        for finding in report.acknowledged
        if finding.acknowledged_id == acknowledgment.acknowledged_id
        and (finding.acknowledged_at or "").strip("/") == at
    ]


def _check(
    acknowledgment: RecordedAcknowledgment,
    stack: StackArtifact,
    report: ComplianceReport,
    *,
    today: datetime.date,
    min_reason_length: int,
) -> list[Problem]:
    problems: list[Problem] = []

    def add(kind: str, message: str, fix: str) -> None:
        problems.append(Problem(kind, acknowledgment, message, fix))

    suppressed = _suppressed_by(acknowledgment, report)
    if acknowledgment.pack != KIT_RECORD_PACK and not suppressed:
        if not report.packs:
            add(
                STALE,
                "it excuses no finding: the assembly has no validation-report.json, which cdk-nag writes whenever "
                "a registered pack finds anything (open or acknowledged)",
                "synthesize with the packs registered (register_compliance_checks); if they ran, remove the "
                "acknowledgment",
            )
        elif acknowledgment.pack not in report.packs:
            pass  # its pack did not run here: staleness is checked on an assembly synthesized with that pack
        else:
            add(
                STALE,
                "it excuses no finding any more: the rule no longer fires on this construct or its children",
                "remove the acknowledgment (the finding it excused is gone), or move it to the construct the finding "
                "is now reported on",
            )
    for entry in _forbidden_entries(acknowledgment, stack, suppressed):
        scope = f" {entry.scope}" if entry.scope else ""
        add(FORBIDDEN, f"{acknowledgment.rule}{scope} is never acknowledgeable: {entry.why}", entry.fix)
    recorded = parse_reason(acknowledgment.reason)
    for problem in recorded.problems:
        add(
            MALFORMED,
            problem,
            "write the suffix as '[owner: NAME; review-by: YYYY-MM-DD]' or use acknowledge(..., owner=, review_by=)",
        )
    if len(recorded.text) < min_reason_length:
        add(
            SHORT_REASON,
            f"the reason {recorded.text!r} is {len(recorded.text)} characters, fewer than {min_reason_length}",
            "say why the finding is acceptable here, in words a security reviewer can check",
        )
    if recorded.review_by is not None and recorded.review_by < today:
        owner = f" (owner: {recorded.owner})" if recorded.owner else ""
        add(
            EXPIRED,
            f"its review-by date {recorded.review_by.isoformat()} has passed{owner}",
            "review it: renew review_by with the reason still true, or fix the finding and remove the acknowledgment",
        )
    return problems


def _forbidden_entries(
    acknowledgment: RecordedAcknowledgment, stack: StackArtifact, suppressed: Sequence[Finding]
) -> list[NeverAcknowledge]:
    """Forbidden entries matched by the acknowledged rule, on the resources of the findings it excused.

    A stale acknowledgment has no finding: it is judged on the resource of its own construct.
    """
    paths = [finding.path for finding in suppressed] or [acknowledgment.path]
    found = []
    for path in paths:
        located = stack.resource_at(path)
        entry = forbidden(acknowledgment.rule, located[1] if located else None)
        if entry is not None and entry not in found:
            found.append(entry)
    return found


def _parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; give YYYY-MM-DD") from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_serverless_checks.acknowledgments",
        description=(
            "Fail on cdk-nag acknowledgments that are stale (excuse no finding), have a short reason, excuse a "
            "rule the kit never lets anyone acknowledge, or are past their review-by date."
        ),
        epilog="exit status: 0 all sound, 1 problems found, 2 not a cloud assembly. See "
        + doc_path("pull-requests.md"),
    )
    parser.add_argument(
        "outdir", metavar="CDK_OUT", type=Path, help="a cloud assembly (cdk.out) synthesized with cdk-nag"
    )
    parser.add_argument(
        "--today",
        type=_parse_date,
        default=None,
        help="the date review-by dates are compared with (default: today, UTC)",
    )
    parser.add_argument(
        "--min-reason-length",
        type=int,
        default=MIN_REASON_LENGTH,
        help=f"shortest acceptable reason, in characters (default: {MIN_REASON_LENGTH})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    today = arguments.today or datetime.datetime.now(datetime.UTC).date()
    try:
        report = check_acknowledgments(arguments.outdir, today=today, min_reason_length=arguments.min_reason_length)
    except NotAnAssemblyError as error:
        print(f"acknowledgments: error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(report.to_text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
