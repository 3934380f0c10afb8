"""The analyzer's result: the reach matrix and the violations, in text, Markdown and JSON.

The matrix says what each function can actually do (function x resource -> actions, with the
declared access level next to it) so a reader can review a perimeter even when it is compliant;
the violations say where it differs from the declaration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .rules import Rule


@dataclass(frozen=True)
class Violation:
    """One breach of a rule by one function, on one resource, for the listed actions."""

    template: str
    function: str
    rule: Rule
    resource: str
    actions: tuple[str, ...]
    message: str

    @property
    def code(self) -> str:
        return self.rule.code

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "function": self.function,
            "resource": self.resource,
            "actions": list(self.actions),
            "code": self.rule.code,
            "rule": self.rule.name,
            "message": self.message,
        }

    def to_line(self) -> str:
        actions = f" [{', '.join(self.actions)}]" if self.actions else ""
        return (
            f"{self.rule.code} {self.rule.name}: {self.template}/{self.function} -> {self.resource}{actions}: "
            f"{self.message}"
        )


class ReachRow(NamedTuple):
    """What a function can do on one resource, and what it declared for it.

    ``access`` is the declared access level, "undeclared", "wildcard", or "recorded wildcard"
    (then ``reasons`` holds the reasons the metadata gives); ``sources`` name the policy statements.
    """

    resource: str
    kind: str
    access: str
    actions: tuple[str, ...]
    conditions: tuple[str, ...]
    sources: tuple[str, ...]
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "kind": self.kind,
            "access": self.access,
            "actions": list(self.actions),
            "conditions": list(self.conditions),
            "sources": list(self.sources),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class FunctionPerimeter:
    """One function's row group of the matrix."""

    template: str
    function: str
    role: str | None
    declared: bool
    reach: tuple[ReachRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "function": self.function,
            "role": self.role,
            "declared": self.declared,
            "reach": [row.to_dict() for row in self.reach],
        }


@dataclass(frozen=True)
class Report:
    """Everything the analyzer found in a set of templates."""

    templates: tuple[str, ...]
    matrix: tuple[FunctionPerimeter, ...]
    violations: tuple[Violation, ...]
    #: Findings about what the analyzer does not evaluate (P15): shown, never failing the check.
    warnings: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    def find(
        self, code: str | None = None, function: str | None = None, resource: str | None = None
    ) -> list[Violation]:
        """The violations matching every criterion given (rule code, function, resource text)."""
        return [
            v
            for v in self.violations
            if (code is None or v.rule.code == code)
            and (function is None or v.function == function)
            and (resource is None or v.resource == resource)
        ]

    def perimeter_of(self, function: str) -> FunctionPerimeter:
        """The matrix rows of one function (by logical id); KeyError if there is no such function."""
        for perimeter in self.matrix:
            if perimeter.function == function:
                return perimeter
        raise KeyError(function)

    def summary(self) -> str:
        functions = len(self.matrix)
        templates = f"{len(self.templates)} template{'s' if len(self.templates) != 1 else ''}"
        if self.ok:
            return f"OK: {functions} function{'s' if functions != 1 else ''} within their declared perimeters ({templates})."
        offenders = len({(v.template, v.function) for v in self.violations})
        return (
            f"FAILED: {len(self.violations)} violation{'s' if len(self.violations) != 1 else ''} "
            f"in {offenders} of {functions} function{'s' if functions != 1 else ''} ({templates})."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "templates": list(self.templates),
            "functions": [function.to_dict() for function in self.matrix],
            "violations": [violation.to_dict() for violation in self.violations],
            "warnings": [warning.to_dict() for warning in self.warnings],
            "summary": {
                "ok": self.ok,
                "functions": len(self.matrix),
                "violations": len(self.violations),
                "warnings": len(self.warnings),
                "text": self.summary(),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines: list[str] = []
        for function in self.matrix:
            lines.append(_heading(function))
            rows = [(row.resource, row.kind, row.access, _actions(row)) for row in function.reach]
            if rows:
                lines.extend("    " + line for line in _columns(("resource", "kind", "access", "actions"), rows))
            else:
                lines.append("    (reaches nothing)")
            lines.append("")
        if self.violations:
            lines.append(f"Violations ({len(self.violations)}):")
            lines.extend("  " + violation.to_line() for violation in self.violations)
            lines.append("")
        if self.warnings:
            lines.append(f"Warnings, not evaluated ({len(self.warnings)}):")
            lines.extend("  " + warning.to_line() for warning in self.warnings)
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        lines = ["# Function perimeters", ""]
        for function in self.matrix:
            lines += [f"## {_heading(function)}", ""]
            lines += ["| Resource | Kind | Access | Actions | Reason |", "| --- | --- | --- | --- | --- |"]
            lines += [
                f"| {_md(row.resource)} | {_md(row.kind)} | {_md(row.access)} | {_md(_actions(row))} "
                f"| {_md('; '.join(row.reasons))} |"
                for row in function.reach
            ]
            lines.append("")
        lines += ["# Violations", ""]
        if self.violations:
            lines += [
                "| Code | Rule | Function | Resource | Actions | Message |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            lines += [
                f"| {v.rule.code} | {v.rule.name} | {_md(v.template + '/' + v.function)} | {_md(v.resource)} "
                f"| {_md(', '.join(v.actions))} | {_md(v.message)} |"
                for v in self.violations
            ]
        else:
            lines.append("None.")
        if self.warnings:
            lines += ["", "# Warnings (not evaluated)", ""]
            lines += [f"- {_md(w.to_line())}" for w in self.warnings]
        lines += ["", f"**{self.summary()}**", ""]
        return "\n".join(lines)


def _heading(function: FunctionPerimeter) -> str:
    role = f"role {function.role}" if function.role else "no role in template"
    declared = "perimeter declared" if function.declared else "NO perimeter declared"
    return f"{function.template}/{function.function} ({role}, {declared})"


def _actions(row: ReachRow) -> str:
    text = ", ".join(row.actions)
    return text + (f" (if {', '.join(row.conditions)})" if row.conditions else "")


def _columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns; the last column is not padded (actions can be long)."""
    table = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(row[column]) for row in table) for column in range(len(header) - 1)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]) for row in table
    ]


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
