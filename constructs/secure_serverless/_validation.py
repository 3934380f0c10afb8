"""Collect every configuration problem of a construct and fail once, at synth time.

A construct validates its options in its constructor: each check adds a problem that names the
option, the value received and the fix. ``raise_if_any`` raises one ``ConfigurationError``
listing them all, so a user fixes everything in one pass instead of one error per synth.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk

# The one CORS origin rule, re-exported for the constructs (SecureRestApi, SecureBucket).
from secure_serverless_checks.origins import origin_problem as origin_problem

#: Shortest reason accepted for an acknowledgment or a weakened default.
MIN_REASON_LENGTH = 20


def has_reason(reason: str | None) -> bool:
    """True when ``reason`` is long enough to be a reason a security reviewer can check."""
    return len((reason or "").strip()) >= MIN_REASON_LENGTH


class ConfigurationError(ValueError):
    """Raised when a construct receives options it cannot build securely."""

    def __init__(self, construct_path: str, problems: Iterable[str]) -> None:
        self.construct_path = construct_path
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{construct_path}: invalid configuration ({len(self.problems)} problem(s)):\n{lines}")


#: CDK encodes a number token as a negative double near -2**960 (bits 0xFBFF in the top 16): nothing smaller is one.
_SMALLEST_NUMBER_TOKEN = 1e280


def is_token(value: Any) -> bool:
    """True when ``value`` is an unresolved CDK token: such values are checked at deploy time.

    Asks CDK (a round trip to Node.js) only about values that can be tokens: strings holding
    CDK's marker ``Token[`` and numbers of a token's magnitude; CDK answers False for every other.
    """
    if isinstance(value, str):
        return "Token[" in value and cdk.Token.is_unresolved(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            magnitude = abs(float(value))
        except OverflowError:  # an int beyond any double: no token
            return False
        # inf and nan are no tokens either (and jsii cannot send them to Node.js)
        return math.isfinite(magnitude) and magnitude >= _SMALLEST_NUMBER_TOKEN and cdk.Token.is_unresolved(value)
    return False


class Problems:
    """An ordered list of configuration problems for one construct."""

    def __init__(self, construct_path: str) -> None:
        self._construct_path = construct_path
        self._problems: list[str] = []

    def add(self, option: str, value: Any, fix: str) -> None:
        """Record that ``option`` got ``value``, and say how to fix it."""
        self._problems.append(f"{option}={value!r}: {fix}")

    def check_range(self, option: str, value: float | None, low: float, high: float, unit: str = "") -> None:
        """Record a problem unless ``low <= value <= high`` (None and tokens are skipped)."""
        if value is None or is_token(value):
            return
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            suffix = f" {unit}" if unit else ""
            self.add(option, value, f"must be a number between {low:g} and {high:g}{suffix}")

    def check_choice(self, option: str, value: Any, choices: Iterable[Any]) -> None:
        """Record a problem unless ``value`` is one of ``choices`` (tokens are skipped)."""
        allowed = list(choices)
        if is_token(value) or value in allowed:
            return
        self.add(option, value, f"must be one of {', '.join(map(str, allowed))}")

    def require_reason(
        self,
        *,
        option: str,
        value: Any,
        weakened: bool,
        reason_option: str,
        reason: str | None,
        what: str,
        weak_setting: str = "",
    ) -> None:
        """A weakened default needs a real reason; a reason without a weakening is a mistake.

        :param weak_setting: the setting the reason belongs to (e.g. "waf=False"), for the message.
        """
        if weakened and not has_reason(reason):
            self.add(
                option,
                value,
                f"{what}; pass {reason_option}='...' (at least {MIN_REASON_LENGTH} characters a security reviewer "
                "can check) to record why, or keep the secure default",
            )
        if not weakened and (reason or "").strip():
            setting = weak_setting or f"a weaker {option}"
            self.add(reason_option, reason, f"only applies with {setting}; remove it (nothing is weakened)")

    def raise_if_any(self) -> None:
        """Raise one ConfigurationError listing every recorded problem."""
        if self._problems:
            raise ConfigurationError(self._construct_path, self._problems)

    def __bool__(self) -> bool:
        return bool(self._problems)
