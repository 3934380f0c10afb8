"""Helpers of the perimeter analyzer tests (a uniquely named module, imported by the tests).

Negative cases are built from the compliant template by small, named mutations of a deep copy,
so each test shows exactly the one change that breaks the perimeter.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from secure_serverless_checks.perimeter import Report, Violation, analyze
from secure_serverless_checks.perimeter.analyzer import KIT_GRANTS_HINT

FIXTURES = Path(__file__).parent / "fixtures"
COMPLIANT = FIXTURES / "compliant.template.json"

# Logical ids of the compliant fixture.
NOTES_FUNCTION = "NotesFunction1234"
NOTES_ROLE = "NotesRoleDDDD"
NOTES_POLICY = "NotesRoleDefaultPolicyEEEE"
NOTES_TABLE = "NotesTable5678"
NOTES_KEY = "NotesKeyAAAA"
FILES_FUNCTION = "FilesFunction7777"
FILES_ROLE = "FilesRole5555"
FILES_POLICY = "FilesRoleDefaultPolicy6666"
FILES_TABLE = "FilesTable2222"
FILES_KEY = "FilesKey1111"
BUCKET = "UploadsBucket9999"
BUCKET_POLICY = "UploadsBucketPolicy0000"


def getatt(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


class TemplateBuilder:
    """A deep copy of the compliant template with the mutations tests need."""

    def __init__(self) -> None:
        self.template: dict[str, Any] = json.loads(_compliant_text())  # a fresh copy: 5x cheaper than deepcopy

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def statements(self, logical_id: str, document: str = "PolicyDocument") -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = self.resources[logical_id]["Properties"][document]["Statement"]
        return statements

    def allow(self, policy: str, action: Any, resource: Any, **extra: Any) -> TemplateBuilder:
        """Append an Allow statement to an identity policy resource."""
        self.statements(policy).append({"Action": action, "Effect": "Allow", "Resource": resource, **extra})
        return self

    def perimeter(self, function: str) -> dict[str, Any]:
        perimeter: dict[str, Any] = self.resources[function]["Metadata"]["SecureServerless::Perimeter"]
        return perimeter

    def reach(self, function: str, resource: str) -> dict[str, Any]:
        return next(entry for entry in self.perimeter(function)["reach"] if entry["resource"] == resource)

    def analyze(self) -> Report:
        return analyze({"stack": self.template})

    def write(self, directory: Path, name: str = "stack.template.json") -> Path:
        path = directory / name
        path.write_text(json.dumps(self.template), encoding="utf-8")
        return path


@functools.cache
def _compliant_text() -> str:
    """Read once per session; every builder parses its own copy."""
    return COMPLIANT.read_text(encoding="utf-8")


def only(report: Report, code: str, function: str, resource: str) -> Violation:
    """The single violation of ``code`` by ``function`` on ``resource``; fails showing the report."""
    found = report.find(code, function, resource)
    assert len(found) == 1, report.to_text()
    return found[0]


def base_message(violation: Violation) -> str:
    """The message without the hint that kit functions get access only through grant methods."""
    return violation.message.removesuffix("; " + KIT_GRANTS_HINT)


def codes(report: Report) -> set[tuple[str, str, str]]:
    """(code, function, resource) of every violation: compact to compare in assertions."""
    return {(v.code, v.function, v.resource) for v in report.violations}
