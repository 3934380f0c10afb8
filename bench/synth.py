"""Synth benchmarks: the reference app by phase, and the cost of each added service.

Every run is a fresh interpreter (``bench._synth_child``), because that is what ``cdk synth``
is: the import of aws_cdk and the start of the jsii kernel are paid on every synth.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .environment import ROOT, child_environment, synth_environment
from .stats import Figure, LinearFit

_RESULT_PREFIX = "BENCH-RESULT "
PERIMETER_PLUGIN = "SecureServerlessPerimeter"
CFN_VALIDATE = "CloudFormation Validate"  # aws-cdk-lib's plugin name, also the kit's replacement


@dataclass
class ChildRun:
    wall: float
    #: CPU seconds of the child and the Node.js process it waited for (less inflated by load than wall time)
    cpu: float
    result: dict[str, Any]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(*args: str, outdir: Path) -> ChildRun:
    """Run one synth child; raise with its output when it fails."""
    cpu_before, started = _children_cpu(), time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench._synth_child", *args],
        cwd=ROOT,
        env=synth_environment(outdir),
        capture_output=True,
        text=True,
        check=False,
    )
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_RESULT_PREFIX)]
    if completed.returncode != 0 or not lines:
        tail = "\n".join((completed.stderr or completed.stdout).splitlines()[-25:])
        raise RuntimeError(f"synth child {' '.join(args)} failed (exit {completed.returncode}):\n{tail}")
    return ChildRun(wall, cpu, json.loads(lines[-1].removeprefix(_RESULT_PREFIX)))


def reference_phases(*, runs: int) -> tuple[list[Figure], Path]:
    """The reference app (app.py) synthesized ``runs`` times; returns its figures and one assembly."""
    keep = Path(tempfile.mkdtemp(prefix="bench-reference-"))
    samples: list[ChildRun] = []
    for number in range(runs):
        outdir = keep / f"run{number}"
        samples.append(run_child("reference", outdir=outdir))
    return _reference_figures(samples), keep / "run0"


def _reference_figures(samples: list[ChildRun]) -> list[Figure]:
    def figure(key: str, label: str, values: list[float], unit: str = "s", note: str = "") -> Figure:
        return Figure(f"synth.reference.{key}", label, unit, values, note=note)

    plugin_names = sorted({name for run in samples for name in run.result["plugins"]})
    figures = [
        figure(
            "total",
            "reference app synth with every check (python app.py, fresh process)",
            [run.wall for run in samples],
            note="what `cdk synth` waits for: interpreter start, imports, build, synth, every check",
        ),
        figure(
            "total_cpu",
            "the same, CPU seconds of Python + Node.js",
            [run.cpu for run in samples],
            note="less inflated by a loaded machine than wall time",
        ),
        figure(
            "python_cpu",
            "of which Python's CPU seconds (the rest is Node.js)",
            [run.result.get("python_cpu", 0.0) for run in samples],
        ),
        figure(
            "import",
            "import aws_cdk, cdk_nag, the kit and the stacks (incl. jsii kernel start)",
            [run.result["import"] for run in samples],
        ),
        figure("build", "build the constructs", [run.result["build"] for run in samples]),
        figure(
            "synth",
            "app.synth() without the checks",
            [run.result["synth_total"] - sum(run.result["plugins"].values()) for run in samples],
            note="includes running CDK's built-in CloudFormation validation on the templates",
        ),
        figure(
            "check.cloudformation_validate_engine",
            "CDK's built-in CloudFormation validation: engine start",
            [run.result["cfn_engine"] or 0.0 for run in samples],
            note="aws-cdk-lib 2.275 validates every template with a WebAssembly engine; starting it is a fixed cost per process",
        ),
    ]
    for name in plugin_names:
        label = (
            "perimeter check (plugin)"
            if name == PERIMETER_PLUGIN
            else "CloudFormation validation run by the kit (side process or verdict cache; waiting time)"
            if name == CFN_VALIDATE
            else f"cdk-nag {name} pack"
        )
        figures.append(figure(f"check.{name}", label, [run.result["plugins"].get(name, 0.0) for run in samples]))
    figures += [
        figure(
            "jsii.requests",
            "jsii requests (Python -> Node.js)",
            [run.result["jsii"]["requests"] for run in samples],
            unit="count",
        ),
        figure(
            "jsii.callbacks",
            "jsii callbacks (Node.js -> Python)",
            [run.result["jsii"]["callbacks"] for run in samples],
            unit="count",
        ),
        figure(
            "jsii.callback_time",
            "time inside Python callbacks (overrides, validations, perimeter plugin)",
            [run.result["jsii"]["callback_seconds"] for run in samples],
        ),
    ]
    figures[0].inputs = {"callback_names": samples[0].result["jsii"]["callback_names"]}
    return figures


@dataclass
class Scaling:
    sizes: list[int]
    figures: list[Figure]
    fit: LinearFit

    def to_json(self) -> dict[str, Any]:
        return {
            "sizes": self.sizes,
            "median_seconds": [figure.median for figure in self.figures if figure.key.startswith("synth.services.")],
            "per_service_seconds": self.fit.slope,
            "intercept_seconds": self.fit.intercept,
            "r2": self.fit.r2,
        }


def _scaling_figure(size: int, values: list[float]) -> Figure:
    return Figure(
        f"synth.services.{size}",
        f"build + synth with every check, {size} service{'s' if size != 1 else ''}",
        "s",
        values,
        inputs={"services": size},
    )


def _slope(key: str, label: str, sizes: list[int], figures: list[Figure], what: str) -> tuple[LinearFit, Figure]:
    fit = LinearFit.of([float(size) for size in sizes], [figure.median for figure in figures])
    return fit, Figure(
        key,
        label,
        "s",
        [fit.slope],
        note=f"least squares over the medians of {what}; r^2 = {fit.r2:.3f}",
        inputs={"sizes": sizes, "intercept_seconds": fit.intercept, "r2": fit.r2},
    )


def _per_service(sizes: list[int], figures: list[Figure]) -> tuple[LinearFit, Figure]:
    return _slope(
        "synth.per_service", "cost of one more service (slope of the linear fit)", sizes, figures, "build + synth"
    )


def quick_synth(*, sizes: list[int]) -> tuple[list[Figure], Path, Scaling]:
    """A smoke run's synth figures from one process: the reference app, then the scaling app at each size."""
    keep = Path(tempfile.mkdtemp(prefix="bench-quick-"))
    run = run_child("quick", ",".join(map(str, sizes)), outdir=keep / "run0")
    points = [
        _scaling_figure(
            size, [run.result["services"][str(size)]["build"] + run.result["services"][str(size)]["synth_total"]]
        )
        for size in sizes
    ]
    fit, slope = _per_service(sizes, points)
    for point in points:
        point.note = "quick mode: every size in the process of the reference synth (warm)"
    return _reference_figures([run]), keep / "run0", Scaling(sizes, [*points, slope], fit)


