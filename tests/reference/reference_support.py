"""Types shared by the reference-app tests (kept out of conftest.py so tests can import them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secure_serverless.compliance import ComplianceReport
from shared_assembly import ACCEPTED_ORIGINS  # noqa: F401 - the reference tests' name for it


@dataclass
class ReferenceTemplates:
    templates: dict[str, dict[str, Any]]

    def service(self) -> dict[str, Any]:
        (name,) = [n for n in self.templates if n.endswith("-NotesService")]
        return self.templates[name]


@dataclass
class ReferenceAssembly:
    outdir: Path
    report: ComplianceReport


def templates_of(assembly: Path) -> ReferenceTemplates:
    """The templates of a cloud assembly on disk, by stack name."""
    from localmode.deploy import load_assembly

    return ReferenceTemplates(
        {stack.name: json.loads(stack.template_path.read_text()) for stack in load_assembly(assembly).stacks}
    )
