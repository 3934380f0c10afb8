"""Errors first: a kit configuration error is the first thing on stderr, under ``python app.py`` and ``cdk synth``.

One consumer app (the kit from the wheel) with one deliberate misconfiguration: a cross-service
grant without ``share_reason``. ``ERROR_CASE=direct`` makes it in the app's own code (a Python
traceback ends with the message); ``ERROR_CASE=callback`` makes it inside an Aspect, so the kit's
``ConfigurationError`` is raised in a jsii callback and comes back from Node.js behind a JavaScript
stack (41 lines of stderr, the message on the second, before the kit's hook).
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from consumer_support import ROOT, ConsumerVenv

pytestmark = pytest.mark.slow

CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"

APP = textwrap.dedent(
    """
    import os
    import aws_cdk as cdk
    import jsii
    from aws_cdk import aws_dynamodb as dynamodb, aws_lambda as lambda_
    from secure_serverless import Invocation, TableFunction, register_compliance_checks

    CODE = lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n")
    app = cdk.App()
    register_compliance_checks(app)
    stack = cdk.Stack(app, "ErrorsFirst")

    def service(name, key):
        return TableFunction(
            stack, name, code=CODE, handler="index.handler", access="read", invocation=Invocation.SYNCHRONOUS,
            partition_key=dynamodb.Attribute(name=key, type=dynamodb.AttributeType.STRING),
        )

    orders, billing = service("Orders", "orderId"), service("Billing", "billId")

    if os.environ["ERROR_CASE"] == "direct":
        orders.table.grant_read_data(billing.function)  # the mistake: another service's table, no share_reason
    else:
        @jsii.implements(cdk.IAspect)
        class WireGrants:
            def visit(self, node):
                if node is stack:
                    orders.table.grant_read_data(billing.function)  # the same mistake, inside a jsii callback

        cdk.Aspects.of(stack).add(WireGrants())
    app.synth()
    """
)

KIT_LINE = "secure-serverless: ErrorsFirst/Billing/Function: invalid configuration (1 problem(s)):"


def _env(case: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("PYTEST", "CDK_"))}
    return env | {"ERROR_CASE": case, "CDK_DISABLE_STACK_TRACE": "1", "AWS_REGION": "eu-west-1"}


def _first_lines(stderr: str, count: int = 2) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()][:count]


@pytest.fixture(scope="module")
def app_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("errors-first")
    (folder / "app.py").write_text(APP)
    return folder


@pytest.mark.parametrize("case", ["direct", "callback"])
def test_python_app_prints_the_kit_message_first(consumer: ConsumerVenv, app_folder: Path, case: str) -> None:
    result = subprocess.run(
        [str(consumer.python), "app.py"], cwd=app_folder, env=_env(case), capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    first, second = _first_lines(result.stderr)
    assert first == KIT_LINE, result.stderr
    assert "cross-service grant" in second and "share_reason" in second
    assert "JavaScriptError" not in result.stderr and "program.js" not in result.stderr
    assert "app.py" in result.stderr  # where the app went wrong is still said
    assert len(result.stderr.splitlines()) <= 20, result.stderr


def test_cdk_synth_prints_the_kit_message_first(consumer: ConsumerVenv, app_folder: Path) -> None:
    if not CDK_CLI.exists():
        pytest.fail("the pinned CDK CLI is not installed: run make setup (node_modules/.bin/cdk)")
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "--app", f"{consumer.python} app.py", "--output", "cdk.out.errors"],
        cwd=app_folder,
        env=_env("callback"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode != 0
    first, second = _first_lines(result.stderr)
    assert first == KIT_LINE, result.stderr
    assert "cross-service grant" in second
    assert "JavaScriptError" not in result.stderr


def test_full_traceback_on_request_still_starts_with_the_kit(consumer: ConsumerVenv, app_folder: Path) -> None:
    result = subprocess.run(
        [str(consumer.python), "app.py"],
        cwd=app_folder,
        env=_env("callback") | {"SECURE_SERVERLESS_TRACEBACK": "full"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert _first_lines(result.stderr, 1) == [KIT_LINE], result.stderr
    assert "JavaScriptError" in result.stderr  # the whole default output follows


def test_other_errors_keep_the_default_traceback(consumer: ConsumerVenv, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import secure_serverless\nraise KeyError('not the kit')\n")
    result = subprocess.run(
        [str(consumer.python), "app.py"], cwd=tmp_path, env=_env("direct"), capture_output=True, text=True, check=False
    )
    assert _first_lines(result.stderr, 1) == ["Traceback (most recent call last):"]
    assert "secure-serverless:" not in result.stderr
