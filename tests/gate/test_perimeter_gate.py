"""The perimeter plugin's verdict and the gate that ends the process (issue 21), without a synth.

``PerimeterCheck.validate`` is called on small cloud assemblies written here: it must never
raise (CDK would read an exception as "the plugin did not run"), every finding must be fatal
(CDK neither applies nor suggests an acknowledgment of a fatal violation), and a crash, bad input
or an acknowledgment must be a failure. The CLI runs are in tests/consumer/test_cli_gate.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secure_serverless import _perimeter_plugin as plugin
from secure_serverless._perimeter_gate import (
    EXIT_CHECK_FAILED,
    EXIT_VIOLATIONS,
    PerimeterGate,
    library_raises,
)
from secure_serverless_checks.perimeter.synthetic import synthetic_assembly

STACK = "Synthetic0"


@dataclass
class _Context:
    template_paths: list[str]


def _assembly(folder: Path, template: dict[str, Any], acknowledged: dict[str, str] | None = None) -> list[str]:
    """A cloud assembly of one stack (manifest, template, metadata) as CDK writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{STACK}.template.json").write_text(json.dumps(template))
    metadata = {f"/{STACK}": [{"type": "aws:cdk:acknowledged-rules", "data": acknowledged}]} if acknowledged else {}
    (folder / f"{STACK}.metadata.json").write_text(json.dumps(metadata))
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "version": "55.0.0",
                "artifacts": {
                    STACK: {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://unknown-account/unknown-region",
                        "properties": {"templateFile": f"{STACK}.template.json"},
                        "additionalMetadataFile": f"{STACK}.metadata.json",
                    }
                },
            }
        )
    )
    return [str(folder / f"{STACK}.template.json")]


def _compliant() -> dict[str, Any]:
    return synthetic_assembly(functions=2)[STACK]


def _widened() -> dict[str, Any]:
    template = _compliant()
    statements = template["Resources"]["F0000RoleDefaultPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements.append({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    return template


def _validate(paths: list[str]) -> tuple[Any, PerimeterGate]:
    gate = PerimeterGate(armed=False)
    return plugin.PerimeterCheck(gate).validate(_Context(paths)), gate  # type: ignore[arg-type]


def _rules(report: Any) -> set[str]:
    return {violation.rule_name.split()[0] for violation in report.violations}


def test_a_compliant_assembly_passes(tmp_path: Path) -> None:
    report, gate = _validate(_assembly(tmp_path, _compliant()))

    assert report.success is True
    assert list(report.violations) == []
    assert gate.exit_code == 0


def test_every_perimeter_finding_is_fatal_so_cdk_never_applies_or_suggests_an_acknowledgment(tmp_path: Path) -> None:
    report, gate = _validate(_assembly(tmp_path, _widened()))

    assert report.success is False
    assert _rules(report) >= {"P11", "P12"}
    assert {violation.severity for violation in report.violations} == {"fatal"}
    assert all("cannot be acknowledged" in violation.fix for violation in report.violations)
    assert gate.exit_code == EXIT_VIOLATIONS


def test_an_acknowledged_perimeter_rule_is_a_violation_naming_it(tmp_path: Path) -> None:
    acknowledged = {"SecureServerlessPerimeter::P11-wildcard-action": "we accept this risk for now"}
    report, gate = _validate(_assembly(tmp_path, _widened(), acknowledged))

    assert report.success is False
    (ack,) = [v for v in report.violations if v.rule_name == "P00 acknowledged-perimeter-rule"]
    assert "/Synthetic0 acknowledges SecureServerlessPerimeter::P11-wildcard-action" in ack.description
    assert "P11" in _rules(report)  # the acknowledged finding is still reported
    assert gate.exit_code == EXIT_VIOLATIONS


def test_an_acknowledgment_alone_fails_a_compliant_assembly(tmp_path: Path) -> None:
    acknowledged = {"SecureServerlessPerimeter::P07-undeclared-reach": "acknowledged in advance, just in case"}
    report, _ = _validate(_assembly(tmp_path, _compliant(), acknowledged))

    assert report.success is False
    assert _rules(report) == {"P00"}


def test_a_crash_inside_the_check_is_a_failure_not_a_skipped_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug inside the analyzer")

    monkeypatch.setattr(plugin, "analyze", broken)
    report, gate = _validate(_assembly(tmp_path, _compliant()))

    assert report.success is False
    (violation,) = report.violations
    assert violation.rule_name == "P00 check-failed"
    assert violation.severity == "fatal"
    assert "crashed: RuntimeError: a bug inside the analyzer" in violation.description
    assert gate.exit_code == EXIT_CHECK_FAILED


def test_a_context_that_cannot_be_read_is_a_failure() -> None:
    class Broken:
        @property
        def template_paths(self) -> list[str]:
            raise OSError("the template paths are gone")

    report = plugin.PerimeterCheck().validate(Broken())  # type: ignore[arg-type]

    assert report.success is False
    assert "the template paths are gone" in report.violations[0].description


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("invalid JSON", lambda path: path.write_text('{"Resources": {')),
        ("no template file", lambda path: path.unlink()),
        ("a folder where the template was", lambda path: (path.unlink(), path.mkdir())),
    ],
)
def test_a_template_the_check_cannot_read_is_a_failure(tmp_path: Path, name: str, write: Any) -> None:
    (path,) = _assembly(tmp_path, _compliant())
    write(Path(path))

    report, gate = _validate([path])

    assert report.success is False, name
    assert _rules(report) == {"P00"}, name
    assert gate.exit_code == EXIT_CHECK_FAILED, name


