"""The kit's CloudFormation validation gives CDK's built-in verdict, from its side process, its cache or the kernel.

Each verdict is compared with aws-cdk-lib's own ``CloudFormationValidatePlugin`` (the built-in of
``cdk.App()``) on templates with CloudFormation errors and warnings, under the feature flag
``@aws-cdk/core:validateAgainstDefaultRules`` on (errors fail the synth) and off (CDK downgrades them
to warnings). The apps are synthesized in the test worker; every kit run of this module shares one
verdict cache, so only the runs that must start an engine do.
"""

from __future__ import annotations

import json
import os
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cfn_validate_support import (
    FLAG,
    build_clean_app,
    build_flawed_app,
    cfn_reports,
    comparable,
    needs_kit_validation,
)

from secure_serverless._cfn_validate import CHECK_FAILED_RULE, CloudFormationValidation, engine_source, merge
from secure_serverless._cfn_validate_cache import (
    ENV_CACHE,
    FORMAT,
    VerdictCache,
    default_directory,
    template_key,
    valid_report,
)

pytestmark = needs_kit_validation


def _synth(app: cdk.App) -> bool:
    """Whether ``app.synth()`` passed (a ValidationFailed is a failure; anything else raises)."""
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        return False
    return True


def _kit_app(outdir: Path, *, flag: bool, plugin: CloudFormationValidation, variant: str = "") -> cdk.App:
    app = build_flawed_app(
        cdk.App(outdir=str(outdir), context={FLAG: flag}, builtin_cloud_formation_validation=False), variant=variant
    )
    cdk.Validations.of(app).add_plugins(plugin)
    return app


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> VerdictCache:
    folder = tmp_path_factory.mktemp("cfn-verdicts")
    folder.chmod(0o700)
    return VerdictCache(folder)


@pytest.fixture(scope="module")
def builtin(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[bool, list[dict[str, Any]]]]:
    """CDK's built-in verdict on the flawed app, flag on and off: (synth passed, its reports)."""
    verdicts = {}
    for flag in (True, False):
        outdir = tmp_path_factory.mktemp(f"builtin-{flag}")
        passed = _synth(build_flawed_app(cdk.App(outdir=str(outdir), context={FLAG: flag})))
        verdicts[flag] = (passed, [comparable(report) for report in cfn_reports(outdir)])
    return verdicts


@pytest.fixture(scope="module")
def cold_kit(
    tmp_path_factory: pytest.TempPathFactory, cache: VerdictCache
) -> tuple[CloudFormationValidation, bool, list[dict[str, Any]]]:
    """The kit's verdict with an empty cache (the side process validates), flag on."""
    outdir = tmp_path_factory.mktemp("kit-cold")
    plugin = CloudFormationValidation(cache=cache, start="now")
    assert plugin.side_process is not None, "the side process starts at registration"
    passed = _synth(_kit_app(outdir, flag=True, plugin=plugin))
    return plugin, passed, [comparable(report) for report in cfn_reports(outdir)]


def test_the_flawed_app_exercises_every_class_of_finding(builtin: dict[bool, Any]) -> None:
    passed, reports = builtin[True]
    assert not passed
    (report,) = reports
    severities = {v["severity"] for v in report["violations"]}
    assert severities == {"error", "warning"}
    paths = [c["constructPath"] for v in report["violations"] for c in v["violatingConstructs"]]
    assert "First" in paths, "a finding on no resource names the stack"
    assert any(len(v["violatingConstructs"]) == 2 for v in report["violations"]), "one violation in two templates"


def test_the_side_process_gives_the_builtin_verdict(builtin: dict[bool, Any], cold_kit: Any) -> None:
    plugin, passed, reports = cold_kit
    assert plugin.used == "side-process"
    assert (passed, reports) == builtin[True]
    assert not passed and len(reports) == 1 and reports[0]["conclusion"] == "failure"


@pytest.mark.parametrize("flag", [True, False], ids=["flag-on", "flag-off"])
def test_a_cached_verdict_is_the_builtin_verdict_with_no_engine(
    builtin: dict[bool, Any], cold_kit: Any, cache: VerdictCache, tmp_path: Path, flag: bool
) -> None:
    plugin = CloudFormationValidation(cache=cache, start="on-miss")
    passed = _synth(_kit_app(tmp_path, flag=flag, plugin=plugin))
    assert plugin.used == "cache"
    assert plugin.side_process is None, "no engine when every template hits"
    assert (passed, [comparable(r) for r in cfn_reports(tmp_path)]) == builtin[flag]


