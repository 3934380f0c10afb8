"""Judge the actions of one grant in one pass: the common action costs a few lookups, not a verdict.

Most actions of a compliant role are judged by their resource alone (``_Analysis._judge``'s "common
case": an exact action, within the declared access level, on a named resource or a wildcard that
is not excused). For those, the verdict adds nothing the grant's resource verdict does not already
say, so it is applied to the row, the pending findings and the data reach here, in the same order
and with the same values as ``_Analysis._judge`` and ``_Analysis._record_data_reach`` would; every
other action (a pattern, ``NotAction``, beyond the access level, a declared control-plane reach, a
resource-less action on a wildcard, a bucket listing) goes through them unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from secure_serverless_checks.access_levels import is_configuration_action, is_resource_less

if TYPE_CHECKING:
    from .analyzer import FunctionKey, _Analysis, _DataReach, _GrantJudgement, _RowBuilder
    from .declared import Perimeter
    from .rules import Rule

#: Matrix label of an excused wildcard (``analyzer.RECORDED_WILDCARD``): such a verdict is no data reach.
_RECORDED_WILDCARD = "recorded wildcard"


@lru_cache(maxsize=4096)  # the same few dozen actions recur in every function of an assembly
def action_traits(action: str) -> tuple[str, bool, bool, bool]:
    """(lower case, is a pattern, has no resource-level permissions, is a configuration action)."""
    return action.lower(), "*" in action or "?" in action, is_resource_less(action), is_configuration_action(action)


@lru_cache(maxsize=1024)  # every function's declaration allows the same few sets of actions
def lowered_names(allowed: frozenset[str]) -> frozenset[str]:
    """The allowed actions in lower case (IAM compares action names without regard to case)."""
    return frozenset(name.lower() for name in allowed)


def judge_actions(
    analysis: _Analysis,
    key: FunctionKey,
    perimeter: Perimeter,
    judged: _GrantJudgement,
    actions: list[str],
    row: _RowBuilder,
    display: str,
    pending: dict[tuple[Rule, str, str], list[str]],
) -> None:
    """Judge every action of ``judged.grant``; add each verdict to ``row``, ``pending`` and the data reach."""
    grant = judged.grant
    target = grant.target
    # Where the common case cannot apply to any action of the grant (see ``_Analysis._judge``).
    never_plain = bool(perimeter.control_plane) or grant.not_action
    wildcard_target = target.status == "wildcard"
    # ``_record_data_reach`` for a named resource: the data resource is the grant's (None: no data reach).
    named = target.status == "resource" and target.logical_id is not None
    whole_resource = not target.suffix
    # The resource verdict of every action but ``s3:ListBucket`` (``resource_verdict`` keeps the first one made).
    others: tuple[tuple[tuple[Rule, str], ...], frozenset[str] | None, frozenset[str], str] | None = None
    reach: _DataReach | None = None  # the grant's reach of its data resource, once recorded
    for action in actions:
        lowered, pattern, resource_less, configuration = action_traits(action)
        if not (never_plain or pattern or (wildcard_target and resource_less)):
            if lowered == "s3:listbucket":
                findings, allowed, allowed_lowered, access = judged.resource_verdict(action, lowered)
            else:
                if others is None:
                    others = judged.resource_verdict(action, lowered)
                findings, allowed, allowed_lowered, access = others
            if allowed is None or lowered in allowed_lowered:
                # The common case: ``_Verdict(access, findings)`` with no reason, added as ``row.add`` would.
                if access and access not in row.access:
                    row.access.append(access)
                if action and action not in row.actions:
                    row.actions.append(action)
                for rule, message in findings:
                    found = pending.setdefault((rule, display, message), [])
                    if action not in found:
                        found.append(action)
                if access == _RECORDED_WILDCARD:
                    continue
                if named and not configuration and (lowered != "s3:listbucket" or not whole_resource):
                    if reach is not None:
                        reach.actions.add(action)  # what ``reach_objects`` does once the grant's reach is recorded
                        continue
                    owned = judged.data_resource()
                    if owned is not None:
                        reach = judged.reach_objects(owned, action)
                elif named or wildcard_target:
                    analysis._record_data_reach(key, judged, action)
                continue
        verdict = analysis._judge(key[0], perimeter, action, grant, judged)
        row.add(verdict, action)
        for rule, message in verdict.findings:
            found = pending.setdefault((rule, display, message), [])
            if action not in found:
                found.append(action)
        if verdict.access != _RECORDED_WILDCARD:
            analysis._record_data_reach(key, judged, action)
