"""Log retention: the allowed values, the one-year floor, and the recorded reason to go below it."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_logs as logs
from constructs import IConstruct

from ._acknowledge import acknowledge
from ._validation import Problems

#: Retention below this needs a reason, recorded as the acknowledgment ``SecureServerless-ShortLogRetention``.
MINIMUM_LOG_RETENTION = logs.RetentionDays.ONE_YEAR
SHORT_LOG_RETENTION_RULE = "SecureServerless-ShortLogRetention"

#: Days of each logs.RetentionDays member (jsii enums carry names, not numbers).
RETENTION_DAYS: dict[str, int] = {
    "ONE_DAY": 1, "THREE_DAYS": 3, "FIVE_DAYS": 5, "ONE_WEEK": 7, "TWO_WEEKS": 14, "ONE_MONTH": 30,
    "TWO_MONTHS": 60, "THREE_MONTHS": 90, "FOUR_MONTHS": 120, "FIVE_MONTHS": 150, "SIX_MONTHS": 180,
    "ONE_YEAR": 365, "THIRTEEN_MONTHS": 400, "EIGHTEEN_MONTHS": 545, "TWO_YEARS": 731,
    "THREE_YEARS": 1096, "FIVE_YEARS": 1827, "SIX_YEARS": 2192, "SEVEN_YEARS": 2557,
    "EIGHT_YEARS": 2922, "NINE_YEARS": 3288, "TEN_YEARS": 3653, "INFINITE": 9999,
}  # fmt: skip
_RETENTION_BY_DAYS = {RETENTION_DAYS[member.name]: member for member in logs.RetentionDays}


def is_shorter(retention: logs.RetentionDays) -> bool:
    """True when ``retention`` is below the one-year floor."""
    return RETENTION_DAYS[retention.name] < RETENTION_DAYS[MINIMUM_LOG_RETENTION.name]


def to_retention(problems: Problems, value: Any) -> logs.RetentionDays:
    """A ``logs.RetentionDays`` member from a member or its number of days; records a problem otherwise."""
    if isinstance(value, logs.RetentionDays):
        return value
    member = _RETENTION_BY_DAYS.get(value) if isinstance(value, int) and not isinstance(value, bool) else None
    if member is None:
        problems.add(
            "log_retention",
            value,
            "use a logs.RetentionDays member; CloudWatch Logs accepts only "
            f"{sorted(d for d in _RETENTION_BY_DAYS if d != 9999)} days, or INFINITE",
        )
        return MINIMUM_LOG_RETENTION
    return member


def checked_retention(problems: Problems, value: Any, reason: str | None) -> logs.RetentionDays:
    """Validate ``log_retention`` and the reason a retention below one year needs."""
    retention = to_retention(problems, value)
    problems.require_reason(
        option="log_retention",
        value=retention,
        weakened=is_shorter(retention),
        reason_option="short_log_retention_reason",
        reason=reason,
        what=f"is shorter than {RETENTION_DAYS[MINIMUM_LOG_RETENTION.name]} days",
    )
    return retention


def retention_from_days(days: int) -> logs.RetentionDays:
    """The ``logs.RetentionDays`` member for ``days``; raises ConfigurationError naming the allowed values.

    Only the value is checked here: the construct that uses it asks for a reason when it is short.
    """
    problems = Problems("log retention")
    member = to_retention(problems, days)
    problems.raise_if_any()
    return member


def record_short_retention(log_group: IConstruct, retention: logs.RetentionDays, reason: str | None) -> None:
    """Record the caller's reason on a log group kept for less than a year."""
    if is_shorter(retention):
        acknowledge(log_group, SHORT_LOG_RETENTION_RULE, reason or "")
