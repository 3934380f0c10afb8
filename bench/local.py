"""Local mode benchmarks: each start-up phase, cold and with nothing changed, and the gateway's latency.

Only local mode's public entry points are used: ``localmode.start_local`` (its ``timings`` are
the moments each phase ended, measured by local mode itself), ``localmode.scenarios.run_all``,
``localmode.scenarios.Demo`` and ``localmode.assembly_cache``.

- *cold*: an empty assembly cache, so the start synthesizes app.py (``make local`` after a change);
- *unchanged*: the same cache again, so the synth is a hash check and a copy (``make local`` again).
Through the gateway: requests of 1 and of 8 concurrent clients to ``GET /me`` (authorizer, worker
process, DynamoDB in the emulator), on a stack synthesized with its stage throttling raised so
the figure is the gateway's capacity, not the configured limit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .stats import Figure, percentile

#: phase names of ``LocalEnvironment.timings``, in order (each value is when the phase ended)
_PHASES = ("synth", "deploy", "self-test", "workers", "ready")
_UNTHROTTLED = {"throttleRateLimit": 10000, "throttleBurstLimit": 5000}


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _phase_durations(timings: dict[str, float]) -> dict[str, float]:
    """Durations from local mode's cumulative laps (unknown laps are kept, in their order)."""
    durations, previous = {}, 0.0
    for name, ended in timings.items():
        durations[name] = ended - previous
        previous = ended
    return durations


#: the scenarios of a quick run's *done* (one of each kind: authentication, authorization, data)
QUICK_SCENARIOS = ("no-token", "cross-table", "stale-update")


def _start(
    *,
    assembly_dir: Path | None = None,
    scenarios: bool,
    then: Callable[[Any], None] | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, float]:
    from localmode import start_local
    from localmode.scenarios import run_all

    started = time.perf_counter()
    env = start_local(assembly_dir=assembly_dir, progress=None)
    try:
        measured = {f"phase.{name}": value for name, value in _phase_durations(env.timings).items()}
        measured["ready"] = time.perf_counter() - started
        if scenarios:
            results = run_all(env, keys=only, out=lambda line: None)
            if not all(result.ok for result in results):
                raise RuntimeError("a local mode scenario did not behave as expected; run `make local`")
            measured["done"] = time.perf_counter() - started
        if then is not None:
            then(env)
        return measured
    finally:
        env.stop()


def _figures(
    prefix: str, label: str, samples: list[dict[str, float]], note: str = "", *, scenarios: str = "every scenario"
) -> list[Figure]:
    keys = list(dict.fromkeys(key for sample in samples for key in sample))
    names = {
        "phase.deploy": "emulator start + deploy",
        "phase.ready": "API gateway start",
        "ready": "ready (start_local returned)",
        "done": f"done ({scenarios} ran)",
    }
    return [
        Figure(
            f"local.{prefix}.{key}",
            f"local mode, {label}: {names.get(key, key.removeprefix('phase.'))}",
            "s",
            [sample[key] for sample in samples if key in sample],
            note=note,
        )
        for key in keys
    ]


def local_startup(*, runs: int) -> list[Figure]:
    """Real starts: ``runs`` cold (empty cache) then ``runs`` with nothing changed."""
    cache = Path(tempfile.mkdtemp(prefix="bench-assembly-cache-"))
    try:
        with _environment(LOCALMODE_ASSEMBLY_CACHE_DIR=str(cache), LOCALMODE_ASSEMBLY_CACHE="on"):
            cold = []
            for _ in range(runs):
                shutil.rmtree(cache, ignore_errors=True)
                cold.append(_start(scenarios=True))
            unchanged = [_start(scenarios=True) for _ in range(runs)]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return _figures("cold", "cold", cold) + _figures("unchanged", "nothing changed", unchanged)


