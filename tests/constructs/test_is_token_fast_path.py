"""``is_token`` answers most values in Python (no round trip to Node.js): it must answer as CDK does.

The fast path skips CDK's ``Token.is_unresolved`` for strings without CDK's marker ``Token[`` and
for numbers smaller than any number token; for every value CDK can be asked about, the two agree.
"""

from __future__ import annotations

import math
from typing import Any

import aws_cdk as cdk
import pytest

from secure_serverless import _validation
from secure_serverless._validation import is_token


def _tokens() -> list[Any]:
    stack = cdk.Stack(cdk.App(), "Tokens")
    number = cdk.CfnParameter(stack, "N", type="Number").value_as_number
    listed = cdk.CfnParameter(stack, "L", type="List<String>").value_as_list
    return [
        stack.account,
        stack.region,
        cdk.Fn.join("-", ["a", stack.account]),
        f"prefix-{stack.region}-suffix",
        number,
        cdk.Token.as_number(stack.account),
        cdk.Token.as_string(number),
        listed[0],  # a list token's element: CDK itself says it is not a (string) token
        stack.stack_name,
    ]


PLAIN = [
    "",
    "plain text",
    "Token[ but no closing marker",
    "${Token[not.a.real.token]}",  # the marker's shape: CDK is asked and decides
    "#{Token[x]}",
    0,
    -1,
    7,
    1.5,
    -2.25,
    2**53,
    -(2**53),
    1e279,
    -1e279,
    1e300,
    -1e300,
    -1.8e289,  # a token's magnitude, not a token's bit pattern
]


@pytest.mark.parametrize("value", PLAIN, ids=repr)
def test_plain_values_answer_as_cdk_does(value: Any) -> None:
    assert is_token(value) == cdk.Token.is_unresolved(value)


def test_every_kind_of_token_answers_as_cdk_does() -> None:
    for value in _tokens():
        assert is_token(value) == cdk.Token.is_unresolved(value), value


def test_a_number_token_is_found() -> None:
    stack = cdk.Stack(cdk.App(), "Numbers")
    assert is_token(cdk.CfnParameter(stack, "N", type="Number").value_as_number)
    assert is_token(stack.account)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**400, True, False, None, [], {}], ids=repr)
def test_values_cdk_cannot_be_asked_about_are_no_tokens(value: Any) -> None:
    assert is_token(value) is False


def test_plain_values_cost_no_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: Any) -> bool:
        raise AssertionError(f"asked Node.js about {value!r}")

    monkeypatch.setattr(_validation.cdk.Token, "is_unresolved", staticmethod(refuse))
    for value in ["plain text", "", 0, 7, 1.5, -1e279, 2**60]:
        assert is_token(value) is False
