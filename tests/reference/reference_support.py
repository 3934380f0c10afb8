"""Types shared by the reference-app tests (kept out of conftest.py so tests can import them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from secure_serverless.compliance import ComplianceReport

#: Origins of every form the stack accepts, the loopback ones included (issue 8, item 5).
ACCEPTED_ORIGINS = (
    "https://app.example.com",
    "https://app.example.com:8443",
    "http://localhost:5173",
    "http://127.0.0.1:3000",
)


@dataclass
class ReferenceTemplates:
    stacks: list[cdk.Stack]
    templates: dict[str, dict[str, Any]]

    def service(self) -> dict[str, Any]:
        (name,) = [n for n in self.templates if n.endswith("-NotesService")]
        return self.templates[name]


@dataclass
class ReferenceAssembly:
    outdir: Path
    report: ComplianceReport
