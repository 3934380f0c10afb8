"""Third-party scanners on the reference templates: cfn-lint reports nothing but known warnings.

cfn-lint (AWS's CloudFormation linter, pinned in requirements-dev.txt) checks what cdk-nag does not:
property types and values against the CloudFormation resource specification. docs/scanners.md
lists what cfn-lint and checkov report and why each remaining item is accepted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reference_support import ReferenceAssembly

#: W3005: CDK adds DependsOn on the role beside the Fn::GetAtt of its ARN; redundant, harmless.
ACCEPTED = {"W3005"}


CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def cfn_lint(*templates: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", *templates], capture_output=True, text=True, check=False
    )
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr[-2000:]  # bit flags: error/warning/info
    matches: list[dict[str, Any]] = json.loads(result.stdout)
    return matches


@pytest.fixture(scope="module")
def linted(
    reference_assembly: ReferenceAssembly,
    replicated_assembly: ReferenceAssembly,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, list[dict[str, Any]]]:
    """cfn-lint's matches per template: one run over a broken template, the reference ones and the
    regulated profile's with its replica (cfn-lint's start-up costs seconds; each file is linted alone)."""
    broken = tmp_path_factory.mktemp("cfn-lint") / "broken.template.json"
    broken.write_text(json.dumps({"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}}}}))
    templates = [str(p) for assembly in (reference_assembly, replicated_assembly) for p in _templates(assembly.outdir)]
    by_file: dict[str, list[dict[str, Any]]] = {str(broken): [], **{t: [] for t in templates}}
    for match in cfn_lint(str(broken), *templates):
        by_file[match["Filename"]].append(match)
    return by_file


def _templates(outdir: Path) -> list[Path]:
    templates = sorted(Path(outdir).glob("*.template.json"))
    assert templates, outdir
    return templates


def _unaccepted(matches: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted({(m["Rule"]["Id"], m["Message"][:160]) for m in matches if m["Rule"]["Id"] not in ACCEPTED})


def test_cfn_lint_reports_a_broken_template(linted: dict[str, list[dict[str, Any]]]) -> None:
    (broken,) = [name for name in linted if name.endswith("broken.template.json")]
    assert any(m["Rule"]["Id"].startswith("E") for m in linted[broken])


def test_cfn_lint_finds_no_error_and_only_accepted_warnings(
    linted: dict[str, list[dict[str, Any]]], reference_assembly: ReferenceAssembly
) -> None:
    reference = [str(p) for p in _templates(reference_assembly.outdir)]
    assert _unaccepted([m for name in reference for m in linted[name]]) == []


def test_cfn_lint_finds_no_error_on_the_regulated_profile_with_its_replica(
    linted: dict[str, list[dict[str, Any]]], replicated_assembly: ReferenceAssembly
) -> None:
    """The regulated profile's VPC, endpoints, backups and the replica stack (``-c replicaRegion=...``)."""
    templates = [str(p) for p in _templates(replicated_assembly.outdir)]
    assert len(templates) == 3
    assert _unaccepted([m for name in templates for m in linted[name]]) == []
