"""``python -m bench [--quick] [--with-tests] [--docs]``: measure, print the table, write JSON and the plot.

``python -m bench compare OLD.json NEW.json`` prints the medians of two runs side by side.
``python -m bench peer [--runs N]`` runs only the comparison with the peer app (bench/peer/).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import compare_peer, handlers, local, perimeter, report, suite, synth
from .environment import ROOT, git_commit, node_version
from .stats import Figure

DEFAULT_OUT = ROOT / "build" / "bench"
DOCS = ROOT / "docs" / "performance.md"
DOCS_PLOT = ROOT / "docs" / "images" / "synth-scaling.png"


@dataclass(frozen=True)
class Plan:
    """How much of everything one run measures."""

    synth_runs: int
    service_sizes: list[int]
    service_runs: int
    perimeter_sizes: list[int]
    perimeter_runs: int
    perimeter_shared_sizes: list[int]
    perimeter_shared_runs: int
    handler_runs: int
    handler_requests: int
    local_runs: int
    gateway_requests_per_client: int
    #: alternating synths of ours and the peer app (0: not measured)
    peer_pairs: int = 0


FULL = Plan(
    synth_runs=3,
    service_sizes=[1, 5, 10, 20],
    service_runs=2,
    perimeter_sizes=[100, 500],
    perimeter_runs=5,
    perimeter_shared_sizes=[500, 2000, 10000],
    perimeter_shared_runs=3,
    handler_runs=3,
    handler_requests=200,
    local_runs=2,
    gateway_requests_per_client=50,
    peer_pairs=5,
)
#: the smallest inputs: a smoke run (tests/test_bench.py) whose numbers are not comparable to a full run
QUICK = Plan(
    synth_runs=1,
    service_sizes=[1, 2],
    service_runs=1,
    perimeter_sizes=[10, 20],
    perimeter_runs=1,
    perimeter_shared_sizes=[10, 20],
    perimeter_shared_runs=1,
    handler_runs=1,
    handler_requests=3,
    local_runs=1,
    gateway_requests_per_client=3,
)


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    plan = QUICK if args.quick else FULL
    if args.runs:
        plan = Plan(**{**plan.__dict__, "synth_runs": args.runs, "service_runs": args.runs, "local_runs": args.runs})
    if args.no_peer:
        plan = Plan(**{**plan.__dict__, "peer_pairs": 0})
    started_machine, commit, node = report.machine(), git_commit(), node_version()
    figures: list[Figure] = []
    skipped: dict[str, str] = {}
    began = time.perf_counter()

    if args.quick:
        _say(f"reference app synth by phase, then the services app at {plan.service_sizes}, in one process ...")
        reference, assembly, scaling = synth.quick_synth(sizes=plan.service_sizes)
        figures += reference
        skipped["synth.per_service_cpu"] = "quick mode synthesizes every size in one process: no CPU time per size"
    else:
        _say(f"reference app synth by phase, {plan.synth_runs} run(s) ...")
        reference, assembly = synth.reference_phases(runs=plan.synth_runs)
        figures += reference
        _say(f"synth against the number of services {plan.service_sizes}, {plan.service_runs} run(s) each ...")
        scaling = synth.services_scaling(sizes=plan.service_sizes, runs=plan.service_runs)
    if plan.peer_pairs:
        _say(f"ours against the peer app (bench/peer/), {plan.peer_pairs} alternating pair(s) ...")
        figures += compare_peer.compare(pairs=plan.peer_pairs)
    else:
        skipped["peer.*"] = (
            "the peer comparison runs in a full run (its first run builds the peer's environment: minutes)"
            if args.quick
            else "not measured in this run (--no-peer)"
        )
    figures.append(synth.import_only(runs=plan.synth_runs))
    figures += scaling.figures
    _say(f"perimeter check on {plan.perimeter_sizes} generated functions ...")
    figures += perimeter.perimeter_check(sizes=plan.perimeter_sizes, runs=plan.perimeter_runs)
    _say(f"perimeter check on {plan.perimeter_shared_sizes} functions sharing one bucket ...")
    figures += perimeter.perimeter_check(
        sizes=plan.perimeter_shared_sizes, runs=plan.perimeter_shared_runs, shared_bucket=True
    )
    _say("handlers: cold import and warm invocations ...")
    figures += handlers.handler_figures(runs=plan.handler_runs, requests=plan.handler_requests, one_process=args.quick)
    if args.quick:
        _say("local mode: one start from the assembly just synthesized, and the gateway on it ...")
        total = next(f for f in reference if f.key == "synth.reference.total")
        startup, gateway = local.local_startup_quick(
            assembly=assembly, synth_seconds=total.runs, requests_per_client=plan.gateway_requests_per_client
        )
        figures += startup + gateway
    else:
        _say(f"local mode: {plan.local_runs} cold start(s), then {plan.local_runs} with nothing changed ...")
        figures += local.local_startup(runs=plan.local_runs)
        _say("gateway latency with 1 and 8 clients ...")
        figures += local.gateway_latency(
            requests_per_client=plan.gateway_requests_per_client, clients=(1, 8), unthrottled=True
        )
    if args.with_tests:
        _say("the test suite (minutes) ...")
        figures.append(suite.suite_wall_time())
    else:
        skipped["tests.wall"] = "not measured in this run: add --with-tests (make bench BENCH_ARGS=--with-tests)"
    _say(f"measured in {time.perf_counter() - began:.0f} s")

    mode = "quick" if args.quick else "full"
    data = report.document(
        figures=figures,
        mode=mode,
        runs=plan.__dict__,
        commit=commit,
        started_machine=started_machine,
        node=node,
        scaling=scaling.to_json(),
        skipped=skipped,
    )
    out = Path(args.out)
    json_path = Path(args.json) if args.json else out / f"bench-{(commit['commit'] or 'unknown')[:12]}-{mode}.json"
    report.write_json(data, json_path)
    plot_path = Path(args.plot) if args.plot else out / "synth-scaling.png"
    points = [f for f in scaling.figures if f.key.startswith("synth.services.")]
    load = data["machine"]["load_average"]
    note = f"{mode} run, load average {load[0]:.1f} on {data['machine']['cpus']} CPUs" if load else mode
    report.plot_scaling(data["scaling"], points, plot_path, title_note=note)
    if args.docs:
        report.plot_scaling(data["scaling"], points, DOCS_PLOT, title_note=note)
        report.update_docs(DOCS, data, figures)
    print(report.table(figures))
    for key, reason in skipped.items():
        print(f"\n{key}: {reason}")
    print(f"\nJSON: {json_path}\nplot: {plot_path}" + (f"\ndocs: {DOCS} and {DOCS_PLOT}" if args.docs else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        if len(argv) != 3:
            print("usage: python -m bench compare OLD.json NEW.json", file=sys.stderr)
            return 2
        old, new = (json.loads(Path(p).read_text()) for p in argv[1:])
        print(report.compare(old, new))
        return 0
    if argv[:1] == ["peer"]:
        pairs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else FULL.peer_pairs
        started_machine = report.machine()
        figures = compare_peer.compare(pairs=pairs)
        print(f"load average at start {started_machine['load_average']}, at end {report.machine()['load_average']}")
        print(report.table(figures))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smallest inputs, one run each (a smoke run)")
    parser.add_argument("--runs", type=int, help="runs of each synth and local-mode measurement (default 3 / 2)")
    parser.add_argument("--with-tests", action="store_true", help="also time the test suite (minutes)")
    parser.add_argument("--no-peer", action="store_true", help="skip the comparison with the peer app (bench/peer/)")
    parser.add_argument(
        "--docs", action="store_true", help="write the table into docs/performance.md and the plot into docs/images/"
    )
    parser.add_argument(
        "--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT.relative_to(ROOT)})"
    )
    parser.add_argument("--json", help="JSON path (default <out>/bench-<commit>-<mode>.json)")
    parser.add_argument("--plot", help="plot path (default <out>/synth-scaling.png)")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
