"""The errors-first hook recognises a kit message in every form it reaches the top of the app in."""

from __future__ import annotations

import io
import sys

import pytest

from secure_serverless import ConfigurationError
from secure_serverless._errors_first import PREFIX, kit_message, report

PROBLEM = "the table S/Orders/Table belongs to S/Orders/Function: ... pass share_reason='<why>'"


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_a_configuration_error_is_its_own_message() -> None:
    error = ConfigurationError("S/Billing/Function", [PROBLEM])
    assert kit_message(error) == str(error)


def test_a_configuration_error_behind_another_exception_is_found() -> None:
    try:
        try:
            raise ConfigurationError("S/Billing/Function", [PROBLEM])
        except ConfigurationError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert kit_message(outer) == str(outer.__cause__)


def test_a_message_that_came_back_through_jsii_as_text_is_found() -> None:
    text = str(ConfigurationError("S/Billing/Function", [PROBLEM]))
    assert kit_message(RuntimeError(text)) == text


def test_a_kit_validation_rule_keeps_cdks_header_and_the_construct_path() -> None:
    text = (
        "ValidationFailedWithErrors: Validation failed with the following errors:\n"
        "  [S/Billing/Function/Resource] SecureServerless-ForeignGrant: a statement allowing [dynamodb:GetItem]"
    )
    message = kit_message(RuntimeError(text))
    assert message is not None
    assert message.startswith("ValidationFailedWithErrors")
    assert "[S/Billing/Function/Resource] SecureServerless-ForeignGrant" in message


@pytest.mark.parametrize(
    "error",
    [KeyError("missing"), RuntimeError("Validation failed: AwsSolutions-IAM5 on S/Role"), ValueError("bad value")],
)
def test_other_errors_carry_no_kit_message(error: BaseException) -> None:
    assert kit_message(error) is None


def test_report_prints_the_message_first_and_the_frames_after(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.delenv("SECURE_SERVERLESS_TRACEBACK", raising=False)
    error = _raised(ConfigurationError("S/Billing/Function", [PROBLEM]))
    assert report(type(error), error, error.__traceback__) is True
    lines = stream.getvalue().splitlines()
    assert lines[0] == PREFIX + "S/Billing/Function: invalid configuration (1 problem(s)):"
    assert lines[1] == f"  - {PROBLEM}"
    assert any(__file__ in line for line in lines[2:])  # where it was raised
    assert lines[-1].startswith("ConfigurationError: ")


def test_report_leaves_other_errors_to_the_previous_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    error = _raised(KeyError("missing"))
    assert report(type(error), error, error.__traceback__) is False
    assert stream.getvalue() == ""


def test_importing_the_kit_installed_the_hook() -> None:
    assert getattr(sys.excepthook, "_secure_serverless", False) is True