def test_after_a_full_hit_the_next_synth_of_the_app_does_not_start_the_engine_early(
    cold_kit: Any, cache: VerdictCache
) -> None:
    # the cold run (same working folder and script: this test process) recorded its templates' keys
    assert CloudFormationValidation(cache=cache).side_process is None
    uncached = CloudFormationValidation(cache=None).side_process
    assert uncached is not None, "no cache: the engine starts at once"
    uncached.stop(unused=True)


def test_a_clean_app_passes_with_no_report_also_after_a_full_hit_in_the_same_process(
    cold_kit: Any, cache: VerdictCache, tmp_path: Path
) -> None:
    plugin = CloudFormationValidation(cache=cache, start="now")
    _synth(_kit_app(tmp_path / "hit", flag=False, plugin=plugin))  # every template hits: the engine is killed
    assert plugin.used == "cache" and plugin.side_process is None
    app = build_clean_app(cdk.App(outdir=str(tmp_path), context={FLAG: True}, builtin_cloud_formation_validation=False))
    cdk.Validations.of(app).add_plugins(plugin)
    assert _synth(app)
    assert plugin.used == "side-process", "a later synth that misses starts the engine again"
    assert cfn_reports(tmp_path) == []


def test_a_changed_template_misses_and_a_corrupt_entry_never_passes_a_failing_template(
    builtin: dict[bool, Any], cold_kit: Any, cache: VerdictCache, tmp_path: Path
) -> None:
    # corrupt every cached entry of this app's first run: emptied violations under a stale digest
    poisoned = 0
    for entry_path in cache.directory.glob("*.json"):
        entry = json.loads(entry_path.read_text())
        entry["report"] = {"success": True, "violations": []}
        entry_path.write_text(json.dumps(entry))
        poisoned += 1
    assert poisoned >= 2
    plugin = CloudFormationValidation(cache=cache, start="on-miss")
    passed = _synth(_kit_app(tmp_path, flag=True, plugin=plugin, variant="Changed"))
    assert plugin.used == "side-process", "corrupt entries and a changed template are misses"
    assert not passed
    rules = {v["ruleName"] for r in cfn_reports(tmp_path) for v in r["violations"]}
    assert {"F3002", "F3012", "F3031", "F6101"} <= rules
    (report,) = cfn_reports(tmp_path)
    descriptions = [v["description"] for v in report["violations"]]
    assert any("delay-Changed" in d for d in descriptions), "the changed template was validated"


def test_a_side_process_that_dies_while_validating_fails_the_synth(tmp_path: Path) -> None:
    plugin = CloudFormationValidation(cache=None, start="now")
    plugin._crash_for_test = 9
    app = build_clean_app(cdk.App(outdir=str(tmp_path), context={FLAG: True}, builtin_cloud_formation_validation=False))
    cdk.Validations.of(app).add_plugins(plugin)
    assert not _synth(app), "a clean app fails when its templates could not be validated"
    (report,) = cfn_reports(tmp_path)
    (violation,) = report["violations"]
    assert violation["ruleName"] == CHECK_FAILED_RULE and violation["severity"] == "error"
    assert "exit code 9" in violation["description"] and "NOT validated" in violation["description"]
    assert "builtin" in violation["suggestedFix"]
    assert [c["constructPath"] for c in violation["violatingConstructs"]] == ["Clean"]


def test_an_error_inside_the_check_fails_the_synth_on_every_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secure_serverless._cfn_validate as module

    def unreadable(**_: Any) -> str:
        raise OSError("the template vanished")

    monkeypatch.setattr(module, "template_key", unreadable)
    plugin = CloudFormationValidation(cache=None, start="on-miss")
    app = build_clean_app(cdk.App(outdir=str(tmp_path), context={FLAG: True}, builtin_cloud_formation_validation=False))
    cdk.Validations.of(app).add_plugins(plugin)
    assert not _synth(app), "CDK would turn the exception into a report with no violation: a pass under the CLI"
    (report,) = cfn_reports(tmp_path)
    (violation,) = report["violations"]
    assert violation["ruleName"] == CHECK_FAILED_RULE and "the template vanished" in violation["description"]
    assert [c["constructPath"] for c in violation["violatingConstructs"]] == ["Clean"]
    assert plugin.side_process is None


