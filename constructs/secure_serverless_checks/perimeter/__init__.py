"""Least-privilege perimeter analyzer: prove each Lambda function reaches only what it declares.

Pure Python (standard library + ``secure_serverless_checks.access_levels``): it reads synthesized
CloudFormation JSON, never CDK code, so it runs without Node.js, AWS credentials or CDK.

    from secure_serverless_checks.perimeter import analyze, load_path
    report = analyze(load_path("cdk.out"))
    for violation in report.violations:
        print(violation.to_line())

Command line: ``python -m secure_serverless_checks.perimeter cdk.out [--format text|json|markdown]``.
See docs/perimeter.md.
"""

from __future__ import annotations

from .analyzer import analyze
from .errors import (
    DanglingReferenceError,
    InputNotFoundError,
    PerimeterInputError,
    TemplateFormatError,
    TemplateStructureError,
)
from .loader import load_path
from .report import FunctionPerimeter, ReachRow, Report, Violation
from .rules import RULES, Rule

__all__ = [
    "RULES",
    "DanglingReferenceError",
    "FunctionPerimeter",
    "InputNotFoundError",
    "PerimeterInputError",
    "ReachRow",
    "Report",
    "Rule",
    "TemplateFormatError",
    "TemplateStructureError",
    "Violation",
    "analyze",
    "load_path",
]
