"""The benchmark cannot rot: a quick run (smallest inputs) still produces every figure, the JSON and the plot.

Nothing here looks at a time: numbers of a quick run on a loaded machine mean nothing. It checks
that each figure docs/performance.md describes is measured, with the commit it was measured on.
"""

from __future__ import annotations

import fnmatch
import json
import math
import subprocess
import sys
from pathlib import Path

from bench import REQUIRED_FIGURES

ROOT = Path(__file__).resolve().parents[1]


def test_quick_bench_writes_every_figure_the_json_and_the_plot(tmp_path: Path) -> None:
    json_path, plot_path = tmp_path / "bench.json", tmp_path / "scaling.png"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(json_path), "--plot", str(plot_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(json_path.read_text())
    figures, skipped = data["figures"], data["skipped"]

    missing = []
    for pattern in REQUIRED_FIGURES:
        matches = fnmatch.filter(figures, pattern)
        wanted = 2 if "*" in pattern else 1  # sizes: at least two points
        if len(matches) < wanted and pattern not in skipped:
            missing.append(pattern)
    assert missing == []
    # the three docs/performance.md says a quick run skips
    assert set(skipped) <= {"tests.wall", "synth.per_service_cpu", "peer.*"}
    for key, figure in figures.items():
        assert figure["n"] == len(figure["runs"]) >= 1, key
        assert all(math.isfinite(value) for value in figure["runs"]), key
        assert key.startswith("synth.per_service") or min(figure["runs"]) >= 0, key  # a slope may be noise
        assert figure["min"] <= figure["median"] <= figure["max"], key
    assert len(data["git"]["commit"]) == 40
    assert data["scaling"]["sizes"] == [1, 2] and len(data["scaling"]["median_seconds"]) == 2
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = result.stdout
    assert all(figure["label"] in table for figure in figures.values())