def test_without_an_unpacked_aws_cdk_lib_the_kernel_runs_the_builtin_plugin(
    builtin: dict[bool, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(tmp_path / "no-jsii-cache"))
    plugin = CloudFormationValidation(cache=None, start="now")
    passed = _synth(_kit_app(tmp_path / "out", flag=True, plugin=plugin))
    assert plugin.used == "kernel"
    assert plugin.side_process is not None and "no unpacked aws-cdk-lib" in (plugin.side_process.start_error or "")
    assert "runs in the jsii kernel" in capsys.readouterr().err
    assert (passed, [comparable(r) for r in cfn_reports(tmp_path / "out")]) == builtin[True]


# ---- the cache on its own (no CDK)

_REPORT = {
    "success": False,
    "violations": [
        {
            "ruleName": "F3012",
            "description": "VisibilityTimeout: 'x' is not of type 'integer'",
            "severity": "error",
            "violatingResources": [
                {"resourceLogicalId": "Queue", "templatePath": "/out/S.template.json", "locations": ["Properties.X"]}
            ],
            "ruleMetadata": {"category": "Schema"},
        }
    ],
}
_KEY_INPUTS: dict[str, Any] = {
    "template": b'{"Resources": {}}',
    "template_name": "S.template.json",
    "stack_construct_path": "S",
    "account": None,
    "region": None,
    "cdk_version": "2.275.0",
}


@pytest.mark.parametrize(
    "change",
    [
        {"template": b'{"Resources": {"A": {}}}'},
        {"cdk_version": "2.276.0"},
        {"account": "123456789012"},
        {"region": "eu-west-1"},
        {"stack_construct_path": "Other"},
        {"template_name": "Other.template.json"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_input_of_the_verdict_is_in_the_key(change: dict[str, Any]) -> None:
    assert template_key(**_KEY_INPUTS) == template_key(**_KEY_INPUTS)
    assert template_key(**{**_KEY_INPUTS, **change}) != template_key(**_KEY_INPUTS)


def _stored(tmp_path: Path) -> tuple[VerdictCache, str, Path]:
    cache = VerdictCache(tmp_path)
    key = template_key(**_KEY_INPUTS)
    cache.put(key, _REPORT)
    return cache, key, tmp_path / f"{key}.json"


def test_an_entry_reads_back_with_the_template_path_of_this_synth(tmp_path: Path) -> None:
    cache, key, path = _stored(tmp_path)
    assert "/out/" not in path.read_text(), "the output folder is not stored"
    read = cache.get(key, "/elsewhere/S.template.json")
    assert read is not None and read["success"] is False
    assert read["violations"][0]["violatingResources"][0]["templatePath"] == "/elsewhere/S.template.json"
    assert {k: v for k, v in read["violations"][0].items() if k != "violatingResources"} == {
        k: v for k, v in _REPORT["violations"][0].items() if k != "violatingResources"
    }


def _rewrite(path: Path, change: Any) -> None:
    entry = json.loads(path.read_text())
    change(entry)
    path.write_text(json.dumps(entry))


@pytest.mark.parametrize(
    "corruption",
    [
        lambda path: path.write_text(path.read_text()[:40]),  # torn write
        lambda path: path.write_text("not json"),
        lambda path: _rewrite(path, lambda e: e.update(format=FORMAT + 1)),
        lambda path: _rewrite(path, lambda e: e.update(key="0" * 64)),  # another template's entry copied here
        lambda path: _rewrite(path, lambda e: e["report"].update(violations=[])),  # digest no longer matches
        lambda path: _rewrite(path, lambda e: e["report"]["violations"][0].update(severity=None)),
        lambda path: _rewrite(path, lambda e: e.update(report=[])),
    ],
    ids=["torn", "not-json", "other-format", "other-key", "violations-dropped", "bad-shape", "not-a-report"],
)
def test_a_corrupt_entry_is_a_miss(tmp_path: Path, corruption: Any) -> None:
    cache, key, path = _stored(tmp_path)
    corruption(path)
    assert cache.get(key, "/out/S.template.json") is None


def test_success_is_recomputed_never_read_from_the_entry(tmp_path: Path) -> None:
    from secure_serverless._cfn_validate_cache import _digest

    cache, key, path = _stored(tmp_path)

    def claim_success(entry: dict[str, Any]) -> None:
        entry["report"]["success"] = True
        entry["sha256"] = _digest(entry["report"])  # a consistent entry that claims a pass

    _rewrite(path, claim_success)
    read = cache.get(key, "/out/S.template.json")
    assert read is not None and read["success"] is False


def test_a_directory_others_can_write_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert VerdictCache.open(shared) is None
    assert "writable by group or others" in capsys.readouterr().err
    shared.chmod(0o700)
    assert VerdictCache.open(shared) is not None
    link = tmp_path / "link"
    link.symlink_to(shared)
    assert VerdictCache.open(link) is None


def test_the_environment_chooses_or_disables_the_directory(tmp_path: Path) -> None:
    assert default_directory({ENV_CACHE: "off"}) is None
    assert default_directory({ENV_CACHE: str(tmp_path)}) == tmp_path
    assert (
        default_directory({"XDG_CACHE_HOME": str(tmp_path)})
        == tmp_path / "secure-serverless" / "cloudformation-validate"
    )
    assert default_directory({}) == Path.home() / ".cache" / "secure-serverless" / "cloudformation-validate"


def test_concurrent_writers_leave_only_whole_entries(tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path)
    key = template_key(**_KEY_INPUTS)
    threads = [threading.Thread(target=lambda: [cache.put(key, _REPORT) for _ in range(20)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.name for p in tmp_path.iterdir()] == [f"{key}.json"], "no temporary file left behind"
    assert cache.get(key, "/out/S.template.json") is not None


def test_only_reports_of_the_plugins_shape_are_cached(tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path)
    strange = {"success": True, "violations": [{"ruleName": "X", "description": "d", "severity": "error"}]}
    assert not valid_report(strange)
    cache.put("k", strange)
    assert list(tmp_path.iterdir()) == []


def test_merging_per_template_reports_groups_like_one_call() -> None:
    def violation(rule: str, severity: str, logical_id: str, template: str) -> dict[str, Any]:
        return {
            "ruleName": rule,
            "description": f"{rule} text",
            "severity": severity,
            "violatingResources": [{"resourceLogicalId": logical_id, "templatePath": template, "locations": []}],
        }

    first = {"violations": [violation("E1", "error", "A", "1"), violation("W1", "warning", "B", "1")]}
    second = {"violations": [violation("W2", "warning", "C", "2"), violation("E1", "error", "D", "2")]}
    merged = merge([first, second])
    assert [v["ruleName"] for v in merged["violations"]] == ["E1", "W1", "W2"]
    assert [r["resourceLogicalId"] for r in merged["violations"][0]["violatingResources"]] == ["A", "D"]
    assert merged["success"] is False
    assert merge([{"violations": [violation("W1", "warning", "B", "1")]}])["success"] is True
    assert first["violations"][0]["violatingResources"] == [
        {"resourceLogicalId": "A", "templatePath": "1", "locations": []}
    ], "inputs untouched"


def test_the_engine_source_follows_jsii(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert engine_source({"JSII_RUNTIME_PACKAGE_CACHE": "disabled"}) is None
    source = engine_source({"JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(tmp_path)})
    assert source is not None and source["cacheRoot"] == str(tmp_path)
    assert source["version"] == version("aws-cdk-lib")
    assert Path(source["tarball"]).is_file()
    assert os.path.basename(source["tarball"]) == f"aws-cdk-lib@{source['version']}.jsii.tgz"


def test_the_side_process_node_flags_default_to_liftoff_single_threaded_and_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from secure_serverless._cfn_validate import DEFAULT_NODE_FLAGS, ENV_NODE_FLAGS

    monkeypatch.delenv(ENV_NODE_FLAGS, raising=False)
    assert (
        CloudFormationValidation(cache=None, start="on-miss")._node_flags
        == DEFAULT_NODE_FLAGS
        == ("--liftoff-only", "--single-threaded")
    )
    monkeypatch.setenv(ENV_NODE_FLAGS, "")
    assert CloudFormationValidation(cache=None, start="on-miss")._node_flags == ()
    monkeypatch.setenv(ENV_NODE_FLAGS, "--max-old-space-size=512 --no-opt")
    assert CloudFormationValidation(cache=None, start="on-miss")._node_flags == ("--max-old-space-size=512", "--no-opt")
