"""The bench's outputs: the table on stdout, the JSON for comparing commits, the scaling plot."""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path
from typing import Any

from .stats import Figure

SCHEMA = 1
DOCS_TABLE_START = "<!-- bench:table:start -->"
DOCS_TABLE_END = "<!-- bench:table:end -->"


def _number(value: float, unit: str) -> str:
    if unit == "count":
        return f"{value:.0f}"
    if unit in {"1/s", "load"}:
        return f"{value:.1f}"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    """A Markdown table: one row per figure, median (min-max) of its runs."""
    rows = ["| figure | unit | median | min | max | runs |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for figure in figures:
        rows.append(
            f"| {figure.label} | {figure.unit} | {_number(figure.median, figure.unit)} | "
            f"{_number(figure.min, figure.unit)} | {_number(figure.max, figure.unit)} | {len(figure.runs)} |"
        )
    return "\n".join(rows)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": list(load) if load else None,
    }


def document(
    *,
    figures: list[Figure],
    mode: str,
    runs: dict[str, int],
    commit: dict[str, Any],
    started_machine: dict[str, Any],
    node: str | None,
    scaling: dict[str, Any] | None,
    skipped: dict[str, str],
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "mode": mode,
        "git": commit,
        "machine": {**started_machine, "load_average_at_end": machine()["load_average"], "node": node},
        "runs": runs,
        "figures": {figure.key: figure.to_json() for figure in figures},
        "scaling": scaling,
        "skipped": skipped,
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def plot_scaling(scaling: dict[str, Any], points: list[Figure], path: Path, *, title_note: str) -> None:
    """Synth time against the number of services: every run, the medians, and the linear fit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=110)
    for point in points:
        size = point.inputs["services"]
        axes.scatter([size] * len(point.runs), point.runs, color="#9ab", s=14, zorder=2)
    sizes = scaling["sizes"]
    axes.plot(sizes, scaling["median_seconds"], "o", color="#136", label="median of the runs", zorder=3)
    fit_x = [0, max(sizes)]
    fit_y = [scaling["intercept_seconds"] + scaling["per_service_seconds"] * x for x in fit_x]
    axes.plot(
        fit_x,
        fit_y,
        "--",
        color="#c40",
        label=f"fit: {scaling['intercept_seconds']:.2f} s + {scaling['per_service_seconds']:.3f} s per service "
        f"(r² {scaling['r2']:.3f})",
    )
    axes.set_xlabel("TableFunction services (each with 2 routes)")
    axes.set_ylabel("build + synth with every check (s)")
    axes.set_title(f"Synth cost per added service ({title_note})", fontsize=10)
    axes.set_xlim(left=0)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def update_docs(doc: Path, data: dict[str, Any], figures: list[Figure]) -> None:
    """Replace the table block of docs/performance.md with this run's table and its provenance."""
    text = doc.read_text()
    git, machine_info = data["git"], data["machine"]
    provenance = (
        f"Run of commit `{(git['commit'] or 'unknown')[:12]}`{' (with uncommitted changes)' if git['dirty'] else ''}, "
        f"{data['mode']} mode, on {machine_info['cpus']} CPUs, Python {machine_info['python']}, Node.js "
        f"{machine_info['node']}; load average at start {_load(machine_info['load_average'])}, "
        f"at end {_load(machine_info['load_average_at_end'])}."
    )
    block = f"{DOCS_TABLE_START}\n{provenance}\n\n{table(figures)}\n{DOCS_TABLE_END}"
    pattern = re.compile(re.escape(DOCS_TABLE_START) + ".*?" + re.escape(DOCS_TABLE_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{doc} has no {DOCS_TABLE_START} ... {DOCS_TABLE_END} block to replace")
    doc.write_text(pattern.sub(lambda _: block, text))


def _load(values: list[float] | None) -> str:
    return " / ".join(f"{v:.1f}" for v in values) if values else "unknown"


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A table of the figures both runs have: median before, after, and the ratio."""
    rows = [
        f"before: {str(old['git']['commit'])[:12]}  after: {str(new['git']['commit'])[:12]}",
        "| figure | unit | before | after | after/before |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for key, after in new["figures"].items():
        before = old["figures"].get(key)
        if before is None:
            continue
        ratio = after["median"] / before["median"] if before["median"] else float("nan")
        rows.append(
            f"| {after['label']} | {after['unit']} | {_number(before['median'], after['unit'])} | "
            f"{_number(after['median'], after['unit'])} | {ratio:.2f} |"
        )
    return "\n".join(rows)
