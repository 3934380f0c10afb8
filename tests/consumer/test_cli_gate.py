"""The perimeter gate holds under the pinned CDK CLI, not only under ``python app.py`` (issue 21).

A consumer app (the kit from the wheel) is run by the real ``cdk synth`` / ``cdk deploy`` of
node_modules, with no AWS credentials and none of pytest's environment (aws-cdk-lib reads
``PYTEST_CURRENT_TEST`` to pick its in-memory mode, which a user's shell never has). One app
file, one CLI run per case and command (five in all); the case is chosen by ``GATE_CASE``.

Before the gate, the acknowledged, the raising and the bad-input cases all exited 0 under the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from consumer_support import ROOT, ConsumerVenv

APP = textwrap.dedent(
    """
    import os
    import aws_cdk as cdk
    from aws_cdk import aws_dynamodb as dynamodb, aws_iam as iam, aws_lambda as lambda_
    from secure_serverless import Invocation, TableFunction, register_compliance_checks

    CASE = os.environ["GATE_CASE"]
    CODE = lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n")

    if CASE == "raising-check":
        import secure_serverless._perimeter_plugin as plugin

        def broken(*args, **kwargs):
            raise RuntimeError("a bug inside the analyzer")

        plugin.analyze = broken

    app = cdk.App()
    stack = cdk.Stack(app, "GateStack")
    if CASE == "acknowledged":
        # What a new user writes: a plain Lambda whose role reaches every table, and CDK's own
        # acknowledgment of each perimeter rule, with the ids the report used to suggest.
        plain = lambda_.Function(stack, "Plain", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler", code=CODE)
        plain.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:*"], resources=["*"]))
        for rule in ACKNOWLEDGED:
            cdk.Validations.of(stack).acknowledge(
                cdk.Acknowledgment(id=f"SecureServerlessPerimeter::{rule}", reason="we accept this risk for now"))
    else:
        service = TableFunction(
            stack, "Orders", code=CODE, handler="index.handler", access="read", invocation=Invocation.SYNCHRONOUS,
            partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
        )
        if CASE == "bad-input":
            # a policy naming a resource that is in no template: the check cannot resolve it
            iam.CfnPolicy(stack, "Dangling", policy_name="dangling", roles=[service.function.role.role_name],
                          policy_document={"Version": "2012-10-17", "Statement": [{
                              "Effect": "Allow", "Action": "dynamodb:GetItem",
                              "Resource": {"Fn::GetAtt": ["NotInAnyTemplate", "Arn"]}}]})
    register_compliance_checks(app, packs=())  # the perimeter check alone: nothing else can fail
    app.synth()
    """
).replace(
    "ACKNOWLEDGED",
    repr(["P01-missing-perimeter", "P05-aws-managed-policy", "P11-wildcard-action", "P12-wildcard-resource"]),
)

KIT_MESSAGE = "secure_serverless: the perimeter check"
#: What the CLI 2.1148.1 says when a deploy needs an account and there are no credentials.
NO_ACCOUNT = "Unable to resolve AWS account to use"
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"


@dataclass(frozen=True)
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    outdir: Path

    def report(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return loaded


Cli = Callable[[str, str], CliRun]


def _clean_environment() -> dict[str, str]:
    """A user's shell: no pytest variables, no AWS credentials, no instance metadata to wait for."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "AWS_", "CDK_")) and key not in ("PYTHONPATH", "NODE_ENV")
    }
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
        AWS_REGION="eu-west-1",
        CDK_DISABLE_STACK_TRACE="1",
    )
    return env