def local_startup_quick(
    *, assembly: Path, synth_seconds: list[float], requests_per_client: int
) -> tuple[list[Figure], list[Figure]]:
    """One start from an assembly already synthesized; the synth phases are derived, not re-run.

    cold synth = the reference synth just measured; unchanged synth = a real assembly-cache hit
    on that assembly (hash of the inputs and a copy). The gateway figures are taken on the same
    start, with the stage's own throttling (few requests stay under its burst limit).
    """
    from localmode import assembly_cache

    cache = Path(tempfile.mkdtemp(prefix="bench-assembly-cache-"))
    try:
        with _environment(LOCALMODE_ASSEMBLY_CACHE_DIR=str(cache), LOCALMODE_ASSEMBLY_CACHE="on"):
            assembly_cache._store(assembly, cache / assembly_cache.input_digest())
            started = time.perf_counter()
            _, reused = assembly_cache.cached_synthesize(cache / "out", synthesize=_no_synth)
            hit = time.perf_counter() - started
        if not reused:
            raise RuntimeError("the assembly cache missed right after storing: its inputs changed while the bench ran")
        gateway: list[Figure] = []

        def measure_gateway(env: Any) -> None:
            gateway.extend(_gateway_on(env, requests_per_client=requests_per_client, clients=(1, 8)))

        rest = _start(assembly_dir=assembly, scenarios=True, then=measure_gateway, only=QUICK_SCENARIOS)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    note = (
        "quick mode: one start; its synth phase is derived, and done is after "
        f"{len(QUICK_SCENARIOS)} scenarios ({', '.join(QUICK_SCENARIOS)}), not all (see docs/performance.md)"
    )
    after_synth = rest["ready"]
    cold = {"phase.synth": synth_seconds[0], **{k: v for k, v in rest.items() if k != "phase.synth"}}
    cold["ready"], cold["done"] = synth_seconds[0] + after_synth, synth_seconds[0] + rest["done"]
    unchanged = {**cold, "phase.synth": hit, "ready": hit + after_synth, "done": hit + rest["done"]}
    ran = f"{len(QUICK_SCENARIOS)} scenarios"
    startup = _figures("cold", "cold", [cold], note, scenarios=ran) + _figures(
        "unchanged", "nothing changed", [unchanged], note, scenarios=ran
    )
    return startup, gateway


def _no_synth(outdir: Path, **_: Any) -> Path:
    raise RuntimeError("quick mode never synthesizes for local mode")


def gateway_latency(*, requests_per_client: int, clients: tuple[int, ...], unthrottled: bool) -> list[Figure]:
    from localmode import start_local
    from localmode.assembly_cache import cached_synthesize
    from localmode.deploy import synthesize

    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    try:
        context = _UNTHROTTLED if unthrottled else None
        assembly, _ = cached_synthesize(workdir / "cdk.out", synthesize=synthesize, context=context)
        env = start_local(assembly_dir=assembly, progress=None)
        try:
            return _gateway_on(env, requests_per_client=requests_per_client, clients=clients)
        finally:
            env.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _gateway_on(env: Any, *, requests_per_client: int, clients: tuple[int, ...]) -> list[Figure]:
    from localmode.scenarios import ALICE, Demo

    demo = Demo(env)
    alice = demo.user(ALICE)
    put = demo.call("PUT", "/me", token=alice.id_token, body={"displayName": "Alice"})
    if put.status != 200:
        raise RuntimeError(f"PUT /me answered {put.status}: {put.received()}")
    figures = []
    for count in clients:
        figures += _load(demo, alice.id_token, clients=count, requests_per_client=requests_per_client)
    return figures


def _load(demo: Any, token: str, *, clients: int, requests_per_client: int) -> list[Figure]:
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(requests_per_client):
            started = time.perf_counter()
            reply = demo.call("GET", "/me", token=token)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed * 1000)
                statuses.append(reply.status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    other = sorted({status for status in statuses if status != 200})
    note = f"{len(latencies)} requests of GET /me" + (f"; non-200 answers: {other}" if other else "")
    inputs = {"clients": clients, "requests": len(latencies), "statuses": sorted(set(statuses))}
    prefix = f"gateway.clients_{clients}"
    return [
        Figure(
            f"{prefix}.p50",
            f"gateway, {clients} client(s): p50 latency",
            "ms",
            [percentile(latencies, 0.5)],
            note,
            inputs,
        ),
        Figure(
            f"{prefix}.p99",
            f"gateway, {clients} client(s): p99 latency",
            "ms",
            [percentile(latencies, 0.99)],
            note,
            inputs,
        ),
        Figure(
            f"{prefix}.rps",
            f"gateway, {clients} client(s): requests per second",
            "1/s",
            [len(latencies) / wall],
            note,
            inputs,
        ),
    ]
