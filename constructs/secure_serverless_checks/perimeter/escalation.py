"""Control-plane reach through a function's role (P17): privilege escalation, and the function's own
role, trust and code.

Every grant of the role (its identity policies and every resource policy naming it, its own role
included as a target) is read for control-plane actions (``control_plane``): written exactly, as
a pattern (``iam:Put*``, ``iam:*``, ``*``) or as a ``NotAction``. Each is a violation unless the
function declares that exact action on that exact resource under ``control_plane``; on its own
role (a policy attached to it, its trust), its own function, or a wildcard that covers them, it is
a violation whatever is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import rules
from .control_plane import (
    CODE_SERVICES,
    ESCALATION_METHODS,
    ROLE_SERVICES,
    ControlPlaneEntry,
    control_plane_actions,
    held_method_actions,
    methods_with,
)
from .declared import Perimeter
from .policies import Grant, PolicyIndex, RoleKey
from .rules import Rule
from .targets import Target

FunctionKey = tuple[str, str]
#: (rule, resource display, actions, message)
Finding = tuple[Rule, str, list[str], str]

_FIX = (
    "remove the action; if the function must manage other resources, declare exact actions on exact resources "
    "with SecureFunction.declare_control_plane_reach(actions=..., resources=..., reason=...) "
    "(its own role, trust and code can never be declared)"
)


@dataclass
class _Pending:
    actions: list[str]
    sources: list[str]
    own: str


def control_plane_findings(
    function: FunctionKey,
    role: RoleKey,
    perimeter: Perimeter,
    grants: Iterable[Grant],
    policies: PolicyIndex,
    display: Callable[[str, Target], str],
) -> list[Finding]:
    """P17 violations of one function: every control-plane action its role may take, by resource."""
    template = function[0]
    grants = list(grants)
    pending: dict[str, _Pending] = {}
    for grant in grants:
        actions = control_plane_actions(grant.actions, not_action=grant.not_action)
        if not actions:
            continue
        target = grant.target
        own = _own(target, function, role, policies, actions)
        where = display(template, target)
        for action in actions:
            if not own and declared_entry(perimeter, action, grant, template) is not None:
                continue
            entry = pending.setdefault(where, _Pending([], [], own))
            if action not in entry.actions:
                entry.actions.append(action)
            if grant.source not in entry.sources:
                entry.sources.append(grant.source)
            entry.own = entry.own or own
    findings: list[Finding] = []
    held = _held_actions(grants) if pending else set()
    for where, entry in sorted(pending.items()):
        methods = sorted({name for action in entry.actions for name in methods_with(action)})
        complete = [name for name in methods if set(ESCALATION_METHODS[name]) <= held]
        shown = entry.actions if len(entry.actions) <= 12 else [*entry.actions[:12], f"... {len(entry.actions)} in all"]
        parts = [f"role {role[1]} may take control-plane actions on {where} (from {'; '.join(entry.sources)})"]
        if entry.own:
            parts.append(f"{entry.own}: never allowed, even declared")
        if complete:
            parts.append(f"a published privilege-escalation method: {', '.join(complete[:6])}")
        elif methods:
            parts.append(f"part of the published privilege-escalation methods {', '.join(methods[:6])}")
        parts.append(_FIX)
        findings.append((rules.CONTROL_PLANE, where, shown, "; ".join(parts)))
    return findings


def _held_actions(grants: Iterable[Grant]) -> set[str]:
    """Every action of the published methods (lower case) the role may take on some resource."""
    held: set[str] = set()
    for grant in grants:
        held |= held_method_actions(grant.actions, not_action=grant.not_action)
    return held


def _own(target: Target, function: FunctionKey, role: RoleKey, policies: PolicyIndex, actions: list[str]) -> str:
    """Why ``target`` is the function's own role, trust or code ("" when it is not)."""
    services = {action.split(":", 1)[0].lower() for action in actions}
    template = function[0]
    if target.status == "resource" and target.logical_id is not None:
        owner = target.template or template
        if (owner, target.logical_id) == role:
            return f"{target.text} is the function's own role (its policies and its trust)"
        if (owner, target.logical_id) == function:
            return f"{target.text} is the function itself (its code and configuration)"
        if policies.is_attached(role, owner, target.logical_id):
            return f"{target.text} is a managed policy attached to the function's own role"
        return ""
    if target.status == "wildcard":
        text = target.text.lower()
        everything = text == "*" or text.startswith("* except")
        if services & ROLE_SERVICES and (everything or ":iam:" in text or ":sts:" in text):
            return f"{target.text} includes the function's own role"
        if services & CODE_SERVICES and (everything or ":lambda:" in text):
            return f"{target.text} includes the function itself"
        if everything:
            return f"{target.text} includes the function's own role and code"
    return ""


def declared_entry(perimeter: Perimeter, action: str, grant: Grant, template: str) -> ControlPlaneEntry | None:
    """The ``control_plane`` entry declaring exactly this action on exactly this grant's resource."""
    target = grant.target
    if not perimeter.control_plane or grant.not_action or "*" in action or "?" in action:
        return None
    if target.status == "resource" and target.logical_id is not None and not target.suffix:
        if (target.template or template) != template:
            return None
        return perimeter.control_plane_for(action, target.logical_id)
    if target.status == "external":
        return perimeter.control_plane_for(action, target.text)
    return None
