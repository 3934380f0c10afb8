"""One synth in a fresh interpreter (so a fresh jsii kernel): the unit of every synth benchmark.

    python -m bench._synth_child reference      # app.py's main(), instrumented
    python -m bench._synth_child services 10    # the scaling app with 10 services
    python -m bench._synth_child quick 1,2      # both in one process (--quick: not comparable to a full run)

The parent (``bench.synth``) sets ``CDK_OUTDIR`` and ``CDK_CONTEXT_JSON`` as ``cdk synth`` does
and times the whole process from outside. This process prints one line ``BENCH-RESULT {json}`` with the phases it timed inside.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULT_PREFIX = "BENCH-RESULT "


def _reference() -> dict[str, Any]:
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    import app as reference_app  # the reference app exactly as `cdk synth` runs it (its imports: aws_cdk, cdk_nag, the kit)

    imported = time.perf_counter()
    from bench.jsii_meter import install

    meter = install()
    at_import = meter.snapshot()
    main_started = time.perf_counter()
    reference_app.main()
    finished = time.perf_counter()
    if meter.synth_called is None or meter.synth_seconds is None:
        raise RuntimeError("app.py's main() did not call app.synth()")
    return {
        "import": imported - started,
        "build": meter.synth_called - main_started,
        "synth_total": meter.synth_seconds,
        "main": finished - main_started,
        "python_cpu": time.process_time(),
        "cfn_engine": meter.cfn_engine_seconds,
        "plugins": dict(meter.plugin_seconds),
        "jsii_at_import": at_import,
        "jsii": meter.snapshot(),
    }


def _services(count: int, *, outdir: str | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    import aws_cdk as cdk

    from bench.jsii_meter import install
    from bench.service_app import build_services_app
    from secure_serverless.compliance import register_compliance_checks

    imported = time.perf_counter()
    meter = install()
    meter.plugin_seconds.clear()
    # context (feature flags) and, unless given, the outdir come from the environment, as with `cdk synth`
    app = cdk.App(outdir=outdir) if outdir else cdk.App()
    register_compliance_checks(app)
    build_services_app(app, services=count)
    app.synth()
    if meter.synth_called is None or meter.synth_seconds is None:
        raise RuntimeError("the services app was not synthesized")
    return {
        "import": imported - started,
        "build": meter.synth_called - imported,
        "synth_total": meter.synth_seconds,
        "cfn_engine": meter.cfn_engine_seconds,
        "plugins": dict(meter.plugin_seconds),
        "jsii": meter.snapshot(),
    }


def _quick(sizes: list[int]) -> dict[str, Any]:
    """The reference app, then the scaling app at each size, in this one process (a smoke run's shortcut)."""
    result = _reference()
    base = Path(os.environ["CDK_OUTDIR"])
    result["services"] = {str(size): _services(size, outdir=str(base / f"services-{size}")) for size in sizes}
    return result


def main(argv: list[str]) -> int:
    if argv[:1] == ["reference"]:
        result = _reference()
    elif len(argv) == 2 and argv[0] == "services":
        result = _services(int(argv[1]))
    elif len(argv) == 2 and argv[0] == "quick":
        result = _quick([int(size) for size in argv[1].split(",")])
    else:
        print("usage: python -m bench._synth_child reference | services N | quick N,M", file=sys.stderr)
        return 2
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
