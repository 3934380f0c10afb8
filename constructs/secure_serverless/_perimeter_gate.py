"""The perimeter verdict ends the app's process with a non-zero exit wherever CDK runs.

aws-cdk-lib raises ``ValidationFailed`` out of ``app.synth()`` only when it reports validation
itself (context ``@aws-cdk/core:failSynthOnValidationErrors``, default true) and the app mode is
``inmemory`` or ``unknown`` (``python app.py``, pytest). The CDK CLI passes that context as false,
so under ``cdk synth`` / ``cdk deploy`` ``app.synth()`` returns normally and the CLI alone judges
the report, after filtering it by the selected stacks (docs/perimeter.md, "Where the verdict is
enforced"). In that case the kit does not leave its verdict to the CLI: the plugin records the
failure here, and when the app's process ends, the kit prints its message on stderr and ends the
process with a non-zero code, after CDK has written ``validation-report.json`` (cdk-nag's findings
included). The CLI then stops at "subprocess exited with error", before any deployment step.

Nothing here runs when the library raises by itself, so ``app.synth()`` in a test still raises
and the test process is never ended by the kit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: aws-cdk-lib's context key: false means "the CLI reports validation, the app must not throw".
FAIL_SYNTH_CONTEXT = "@aws-cdk/core:failSynthOnValidationErrors"
#: aws-cdk-lib's app mode, as context or environment variable (``process`` or ``inmemory``).
APP_MODE_CONTEXT = "@aws-cdk/core:appMode"
APP_MODE_ENV = "CDK_APP_MODE"

#: Exit codes, as ``python -m secure_serverless_checks.perimeter`` uses them.
EXIT_VIOLATIONS = 1
EXIT_CHECK_FAILED = 2

_SHOWN = 40  # violation lines printed at exit; the rest are in the report


def library_raises(context: Callable[[str], Any], environ: Mapping[str, str] = os.environ) -> bool:
    """Whether aws-cdk-lib 2.275 itself raises out of ``app.synth()`` on a failed validation.

    Mirrors ``core/lib/private/synthesis-validation.js``: it throws when
    ``failSynthOnValidationErrors`` is not false and the app mode is ``inmemory`` or ``unknown``;
    in ``process`` mode it only sets ``process.exitCode`` in the jsii Node.js process, which the
    Python process does not inherit.
    """
    raw = context(FAIL_SYNTH_CONTEXT)
    reports_itself = raw is None or (raw is not False and raw != "false")
    mode = context(APP_MODE_CONTEXT)
    if mode not in ("process", "inmemory"):
        mode = environ.get(APP_MODE_ENV)
    return reports_itself and mode != "process"


@dataclass
class PerimeterGate:
    """Ends the process non-zero at exit once the perimeter verdict has failed (when armed)."""

    armed: bool
    lines: list[str] = field(default_factory=list)
    report_dirs: set[str] = field(default_factory=set)
    exit_code: int = 0
    _registered: bool = False

    def fail(self, code: int, lines: list[str], report_dir: str | None) -> None:
        """Record a failed verdict: ``code`` is EXIT_VIOLATIONS or EXIT_CHECK_FAILED."""
        self.exit_code = max(self.exit_code, code)
        self.lines.extend(lines)
        if report_dir:
            self.report_dirs.add(report_dir)
        if self.armed and not self._registered:
            # Registered now, after jsii's own exit handler, so it runs first and can run the rest.
            atexit.register(self._end_process)
            self._registered = True

    def tell(self, lines: list[str]) -> None:
        """Print ``lines`` now unless the process will print them at exit (CDK's report omits them)."""
        if lines and not self.armed:
            print(
                "\n".join(["secure_serverless: the perimeter check failed:"] + [f"  {line}" for line in lines]),
                file=sys.stderr,
            )

    def message(self) -> str:
        what = (
            "could not be completed, so nothing is proven"
            if self.exit_code == EXIT_CHECK_FAILED
            else "found reach beyond the declared perimeters"
        )
        shown = self.lines[:_SHOWN]
        more = [f"  ... and {len(self.lines) - _SHOWN} more"] if len(self.lines) > _SHOWN else []
        reports = ", ".join(sorted(os.path.join(d, "validation-report.json") for d in self.report_dirs))
        return "\n".join(
            [f"secure_serverless: the perimeter check {what}:"]
            + [f"  {line}" for line in shown]
            + more
            + [
                NOT_ACKNOWLEDGEABLE,
                f"The whole report, cdk-nag's findings included: {reports or 'validation-report.json'}.",
                f"Exit code {self.exit_code}: the synth (and any deploy) stops here.",
            ]
        )

    def _end_process(self) -> None:
        atexit.unregister(self._end_process)
        run_others = getattr(atexit, "_run_exitfuncs", None)
        if run_others is not None:
            run_others()  # jsii stops its Node.js process; nothing else is skipped
        print(self.message(), file=sys.stderr)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(self.exit_code)


#: What each perimeter violation of CDK's report says after its fix.
NOT_ACKNOWLEDGEABLE_SHORT = "A perimeter rule cannot be acknowledged (docs/perimeter.md)."
#: What the kit says instead of CDK's "Acknowledge with ..." (perimeter violations are "fatal":
#: CDK neither suggests nor applies an acknowledgment for them).
NOT_ACKNOWLEDGEABLE = (
    "Perimeter rules cannot be acknowledged (an acknowledgment of one is itself a violation): fix the grant "
    "with the kit's grant methods (docs/library-grants.md) or declare the reach in the function's perimeter; "
    "only turning the whole check off, register_compliance_checks(app, perimeter=False, "
    "perimeter_off_reason='...'), is allowed, and it is recorded in every stack. See docs/perimeter.md."
)
