"""Repeated measurements and their summary: median, min and max of several runs.

A loaded machine inflates every wall-clock time, and inflates it unevenly: the median says what
a run typically costs, the min is the best estimate of the cost on a quiet machine, the max shows
how noisy the run was. Each figure keeps its raw runs so two JSON files can be compared later.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    """One measured quantity: its runs, unit and what it means."""

    key: str
    label: str
    unit: str
    runs: list[float]
    note: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def max(self) -> float:
        return max(self.runs)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "runs": self.runs,
            "n": len(self.runs),
            "inputs": self.inputs,
            "note": self.note,
        }


def repeat(measure: Callable[[], float], *, runs: int) -> list[float]:
    """``runs`` results of ``measure()`` (each returns one value)."""
    return [measure() for _ in range(runs)]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (0..1) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class LinearFit:
    """``y = intercept + slope * x`` by least squares, with the coefficient of determination."""

    slope: float
    intercept: float
    r2: float

    @classmethod
    def of(cls, xs: Sequence[float], ys: Sequence[float]) -> LinearFit:
        if len(xs) != len(ys) or len(set(xs)) < 2:
            raise ValueError("a linear fit needs at least two distinct x values")
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mean_x) ** 2 for x in xs)
        sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
        slope = sxy / sxx
        intercept = mean_y - slope * mean_x
        ss_tot = sum((y - mean_y) ** 2 for y in ys)
        ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
        return cls(slope=slope, intercept=intercept, r2=1.0 - ss_res / ss_tot if ss_tot else 1.0)


class Stopwatch:
    """Named laps of one run, in seconds (``with watch.lap("build"): ...``)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    @contextmanager
    def lap(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.laps[name] = self.laps.get(name, 0.0) + time.perf_counter() - started
