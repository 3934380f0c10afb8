"""What a change does to who can touch what: the perimeter diff of two analyzed versions.

A reviewer of a pull request should not have to read a 4,500-line template diff to learn that a
function can now write to another service's table. ``diff_reports(old, new)`` compares the
analyzer's matrices (function x resource -> actions) of the base and the head of a change and
lists, per function, the reach added and removed; new and removed functions; role changes;
wildcards; and resources that became (or stopped being) shared between functions.

Reach *widened* when a function can do anything it could not before: a new resource, a new
action on a known resource, a condition dropped from a grant, or a new function that reaches
something. Widening is reported even when the new reach is declared (intended): the declared
access level is shown next to it, so the reviewer sees both what changed and whether the code
says it meant it. Built on the public API only (``Report.matrix``, ``Report.violations``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .report import FunctionPerimeter, ReachRow, Report, Violation

RowChange = Literal["added", "removed", "changed"]
FunctionStatus = Literal["added", "removed", "changed"]


def is_wildcard(resource: str, actions: Iterable[str] = ()) -> bool:
    """True for a wildcard resource (``*``, ``.../index/*``, ``bucket/*``) or a wildcard action."""
    return "*" in resource or any("*" in action for action in actions)


@dataclass(frozen=True)
class ReachChange:
    """One resource whose reach by one function differs between the two versions."""

    resource: str
    kind: str
    change: RowChange
    access: str
    old_access: str | None
    added_actions: tuple[str, ...]
    removed_actions: tuple[str, ...]
    added_conditions: tuple[str, ...]
    removed_conditions: tuple[str, ...]
    wildcard: bool

    @property
    def widened(self) -> bool:
        # A dropped condition widens a grant: the same actions now apply in more cases.
        return bool(self.added_actions or (self.removed_conditions and self.change != "removed"))

    @property
    def narrowed(self) -> bool:
        return bool(self.removed_actions or (self.added_conditions and self.change != "added"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "kind": self.kind,
            "change": self.change,
            "access": self.access,
            "old_access": self.old_access,
            "added_actions": list(self.added_actions),
            "removed_actions": list(self.removed_actions),
            "added_conditions": list(self.added_conditions),
            "removed_conditions": list(self.removed_conditions),
            "wildcard": self.wildcard,
            "widened": self.widened,
        }


@dataclass(frozen=True)
class FunctionChange:
    """A function that is new, gone, or whose role or reach changed."""

    template: str
    function: str
    status: FunctionStatus
    old_role: str | None
    new_role: str | None
    declared: bool
    reach: tuple[ReachChange, ...]

    @property
    def name(self) -> str:
        return f"{self.template}/{self.function}"

    @property
    def widened(self) -> bool:
        return any(change.widened for change in self.reach)

    @property
    def role_changed(self) -> bool:
        return self.status == "changed" and self.old_role != self.new_role

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "function": self.function,
            "status": self.status,
            "old_role": self.old_role,
            "new_role": self.new_role,
            "declared": self.declared,
            "widened": self.widened,
            "reach": [change.to_dict() for change in self.reach],
        }


@dataclass(frozen=True)
class SharingChange:
    """A resource reached by several functions in one version and not (or by others) in the other."""

    template: str
    resource: str
    old_functions: tuple[str, ...]
    new_functions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "resource": self.resource,
            "old_functions": list(self.old_functions),
            "new_functions": list(self.new_functions),
        }


@dataclass(frozen=True)
class PerimeterDiff:
    """Everything that changed between two reports; ``widened`` decides the exit status."""

    old_templates: tuple[str, ...]
    new_templates: tuple[str, ...]
    functions: tuple[FunctionChange, ...]
    unchanged: int
    sharing: tuple[SharingChange, ...]
    new_violations: tuple[Violation, ...]
    resolved_violations: tuple[Violation, ...]

    @property
    def widened(self) -> bool:
        return any(function.widened for function in self.functions)

    @property
    def changed(self) -> bool:
        return bool(self.functions or self.sharing or self.new_violations or self.resolved_violations)

    def summary(self) -> str:
        if not self.changed:
            return f"Perimeters unchanged ({self.unchanged} function{_s(self.unchanged)})."
        widened = sum(function.widened for function in self.functions)
        counts = _count_statuses(self.functions)
        verdict = "WIDENED" if self.widened else "not widened"
        return (
            f"Reach {verdict}: {widened} function{_s(widened)} can do more than before; "
            f"{counts['changed']} changed, {counts['added']} added, {counts['removed']} removed, "
            f"{self.unchanged} unchanged."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "widened": self.widened,
            "summary": self.summary(),
            "old_templates": list(self.old_templates),
            "new_templates": list(self.new_templates),
            "functions": [function.to_dict() for function in self.functions],
            "unchanged_functions": self.unchanged,
            "sharing": [change.to_dict() for change in self.sharing],
            "new_violations": [violation.to_dict() for violation in self.new_violations],
            "resolved_violations": [violation.to_dict() for violation in self.resolved_violations],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_text(self) -> str:
        lines = [self.summary(), ""]
        for function in self.functions:
            lines.append(f"{_STATUS_MARK[function.status]} {function.name} ({_function_note(function)})")
            lines.extend(f"    {_text_row(change)}" for change in function.reach)
            if not function.reach:
                lines.append("    (reaches nothing)")
            lines.append("")
        if self.sharing:
            lines.append("Shared resources:")
            lines.extend(f"  {_sharing_line(change)}" for change in self.sharing)
            lines.append("")
        for title, violations in (
            ("New perimeter violations", self.new_violations),
            ("Resolved perimeter violations", self.resolved_violations),
        ):
            if violations:
                lines.append(f"{title} ({len(violations)}):")
                lines.extend(f"  {violation.to_line()}" for violation in violations)
                lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"

    def to_markdown(self) -> str:
        icon = ":warning:" if self.widened else ":white_check_mark:"
        lines = [f"### {icon} Perimeter diff", "", f"**{self.summary()}**", ""]
        if self.widened:
            lines += [
                "A function can now reach more than before. Check that each `+` row below is intended; "
                "the *access* column says what the code declares for it (`undeclared` means it does not).",
                "",
            ]
        for function in self.functions:
            lines += [f"#### {_STATUS_MARK[function.status]} `{function.name}`", "", _function_note(function), ""]
            if function.reach:
                lines += ["| | Resource | Kind | Access | Actions |", "| --- | --- | --- | --- | --- |"]
                lines += [_markdown_row(change) for change in function.reach]
                lines.append("")
        if self.sharing:
            lines += ["#### Shared resources", ""]
            lines += [f"- {_md(_sharing_line(change))}" for change in self.sharing]
            lines.append("")
        for title, violations in (
            ("New perimeter violations", self.new_violations),
            ("Resolved perimeter violations", self.resolved_violations),
        ):
            if violations:
                lines += [f"#### {title}", ""]
                lines += [f"- {_md(violation.to_line())}" for violation in violations]
                lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"


def diff_reports(old: Report, new: Report) -> PerimeterDiff:
    """Compare the analyzer's reports of the base (``old``) and the head (``new``) of a change."""
    rename = _template_renames(old.templates, new.templates)
    old_functions = {(rename.get(f.template, f.template), f.function): f for f in old.matrix}
    new_functions = {(f.template, f.function): f for f in new.matrix}
    changes: list[FunctionChange] = []
    unchanged = 0
    for key in sorted(old_functions.keys() | new_functions.keys()):
        change = _function_change(key, old_functions.get(key), new_functions.get(key))
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    old_violations = {_violation_key(v, rename): v for v in old.violations}
    new_violations = {_violation_key(v, {}): v for v in new.violations}
    return PerimeterDiff(
        old_templates=old.templates,
        new_templates=new.templates,
        functions=tuple(changes),
        unchanged=unchanged,
        sharing=_sharing_changes(old_functions, new_functions),
        new_violations=tuple(new_violations[k] for k in sorted(new_violations.keys() - old_violations.keys())),
        resolved_violations=tuple(old_violations[k] for k in sorted(old_violations.keys() - new_violations.keys())),
    )


def _template_renames(old: tuple[str, ...], new: tuple[str, ...]) -> dict[str, str]:
    """Two single templates are the same stack whatever their file names (``a.json`` vs ``b.json``)."""
    if len(old) == 1 and len(new) == 1 and old != new:
        return {old[0]: new[0]}
    return {}


def _function_change(
    key: tuple[str, str], old: FunctionPerimeter | None, new: FunctionPerimeter | None
) -> FunctionChange | None:
    template, function = key
    old_rows = {row.resource: row for row in old.reach} if old else {}
    new_rows = {row.resource: row for row in new.reach} if new else {}
    reach = tuple(
        change
        for resource in sorted(old_rows.keys() | new_rows.keys())
        if (change := _row_change(old_rows.get(resource), new_rows.get(resource))) is not None
    )
    if new is None:
        assert old is not None  # the key came from one of the two sides
        return FunctionChange(template, function, "removed", old.role, None, old.declared, reach)
    if old is None:
        return FunctionChange(template, function, "added", None, new.role, new.declared, reach)
    if not reach and old.role == new.role and old.declared == new.declared:
        return None
    return FunctionChange(template, function, "changed", old.role, new.role, new.declared, reach)


def _row_change(old: ReachRow | None, new: ReachRow | None) -> ReachChange | None:
    current = new or old
    assert current is not None  # the resource came from one of the two sides
    if old is not None and new is not None and _same_row(old, new):
        return None
    old_actions, new_actions = set(old.actions if old else ()), set(new.actions if new else ())
    old_conditions, new_conditions = set(old.conditions if old else ()), set(new.conditions if new else ())
    change: RowChange = "added" if old is None else "removed" if new is None else "changed"
    return ReachChange(
        resource=current.resource,
        kind=current.kind,
        change=change,
        access=current.access,
        old_access=old.access if old else None,
        added_actions=tuple(sorted(new_actions - old_actions)),
        removed_actions=tuple(sorted(old_actions - new_actions)),
        # A new row's conditions are not "added" to anything: they are part of the new grant.
        added_conditions=tuple(sorted(new_conditions - old_conditions)) if old else (),
        removed_conditions=tuple(sorted(old_conditions - new_conditions)) if new else (),
        wildcard=is_wildcard(current.resource, current.actions),
    )


def _same_row(old: ReachRow, new: ReachRow) -> bool:
    """Same actions, conditions, kind and access label (sources and reasons may differ)."""
    return (set(old.actions), set(old.conditions), old.kind, old.access) == (
        set(new.actions),
        set(new.conditions),
        new.kind,
        new.access,
    )


def _sharing_changes(
    old: Mapping[tuple[str, str], FunctionPerimeter], new: Mapping[tuple[str, str], FunctionPerimeter]
) -> tuple[SharingChange, ...]:
    old_sharing, new_sharing = _shared_resources(old), _shared_resources(new)
    changes = []
    for key in sorted(old_sharing.keys() | new_sharing.keys()):
        before, after = old_sharing.get(key, ()), new_sharing.get(key, ())
        if before != after and (len(before) > 1 or len(after) > 1):
            changes.append(SharingChange(key[0], key[1], before, after))
    return tuple(changes)


def _shared_resources(functions: Mapping[tuple[str, str], FunctionPerimeter]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(template, resource) -> the functions reaching it, for resources other than ``*``."""
    reached: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (template, function), perimeter in functions.items():
        for row in perimeter.reach:
            if row.resource != "*":
                reached[(template, row.resource)].add(function)
    return {key: tuple(sorted(names)) for key, names in reached.items()}


def _violation_key(violation: Violation, rename: Mapping[str, str]) -> tuple[str, ...]:
    template = rename.get(violation.template, violation.template)
    return (template, violation.function, violation.code, violation.resource, *violation.actions)


def _count_statuses(functions: Iterable[FunctionChange]) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0}
    for function in functions:
        counts[function.status] += 1
    return counts


_STATUS_MARK = {"added": "+", "removed": "-", "changed": "~"}
_ROW_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _function_note(function: FunctionChange) -> str:
    declared = "perimeter declared" if function.declared else "NO perimeter declared"
    if function.status == "added":
        return f"new function, role {function.new_role or 'not in template'}, {declared}"
    if function.status == "removed":
        return f"function removed (was role {function.old_role or 'not in template'})"
    if function.role_changed:
        return f"role changed: {function.old_role or 'not in template'} -> {function.new_role or 'not in template'}"
    return f"role {function.new_role or 'not in template'}, {declared}"


def _access_text(change: ReachChange) -> str:
    if change.old_access is not None and change.old_access != change.access and change.change == "changed":
        return f"{change.old_access} -> {change.access}"
    return change.access


def _action_text(change: ReachChange) -> str:
    parts = [f"+{action}" for action in change.added_actions]
    parts += [f"-{action}" for action in change.removed_actions]
    parts += [f"condition dropped: {condition}" for condition in change.removed_conditions]
    parts += [f"condition added: {condition}" for condition in change.added_conditions]
    return ", ".join(parts) or "(same actions)"


def _text_row(change: ReachChange) -> str:
    wildcard = "  [wildcard]" if change.wildcard else ""
    return (
        f"{_ROW_MARK[change.change]} {change.resource}  {change.kind}  access {_access_text(change)}: "
        f"{_action_text(change)}{wildcard}"
    )


def _markdown_row(change: ReachChange) -> str:
    mark = "**+**" if change.widened else _ROW_MARK[change.change]
    wildcard = " (wildcard)" if change.wildcard else ""
    actions = _md(_action_text(change)).replace(", ", "<br>")
    return f"| {mark} | `{_md(change.resource)}`{wildcard} | {_md(change.kind)} | {_md(_access_text(change))} | {actions} |"


def _sharing_line(change: SharingChange) -> str:
    before = ", ".join(change.old_functions) or "no function"
    after = ", ".join(change.new_functions) or "no function"
    if len(change.new_functions) > 1 and len(change.old_functions) <= 1:
        state = "now shared"
    elif len(change.old_functions) > 1 and len(change.new_functions) <= 1:
        state = "no longer shared"
    else:
        state = "shared by other functions"
    return f"{change.template}/{change.resource}: {state}: reached by {after} (before: {before})"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _s(count: int) -> str:
    return "" if count == 1 else "s"
