"""The supported aws-cdk-lib range and what the kit decides from the installed version (cdk_compat).

These run in `make compat` too, against the wheel beside the oldest and the newest supported CDK.
"""

from __future__ import annotations

import inspect
import re
import tomllib
import warnings
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from cdk_support import new_app, only_resource, template
from secure_serverless import Invocation, TableFunction, cdk_compat, register_compliance_checks
from secure_serverless.cdk_compat import (
    KIT_PYTHON_RUNTIME,
    MINIMUM_CDK,
    NEWEST_TESTED_CDK,
    UnsupportedCdkVersionError,
    UntestedCdkVersionWarning,
    check_cdk_version,
    newest_python,
    parse_version,
    python_runtime_name,
)
from secure_serverless.powertools import POWERTOOLS_PYTHON

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0]: requirement for requirement in project["dependencies"]}


def _floor_and_ceiling(requirement: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    match = re.fullmatch(r"[a-z-]+>=([0-9.]+),<([0-9.]+)", requirement)
    assert match, f"{requirement!r} is not 'name>=floor,<ceiling'"
    return parse_version(match[1]), parse_version(match[2])


def test_the_metadata_declares_a_range_up_to_the_next_major_with_cdk_compats_floor() -> None:
    declared = _declared()
    floor, ceiling = _floor_and_ceiling(declared["aws-cdk-lib"])
    assert floor == MINIMUM_CDK
    assert ceiling == (3, 0, 0)
    assert _floor_and_ceiling(declared["constructs"])[1] == (11, 0, 0)
    assert _floor_and_ceiling(declared["cdk-nag"])[1] == (4, 0, 0)  # cdk-nag's API changed at 3.0


def test_the_reference_app_stays_pinned_inside_the_range_and_tested() -> None:
    pins = dict(
        re.fullmatch(r"([a-z-]+)==([0-9.]+)", line).groups()  # type: ignore[union-attr]
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if re.fullmatch(r"[a-z-]+==[0-9.]+", line)
    )
    declared = _declared()
    for library in ("aws-cdk-lib", "constructs", "cdk-nag"):
        floor, ceiling = _floor_and_ceiling(declared[library])
        assert floor <= parse_version(pins[library]) < ceiling, (library, pins[library])
    assert parse_version(pins["aws-cdk-lib"])[:2] <= NEWEST_TESTED_CDK


@pytest.mark.parametrize("version", [(2, 270, 0), (2, 260, 0), (1, 204, 0)])
def test_a_cdk_below_the_floor_is_refused_naming_why_and_the_fix(version: tuple[int, int, int]) -> None:
    with pytest.raises(UnsupportedCdkVersionError) as raised:
        check_cdk_version(version)
    message = str(raised.value)
    assert ".".join(map(str, version)) in message
    assert "whole app" in message and "pip install 'aws-cdk-lib>=2.271.0,<3'" in message


def test_a_new_major_is_refused() -> None:
    with pytest.raises(UnsupportedCdkVersionError, match=r"aws-cdk-lib 3\.0\.0 is a new major version"):
        check_cdk_version((3, 0, 0))


def test_an_untested_newer_minor_warns_once_and_builds() -> None:
    newer = (2, NEWEST_TESTED_CDK[1] + 7, 1)
    cdk_compat._warned.discard(newer)
    with pytest.warns(UntestedCdkVersionWarning, match=r"newer than the newest version this kit release was tested"):
        check_cdk_version(newer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_cdk_version(newer)  # once per version and process


@pytest.mark.parametrize("version", [MINIMUM_CDK, (2, NEWEST_TESTED_CDK[1], 9)])
def test_a_supported_and_tested_version_passes_silently(version: tuple[int, int, int]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_cdk_version(version)


def test_newest_python_compares_versions_as_numbers() -> None:
    assert newest_python(["python3.9", "python3.14", "python3.13", "nodejs24.x", "provided.al2023"]) == "python3.14"
    assert newest_python(["nodejs24.x"]) is None


def test_the_kit_runtime_is_chosen_when_it_is_the_newest_python_cdk_knows() -> None:
    assert python_runtime_name(["python3.12", "python3.13", "python3.14"], (2, 275, 0)) == KIT_PYTHON_RUNTIME


def test_a_cdk_that_knows_a_newer_python_is_refused_rather_than_failing_cdk_nag() -> None:
    with pytest.raises(UnsupportedCdkVersionError) as raised:
        python_runtime_name(["python3.13", "python3.14", "python3.15"], (2, 290, 0))
    message = str(raised.value)
    assert "python3.15" in message and "AwsSolutions-L1" in message and "Upgrade secure-serverless-kit" in message


def test_a_cdk_without_the_kit_runtime_is_refused() -> None:
    with pytest.raises(UnsupportedCdkVersionError, match=r"does not know the Lambda runtime python3\.14"):
        python_runtime_name(["python3.12", "python3.13"], (2, 200, 0))


def test_every_kit_function_runs_the_runtime_cdk_compat_chose_and_powertools_targets() -> None:
    assert POWERTOOLS_PYTHON == KIT_PYTHON_RUNTIME

    def build(stack: cdk.Stack) -> None:
        TableFunction(
            stack,
            "Orders",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
            handler="index.handler",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            access="read",
            invocation=Invocation.SYNCHRONOUS,
        )

    function = only_resource(template(build), "AWS::Lambda::Function")
    assert function["Properties"]["Runtime"] == KIT_PYTHON_RUNTIME


def test_registering_the_checks_on_an_unsupported_cdk_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cdk_compat, "installed_cdk_version", lambda: (2, 268, 0))
    with pytest.raises(UnsupportedCdkVersionError, match=r"aws-cdk-lib 2\.268\.0 is older than 2\.271\.0"):
        register_compliance_checks(new_app())


def test_the_kit_validation_is_offered_exactly_where_cdk_can_turn_the_builtin_off() -> None:
    """The version constant agrees with the installed binding: ``cdk.AppProps`` takes the option from
    2.275 (``make compat`` runs this module on aws-cdk-lib 2.271, the reference app on 2.275)."""
    has_option = "builtin_cloud_formation_validation" in inspect.signature(cdk.AppProps.__init__).parameters
    assert cdk_compat.kit_validation_supported() == has_option
    assert cdk_compat.kit_validation_supported((2, 275, 0))
    assert not cdk_compat.kit_validation_supported((2, 274, 9))


def test_the_kit_validation_on_a_cdk_that_cannot_turn_the_builtin_off_is_refused_naming_both_fixes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cdk_compat, "installed_cdk_version", lambda: (2, 271, 0))
    with pytest.raises(UnsupportedCdkVersionError) as raised:
        register_compliance_checks(new_app(), cloudformation_validation="kit")
    message = str(raised.value)
    assert "needs aws-cdk-lib 2.275.0 or newer (you have 2.271.0)" in message
    assert "cloudformation_validation='builtin'" in message
    assert "pip install 'aws-cdk-lib>=2.275.0,<3'" in message


def test_the_installed_cdk_either_takes_the_kit_validation_or_refuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever aws-cdk-lib this run has, registering "kit" either works or names the fix."""
    monkeypatch.setenv("CDK_VALIDATION", "false")  # the version check still runs; no side process is started
    supported = cdk_compat.kit_validation_supported()
    app = cdk.App(**({"builtin_cloud_formation_validation": False} if supported else {}))
    if supported:
        register_compliance_checks(
            app,
            cloudformation_validation="kit",
            perimeter=False,
            perimeter_off_reason="a bare app: nothing to prove, only the registration",
        )
    else:
        with pytest.raises(UnsupportedCdkVersionError, match="cloudformation_validation='builtin'"):
            register_compliance_checks(app, cloudformation_validation="kit")


def test_the_access_log_flag_is_honoured_from_2_274_only() -> None:
    assert cdk_compat.renders_exact_access_log_arn((2, 274, 0))
    assert not cdk_compat.renders_exact_access_log_arn((2, 273, 9))
    assert cdk_compat.FEATURE_FLAGS[cdk_compat.APIGATEWAY_EXACT_ACCESS_LOG_ARN] is True


def test_an_api_renders_the_exact_access_log_arn_in_an_app_without_feature_flags() -> None:
    """SecureRestApi sets the flag on itself: an app with an empty cdk.json gets no ':*' either."""
    from secure_serverless import SecureRestApi, SecureUserPool

    app = cdk.App()  # no feature flags at all
    stack = cdk.Stack(app, "Bare")
    users = SecureUserPool(stack, "Users")
    api = SecureRestApi(stack, "Api", user_pool=users.user_pool)
    handler = lambda_.Function(
        stack,
        "Ping",
        runtime=cdk_compat.lambda_runtime(),
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    api.add_route("GET", "/ping", handler)
    stage = only_resource(cdk.assertions.Template.from_stack(stack), "AWS::ApiGateway::Stage")
    destination = stage["Properties"]["AccessLogSetting"]["DestinationArn"]
    if cdk_compat.renders_exact_access_log_arn():
        assert "Fn::Join" in destination
    else:
        assert "Fn::GetAtt" in destination
