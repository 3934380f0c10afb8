"""Acknowledge one cdk-nag finding next to its resource, with a recorded reason.

The lowest layer of the compliance helpers: constructs import it (``from .compliance import
acknowledge`` re-exports it) without importing the registration of the checks.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

import aws_cdk as cdk
from constructs import IConstruct

from secure_serverless_checks._acknowledgment_record import format_reason

from ._validation import MIN_REASON_LENGTH, has_reason

_RULE_ID = re.compile(r"^(?P<pack>[A-Za-z0-9.]+)-[A-Za-z0-9]+(\[.+\])?$")


def _qualified(rule_id: str) -> str:
    """``AwsSolutions-IAM5[Resource::*]`` -> ``AwsSolutions::AwsSolutions-IAM5[Resource::*]``.

    Only the qualified form is recorded in the assembly as an acknowledgment with its reason.
    """
    if "::" in rule_id.split("[", 1)[0]:
        return rule_id
    match = _RULE_ID.match(rule_id)
    if match is None:
        raise ValueError(f"rule_id={rule_id!r}: not a cdk-nag rule id; expected e.g. 'AwsSolutions-IAM5[Resource::*]'")
    return f"{match['pack']}::{rule_id}"


def acknowledge(
    scope: IConstruct,
    rule_id: str,
    reason: str,
    *,
    owner: str | None = None,
    review_by: datetime.date | str | None = None,
) -> None:
    """Acknowledge one cdk-nag finding on ``scope`` (and its children), recording ``reason``.

    Granular findings (``AwsSolutions-IAM5[...]``) must be acknowledged one by one with their
    whole id. The reason must say why the finding is acceptable, in words a reviewer can check.

    :param owner: who to ask about this acknowledgment (a team or a person). Default: none recorded.
    :param review_by: the date (``datetime.date`` or ``"YYYY-MM-DD"``) by which it must be reviewed;
        after it, ``python -m secure_serverless_checks.acknowledgments`` fails. Default: no review date.
        Both are appended to the recorded reason as ``[owner: ...; review-by: ...]``, so they go
        wherever the reason goes (validation report, SARIF, summary).
    """
    if not has_reason(reason):
        raise ValueError(
            f"reason={reason!r} for {rule_id}: give a real reason (at least {MIN_REASON_LENGTH} characters) "
            "that a security reviewer can check"
        )
    recorded = format_reason(reason, owner=owner, review_by=review_by)
    _validations(scope).acknowledge(cdk.Acknowledgment(id=_qualified(rule_id), reason=recorded))


def _validations(scope: IConstruct) -> cdk.Validations:
    """``cdk.Validations.of(scope)``, asked once per Python object (several acknowledgments share it)."""
    known = vars(scope).get("_secure_serverless_validations")
    if known is None:
        known = cdk.Validations.of(scope)
        vars(scope)["_secure_serverless_validations"] = known
    return known


def acknowledge_all(
    scope: IConstruct,
    rule_ids: Iterable[str],
    reason: str,
    *,
    owner: str | None = None,
    review_by: datetime.date | str | None = None,
) -> None:
    """Acknowledge several findings on ``scope`` with one reason (and one owner and review date)."""
    for rule_id in rule_ids:
        acknowledge(scope, rule_id, reason, owner=owner, review_by=review_by)


def iam5_action(action: str) -> str:
    """Granular id of an IAM5 finding about a wildcard action."""
    return f"AwsSolutions-IAM5[Action::{action}]"


def iam5_resource(resource: str) -> str:
    """Granular id of an IAM5 finding about a wildcard resource (use ``<Logical.Arn>`` forms)."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"
