"""One Powertools pin: the deployed layer is resolved from the version the handler tests run on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secure_serverless.powertools import POWERTOOLS_VERSION, powertools_parameter_name

ROOT = Path(__file__).resolve().parents[2]


def test_the_deployed_version_is_the_tested_pin() -> None:
    pins = re.findall(
        r"^aws-lambda-powertools(?:\[[^\]]*\])?==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M
    )
    assert pins == [POWERTOOLS_VERSION]


def test_the_layer_is_named_by_the_public_ssm_parameter_of_that_version() -> None:
    assert powertools_parameter_name() == f"/aws/service/powertools/python/arm64/python3.14/{POWERTOOLS_VERSION}"


@pytest.mark.parametrize("bad", ["latest", "3.37", "36", ""])
def test_a_version_that_is_not_a_release_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Powertools version must be a release"):
        powertools_parameter_name(bad)


@pytest.mark.slow
def test_the_function_template_holds_an_ssm_dynamic_reference() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    from secure_serverless.powertools import powertools_layer

    app = cdk.App()
    stack = cdk.Stack(app, "PowertoolsPin")
    lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="app.handler",
        code=lambda_.Code.from_inline("def handler(e, c): return e"),
        layers=[powertools_layer(stack, "Powertools")],
    )
    resources = app.synth().get_stack_by_name("PowertoolsPin").template["Resources"]
    layers = [r["Properties"]["Layers"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    assert layers == [[f"{{{{resolve:ssm:{powertools_parameter_name()}}}}}"]]
