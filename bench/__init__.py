"""The kit's benchmark: ``make bench`` (``python -m bench``); see docs/performance.md.

Not a test package: nothing here asserts a time. tests/test_bench.py only checks that a quick
run still produces every figure.
"""

#: Figure keys every run must produce (a ``*`` stands for one or more sizes); see docs/performance.md.
REQUIRED_FIGURES = (
    "synth.reference.total",
    "synth.reference.total_cpu",
    "synth.reference.import",
    "synth.reference.build",
    "synth.reference.synth",
    "synth.reference.check.cloudformation_validate_engine",
    "synth.reference.check.AwsSolutions",
    "synth.reference.check.Serverless",
    "synth.reference.check.SecureServerlessPerimeter",
    "synth.reference.jsii.requests",
    "synth.reference.jsii.callbacks",
    "synth.reference.jsii.callback_time",
    "synth.import_only",
    "synth.services.*",
    "synth.per_service",
    "synth.per_service_cpu",
    "local.cold.phase.synth",
    "local.cold.phase.deploy",
    "local.cold.phase.self-test",
    "local.cold.phase.workers",
    "local.cold.ready",
    "local.cold.done",
    "local.unchanged.phase.synth",
    "local.unchanged.ready",
    "local.unchanged.done",
    "perimeter.functions.*",
    "perimeter.shared_bucket.*",
    "handlers.profiles.cold_import",
    "handlers.profiles.warm_request",
    "handlers.notes.cold_import",
    "handlers.notes.warm_request",
    "handlers.files.cold_import",
    "handlers.files.warm_request",
    "gateway.clients_1.p50",
    "gateway.clients_1.p99",
    "gateway.clients_1.rps",
    "gateway.clients_8.p50",
    "gateway.clients_8.p99",
    "gateway.clients_8.rps",
    "tests.wall",
)
