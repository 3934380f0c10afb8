"""Owner and review-by date of a cdk-nag acknowledgment, carried in its reason text.

cdk-nag 3 records one string per acknowledgment: ``aws:cdk:acknowledged-rules`` in the assembly's
metadata and ``reason`` in ``validation-report.json``. The kit appends owner and date to that
string in one fixed, parseable form rather than recording them as separate construct metadata:
they then travel everywhere the reason goes (the validation report, SARIF suppressions, the
summary, docs/acknowledgments.md) and cannot drift from a second record, and an acknowledgment
written with plain ``Validations.of(c).acknowledge(...)`` can carry them too::

    <reason> [owner: payments-team; review-by: 2027-06-30]

Either field may be left out. Pure Python: read by the CDK-free acknowledgment check.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_SUFFIX = re.compile(r"\s*\[(?P<fields>(?:owner|review-by):[^\[\]]*)\]\s*$")
_FIELD = re.compile(r"^(?P<key>owner|review-by):\s*(?P<value>.*?)\s*$")
OWNER_FORBIDDEN = "[];"


@dataclass(frozen=True)
class RecordedReason:
    """A recorded acknowledgment reason split into the reason proper, owner and review-by date."""

    text: str
    owner: str | None = None
    review_by: datetime.date | None = None
    #: Problems with the suffix itself (an unknown field, a date that is not YYYY-MM-DD).
    problems: tuple[str, ...] = ()


def review_date(value: datetime.date | str) -> datetime.date:
    """``value`` as a date; ValueError naming the value and the expected form otherwise."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _not_a_date(value)
    except ValueError:
        return _not_a_date(value)


def _not_a_date(value: object) -> datetime.date:
    raise ValueError(f"review_by={value!r}: not a date; give an ISO date such as '2027-06-30' or a datetime.date")


def check_owner(owner: str) -> str:
    """``owner`` stripped; ValueError when empty or holding a character of the suffix syntax."""
    cleaned = owner.strip()
    if not cleaned or any(character in cleaned for character in OWNER_FORBIDDEN):
        raise ValueError(
            f"owner={owner!r}: give a team or person to ask about this acknowledgment, without '[', ']' or ';'"
        )
    return cleaned


def format_reason(reason: str, *, owner: str | None = None, review_by: datetime.date | str | None = None) -> str:
    """The reason as recorded: ``reason`` plus the owner / review-by suffix when either is given."""
    fields = []
    if owner is not None:
        fields.append(f"owner: {check_owner(owner)}")
    if review_by is not None:
        fields.append(f"review-by: {review_date(review_by).isoformat()}")
    text = reason.strip()
    return f"{text} [{'; '.join(fields)}]" if fields else text


def parse_reason(recorded: str) -> RecordedReason:
    """Split a recorded reason into the reason proper, owner and review-by date."""
    match = _SUFFIX.search(recorded)
    if match is None:
        return RecordedReason(recorded.strip())
    owner: str | None = None
    review_by: datetime.date | None = None
    problems = []
    for part in match["fields"].split(";"):
        field = _FIELD.match(part.strip())
        if field is None or not field["value"]:
            problems.append(
                f"unreadable field {part.strip()!r} in '[...]'; write '[owner: NAME; review-by: YYYY-MM-DD]'"
            )
        elif field["key"] == "owner":
            owner = field["value"]
        else:
            try:
                review_by = review_date(field["value"])
            except ValueError as error:
                problems.append(str(error))
    return RecordedReason(recorded[: match.start()].strip(), owner, review_by, tuple(problems))
