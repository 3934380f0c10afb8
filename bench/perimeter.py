"""Perimeter check at scale: ``analyze(load_path(...))`` on generated assemblies of N functions.

Uses the analyzer's own generator (``secure_serverless_checks.perimeter.synthetic``, about 7 resources per
function) when the installed kit has one; otherwise replicates the compliant test fixture (two
functions with their tables, keys, queues, log groups, roles, policies and a shared bucket) with
renamed logical ids.
The templates are written to disk and read back, because that is what the synth-time plugin does.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from .environment import ROOT
from .stats import Figure

_FIXTURE = ROOT / "tests" / "perimeter" / "fixtures" / "compliant.template.json"
_FUNCTIONS_PER_FIXTURE = 2


def generated_templates(functions: int, *, shared_bucket: bool = False) -> tuple[dict[str, dict[str, Any]], str]:
    """``{name: template}`` with ``functions`` compliant functions, and which generator made it.

    ``shared_bucket``: every function also reads and writes its own prefix of one shared bucket
    (issue 21's linear-cost case; only the analyzer's own generator makes it).
    """
    try:
        from secure_serverless_checks.perimeter.synthetic import synthetic_assembly  # the analyzer's own (issue 9)
    except ImportError:
        if shared_bucket:
            raise
        return {"Generated": _replicated_fixture(functions)}, "bench (replicated test fixture)"
    if shared_bucket:
        return (
            synthetic_assembly(functions=functions, shared_bucket=True),
            "secure_serverless_checks.perimeter.synthetic, shared_bucket=True",
        )
    return synthetic_assembly(functions=functions), "secure_serverless_checks.perimeter.synthetic"


def _replicated_fixture(functions: int) -> dict[str, Any]:
    fixture = json.loads(_FIXTURE.read_text())
    group = {lid: res for lid, res in fixture["Resources"].items() if res["Type"] != "AWS::CDK::Metadata"}
    text = json.dumps(group)
    resources: dict[str, Any] = {}
    for copy in range(-(-functions // _FUNCTIONS_PER_FIXTURE)):
        renamed = text
        for logical_id in group:
            renamed = renamed.replace(f'"{logical_id}"', f'"{logical_id}C{copy:04d}"')
        resources.update(json.loads(renamed))
    return {"Resources": resources}


def perimeter_check(*, sizes: list[int], runs: int, shared_bucket: bool = False) -> list[Figure]:
    from secure_serverless_checks.perimeter import analyze, load_path

    figures = []
    for size in sizes:
        templates, generator = generated_templates(size, shared_bucket=shared_bucket)
        with tempfile.TemporaryDirectory(prefix="bench-perimeter-") as folder:
            paths = []
            for name, template in templates.items():
                path = Path(folder) / f"{name}.template.json"
                path.write_text(json.dumps(template))
                paths.append(path)
            values, cpu = [], []
            functions = violations = 0
            for _ in range(runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                report = analyze(load_path(paths))
                values.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                functions, violations = len(report.matrix), len(report.violations)
        resources = sum(len(template.get("Resources", {})) for template in templates.values())
        key, what = (
            ("perimeter.shared_bucket", "functions sharing one bucket")
            if shared_bucket
            else ("perimeter.functions", "generated functions")
        )
        figures.append(
            Figure(
                f"{key}.{size}",
                f"perimeter check, {size} {what} ({resources} resources)",
                "s",
                values,
                note=f"load_path + analyze; generator: {generator}",
                inputs={
                    "functions": size,
                    "resources": resources,
                    "analyzed": functions,
                    "violations": violations,
                    # CPU seconds of this process: what a loaded machine's wall time hides
                    "cpu_seconds": [round(value, 3) for value in cpu],
                },
            )
        )
    return figures
