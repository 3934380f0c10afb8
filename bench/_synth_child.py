"""One synth in a fresh interpreter (so a fresh jsii kernel): the unit of every synth benchmark.

    python -X importtime -m bench._synth_child reference      # app.py's main(), instrumented
    python -X importtime -m bench._synth_child services 10    # the scaling app with 10 services

The parent (``bench.synth``) sets ``CDK_OUTDIR`` and ``CDK_CONTEXT_JSON`` as ``cdk synth`` does,
times the whole process from outside, and reads the import split from ``-X importtime``. This
process prints one line ``BENCH-RESULT {json}`` with the phases it timed inside.
"""

from __future__ import annotations

import json
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
        "plugins": meter.plugin_seconds,
        "jsii_at_import": at_import,
        "jsii": meter.snapshot(),
    }


def _services(count: int) -> dict[str, Any]:
    started = time.perf_counter()
    import aws_cdk as cdk

    from bench.jsii_meter import install
    from bench.service_app import build_services_app
    from secure_serverless.compliance import register_compliance_checks

    imported = time.perf_counter()
    meter = install()
    app = cdk.App()  # context (feature flags) and outdir come from the environment, as with `cdk synth`
    register_compliance_checks(app)
    build_services_app(app, services=count)
    built = time.perf_counter()
    app.synth()
    finished = time.perf_counter()
    return {
        "import": imported - started,
        "build": built - imported,
        "synth_total": finished - built,
        "cfn_engine": meter.cfn_engine_seconds,
        "plugins": meter.plugin_seconds,
        "jsii": meter.snapshot(),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["reference"]:
        result = _reference()
    elif len(argv) == 2 and argv[0] == "services":
        result = _services(int(argv[1]))
    else:
        print("usage: python -m bench._synth_child reference | services N", file=sys.stderr)
        return 2
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