@pytest.fixture(scope="module")
def cli(consumer: ConsumerVenv, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], CliRun]:
    if shutil.which("node") is None or not CDK_CLI.exists():
        pytest.fail("the pinned CDK CLI is not installed: run make setup (node_modules/.bin/cdk)")
    folder = tmp_path_factory.mktemp("cli-gate")
    (folder / "app.py").write_text(APP)
    done: dict[tuple[str, str], CliRun] = {}

    def run(command: str, case: str) -> CliRun:
        if (command, case) not in done:
            outdir = folder / f"out-{command}-{case}"
            args = [str(CDK_CLI), command, "--app", f"{consumer.python} app.py", "--output", str(outdir)]
            args += ["--require-approval", "never"] if command == "deploy" else ["--quiet"]
            result = subprocess.run(
                args,
                cwd=folder,
                env=_clean_environment() | {"GATE_CASE": case},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            done[command, case] = CliRun(result.returncode, result.stdout, result.stderr, outdir)
        return done[command, case]

    return run


def _fails_at_the_perimeter(run: CliRun) -> None:
    assert run.returncode != 0, f"exit 0: the gate is open\n{run.stderr[-3000:]}"
    assert KIT_MESSAGE in run.stderr, run.stderr[-3000:]
    assert "Acknowledge with 'SecureServerlessPerimeter" not in run.stdout + run.stderr
    assert "cannot be acknowledged" in run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ["synth", "deploy"])
def test_acknowledged_perimeter_rules_fail_under_the_cli(cli: Cli, command: str) -> None:
    run = cli(command, "acknowledged")

    _fails_at_the_perimeter(run)
    for rule in ("P01-missing-perimeter", "P05-aws-managed-policy", "P11-wildcard-action", "P12-wildcard-resource"):
        assert f"acknowledges SecureServerlessPerimeter::{rule}" in run.stderr
    assert "P11 wildcard-action" in run.stderr and "[dynamodb:*]" in run.stderr
    # the process ended after CDK wrote the report: the findings are in it, none acknowledged away
    (plugin,) = run.report()["pluginReports"]
    assert plugin["conclusion"] == "failure"
    assert {v["ruleName"].split()[0] for v in plugin["violations"]} >= {"P00", "P01", "P05", "P11", "P12"}
    assert {v["severity"] for v in plugin["violations"]} == {"fatal"}
    assert not plugin.get("suppressedViolations")


@pytest.mark.slow
def test_deploy_stops_at_the_perimeter_before_any_credential_lookup(cli: Cli) -> None:
    clean, gated = cli("deploy", "clean"), cli("deploy", "acknowledged")

    # The clean app gets past synthesis and fails where a deploy needs an account ...
    assert clean.returncode != 0
    assert KIT_MESSAGE not in clean.stderr
    assert NO_ACCOUNT in clean.stdout + clean.stderr, clean.stderr[-3000:]
    # ... the gated one never gets there.
    _fails_at_the_perimeter(gated)
    assert NO_ACCOUNT not in gated.stdout + gated.stderr
    assert "credentials" not in (gated.stdout + gated.stderr).lower(), gated.stderr[-3000:]


@pytest.mark.slow
def test_a_check_that_raises_fails_under_the_cli(cli: Cli) -> None:
    run = cli("synth", "raising-check")

    _fails_at_the_perimeter(run)
    assert run.returncode == 2 or "error 2" in run.stderr
    assert "crashed: RuntimeError: a bug inside the analyzer" in run.stderr
    assert "could not be completed" in run.stderr


@pytest.mark.slow
def test_input_the_check_cannot_read_fails_under_the_cli(cli: Cli) -> None:
    run = cli("synth", "bad-input")

    _fails_at_the_perimeter(run)
    assert "could not read the templates" in run.stderr
    assert "NotInAnyTemplate" in run.stderr


@pytest.mark.slow
def test_a_clean_app_passes_the_gate_under_the_cli(cli: Cli) -> None:
    # The deploy's synthesis (the same run as above): the app exited 0 and its assembly was written,
    # then the CLI went on to look for an account. `cdk synth` exiting 0 on clean apps is
    # tests/consumer/test_compositions.py's (every composition) and `make synth`'s (the reference app).
    run = cli("deploy", "clean")

    assert KIT_MESSAGE not in run.stderr
    assert (run.outdir / "GateStack.template.json").is_file(), run.stderr[-3000:]
    assert json.loads((run.outdir / "manifest.json").read_text())["artifacts"]["GateStack"]
    assert NO_ACCOUNT in run.stdout + run.stderr, run.stderr[-3000:]
