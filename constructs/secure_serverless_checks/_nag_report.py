"""Read cdk-nag's verdict from a cloud assembly's ``validation-report.json``.

Pure Python (no CDK import), shared by the compliance helpers and ``python -m secure_serverless_checks.summary``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    """One cdk-nag finding in a cloud assembly."""

    rule: str
    path: str
    description: str
    reason: str | None = None
    #: The pack (plugin) that reported it, e.g. "AwsSolutions".
    pack: str = ""
    severity: str = ""
    #: For an acknowledged finding: the acknowledgment's qualified id and the construct it sits on.
    acknowledged_id: str | None = None
    acknowledged_at: str | None = None


@dataclass
class ComplianceReport:
    """What cdk-nag said about a cloud assembly: open findings and acknowledged ones."""

    packs: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    acknowledged: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings


def read_validation_report(outdir: str | Path) -> ComplianceReport:
    """Read ``validation-report.json`` written by a synth with plugins registered."""
    path = Path(outdir) / "validation-report.json"
    report = ComplianceReport()
    if not path.exists():
        return report
    data = json.loads(path.read_text())
    for plugin in data.get("pluginReports", []):
        report.packs.append(plugin["pluginName"])
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                report.findings.append(
                    Finding(
                        violation["ruleName"],
                        construct["constructPath"],
                        violation["description"],
                        pack=plugin["pluginName"],
                        severity=violation.get("severity", ""),
                    )
                )
        for violation in plugin.get("suppressedViolations", []):
            for construct in violation.get("violatingConstructs", []):
                report.acknowledged.append(
                    Finding(
                        violation["ruleName"],
                        construct["constructPath"],
                        violation["description"],
                        violation.get("reason"),
                        pack=plugin["pluginName"],
                        severity=violation.get("severity", ""),
                        acknowledged_id=violation.get("acknowledgedId"),
                        acknowledged_at=violation.get("acknowledgedAt"),
                    )
                )
    return report