def test_a_dangling_reference_is_a_failure_naming_it(tmp_path: Path) -> None:
    template = _compliant()
    statement = template["Resources"]["F0000RoleDefaultPolicy"]["Properties"]["PolicyDocument"]["Statement"][1]
    statement["Resource"] = {"Fn::GetAtt": ["NotInAnyTemplate", "Arn"]}

    report, gate = _validate(_assembly(tmp_path, template))

    (violation,) = report.violations
    assert "could not read the templates" in violation.description
    assert "NotInAnyTemplate" in violation.description
    assert gate.exit_code == EXIT_CHECK_FAILED


# ---------------------------------------------------------------- when the library raises by itself


def _context(values: dict[str, Any]) -> Any:
    return values.get


@pytest.mark.parametrize(
    ("context", "environ", "raises"),
    [
        ({}, {}, True),  # python app.py: app mode "unknown"
        ({}, {"PYTEST_CURRENT_TEST": "x"}, True),  # pytest: "inmemory"
        ({}, {"CDK_APP_MODE": "inmemory"}, True),
        ({"@aws-cdk/core:failSynthOnValidationErrors": False}, {}, False),  # the CDK CLI 2.1148.1
        ({"@aws-cdk/core:failSynthOnValidationErrors": "false"}, {}, False),
        ({"@aws-cdk/core:failSynthOnValidationErrors": True}, {}, True),
        ({}, {"CDK_APP_MODE": "process"}, False),  # only process.exitCode in the Node.js process
        ({"@aws-cdk/core:appMode": "process"}, {}, False),
        ({"@aws-cdk/core:appMode": "inmemory"}, {"CDK_APP_MODE": "process"}, True),  # context wins
    ],
)
def test_the_gate_is_armed_exactly_where_aws_cdk_lib_does_not_raise(
    context: dict[str, Any], environ: dict[str, str], raises: bool
) -> None:
    assert library_raises(_context(context), environ) is raises


def test_register_compliance_checks_arms_the_gate_only_under_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    import aws_cdk as cdk

    from secure_serverless import register_compliance_checks

    created: list[plugin.PerimeterCheck] = []

    class Recorded(plugin.PerimeterCheck):
        def __init__(self, gate: PerimeterGate | None = None) -> None:
            super().__init__(gate)
            created.append(self)

    monkeypatch.setattr(plugin, "PerimeterCheck", Recorded)

    def gate_of(app: cdk.App) -> PerimeterGate:
        register_compliance_checks(app, packs=())
        return created[-1]._gate

    assert gate_of(cdk.App()).armed is False
    assert gate_of(cdk.App(context={"@aws-cdk/core:failSynthOnValidationErrors": False})).armed is True


# ---------------------------------------------------------------- the end of the process


GATED_PROCESS = textwrap.dedent(
    """
    import atexit, sys
    from secure_serverless._perimeter_gate import PerimeterGate
    ran = []
    atexit.register(lambda: print("an earlier exit handler ran", file=sys.stderr))
    gate = PerimeterGate(armed={armed})
    gate.fail({code}, ["P11 wildcard-action: Stack/Fn -> * [dynamodb:*]: wildcard action"], "/tmp/cdk.out")
    gate.tell(["the perimeter check cannot be acknowledged: /Stack acknowledges P11"])
    print("the app ran to its end")
    """
)


@pytest.mark.parametrize(("armed", "code"), [(True, EXIT_VIOLATIONS), (True, EXIT_CHECK_FAILED), (False, 1)])
def test_an_armed_gate_ends_the_process_with_the_kits_message_after_the_app(armed: bool, code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", GATED_PROCESS.format(armed=armed, code=code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert "the app ran to its end" in result.stdout
    if not armed:  # the library raises by itself there: the gate only speaks
        assert result.returncode == 0, result.stderr
        assert "cannot be acknowledged: /Stack acknowledges P11" in result.stderr
        return
    assert result.returncode == code, result.stderr
    assert "an earlier exit handler ran" in result.stderr  # jsii's own clean-up still runs
    message = result.stderr.split("an earlier exit handler ran", 1)[1]
    assert "secure_serverless: the perimeter check" in message
    assert "P11 wildcard-action: Stack/Fn -> * [dynamodb:*]" in message
    assert "Perimeter rules cannot be acknowledged" in message
    assert "/tmp/cdk.out/validation-report.json" in message
    assert "Acknowledge with" not in result.stderr