def services_scaling(*, sizes: list[int], runs: int) -> Scaling:
    """Build + synth (with every check) of the scaling app at each size, each run a fresh process.

    The import and the start of CDK's CloudFormation validation engine are excluded: both are paid
    once per process whatever the number of services, and their noise would blur the slope.
    """
    figures: list[Figure] = []
    cpu_figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-services-") as keep:
        for size in sizes:
            values, cpu = [], []
            for number in range(runs):
                run = run_child("services", str(size), outdir=Path(keep) / f"n{size}-{number}")
                values.append(run.result["build"] + run.result["synth_total"])
                cpu.append(run.cpu)
            cpu_figures.append(
                Figure(f"synth.services_cpu.{size}", f"CPU seconds, whole process, {size} services", "s", cpu)
            )
            figures.append(_scaling_figure(size, values))
    fit, slope = _per_service(sizes, figures)
    _, cpu_slope = _slope(
        "synth.per_service_cpu",
        "cost of one more service in CPU seconds (slope)",
        sizes,
        cpu_figures,
        "whole-process CPU time",
    )
    return Scaling(sizes, [*figures, slope, cpu_slope], fit)


def import_only(*, runs: int) -> Figure:
    """``import aws_cdk, cdk_nag`` alone in a fresh interpreter (no app): the floor of any synth."""
    code = "import aws_cdk, cdk_nag"
    values = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_environment(), check=True)  # noqa: S603
        values.append(time.perf_counter() - started)
    return Figure("synth.import_only", "python -c 'import aws_cdk, cdk_nag' (fresh process)", "s", values)
