"""Compare what each function's role can reach with the perimeter the function declares.

Every Allow grant is split into (action, resource) pairs and each pair is judged on two axes:
the resource (declared? the right index, the right prefix, not a wildcard?) and the action (one
of the exact actions of the declared access level, not a wildcard?). Then two cross-function
checks run: a role used by two functions, and a data resource reached by two functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secure_serverless.access_levels import (
    DYNAMODB_TABLE,
    KMS_KEY,
    LOG_GROUP,
    PERIMETER_METADATA_KEY,
    RESOURCE_TYPES,
    S3_PREFIX,
    SNS_TOPIC,
    SQS_QUEUE,
)

from . import rules
from .declared import EMPTY, Perimeter, ReachEntry, read_perimeter
from .intrinsics import Resolver
from .policies import Grant, PolicyIndex
from .report import FunctionPerimeter, ReachRow, Report, Violation
from .rules import Rule
from .targets import STREAM_SUFFIX, Target, is_pattern
from .template import LAMBDA_FUNCTION, TemplateIndex

#: Resources holding data: reaching one from two functions breaks their isolation.
DATA_TYPES = frozenset(RESOURCE_TYPES[kind] for kind in (DYNAMODB_TABLE, S3_PREFIX, SQS_QUEUE, SNS_TOPIC, KMS_KEY))
_KIND_OF_TYPE = {resource_type: kind for kind, resource_type in RESOURCE_TYPES.items()}

Finding = tuple[Rule, str]

#: Matrix label of a wildcard the metadata records under ``wildcards`` (the reason is in the row).
RECORDED_WILDCARD = "recorded wildcard"


def analyze(templates: Mapping[str, Mapping[str, Any]]) -> Report:
    """Analyze templates (``{name: template}``, as ``load_path`` returns) and report every function.

    Raises a ``PerimeterInputError`` subclass when a template cannot be analyzed (no
    ``Resources``, a dangling reference in a policy...).
    """
    matrix: list[FunctionPerimeter] = []
    violations: list[Violation] = []
    for name, template in templates.items():
        analysis = _TemplateAnalysis(TemplateIndex(name, template))
        matrix.extend(analysis.matrix)
        violations.extend(analysis.violations)
    violations.sort(key=lambda v: (v.template, v.function, v.rule.code, v.resource, v.message))
    return Report(tuple(templates), tuple(matrix), tuple(violations))


@dataclass
class _Verdict:
    """The judgement of one (action, resource) pair."""

    access: str
    findings: list[Finding]
    reason: str = ""


@dataclass
class _RowBuilder:
    kind: str
    access: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    conditions: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, verdict: _Verdict, action: str, grant: Grant) -> None:
        for values, value in (
            (self.access, verdict.access),
            (self.actions, action),
            (self.sources, grant.source),
            (self.reasons, verdict.reason),
        ):
            if value and value not in values:
                values.append(value)
        self.conditions.update(grant.conditions)

    def build(self, resource: str) -> ReachRow:
        return ReachRow(
            resource,
            self.kind,
            "; ".join(self.access),
            tuple(sorted(self.actions, key=str.lower)),
            tuple(sorted(self.conditions)),
            tuple(self.sources),
            tuple(self.reasons),
        )


@dataclass
class _DataReach:
    """How one function reaches one data resource: object key heads (S3) and actions."""

    heads: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)


class _TemplateAnalysis:
    def __init__(self, index: TemplateIndex) -> None:
        self.index = index
        self.policies = PolicyIndex(index, Resolver(index))
        self.matrix: list[FunctionPerimeter] = []
        self.violations: list[Violation] = []
        self._perimeters: dict[str, Perimeter] = {}
        self._data_reach: dict[str, dict[str, _DataReach]] = defaultdict(dict)
        functions_of_role: dict[str, list[str]] = defaultdict(list)
        for function in index.of_type(LAMBDA_FUNCTION):
            role = self._analyze_function(function)
            if role:
                functions_of_role[role].append(function)
        self._check_shared_roles(functions_of_role)
        self._check_shared_data()

    # -- one function -----------------------------------------------------------------------

    def _analyze_function(self, function: str) -> str | None:
        perimeter, problems = read_perimeter(self.index, function)
        declared = perimeter is not None
        if perimeter is None:
            self._report(
                function,
                rules.MISSING_PERIMETER,
                function,
                (),
                f"no {PERIMETER_METADATA_KEY} metadata: everything the function reaches is undeclared",
            )
            perimeter = EMPTY
        for problem in problems:
            self._report(function, rules.INVALID_PERIMETER, PERIMETER_METADATA_KEY, (), problem)
        self._perimeters[function] = perimeter

        role = self.policies.function_role(function)
        if role.logical_id is None:
            self._report(function, rules.ROLE_NOT_IN_TEMPLATE, role.expression, (), role.problem)
            self.matrix.append(FunctionPerimeter(self.index.name, function, None, declared, ()))
            return None
        if declared and perimeter.role is not None and perimeter.role != role.logical_id:
            self._report(
                function,
                rules.INVALID_PERIMETER,
                PERIMETER_METADATA_KEY,
                (),
                f"declares role {perimeter.role} but the function's Role is {role.logical_id}",
            )
        for finding in self.policies.findings[role.logical_id]:
            self._report(function, finding.rule, finding.resource, (), finding.message)

        reach = self._judge_grants(function, perimeter, self.policies.grants[role.logical_id])
        self.matrix.append(FunctionPerimeter(self.index.name, function, role.logical_id, declared, reach))
        return role.logical_id

    def _judge_grants(self, function: str, perimeter: Perimeter, grants: Iterable[Grant]) -> tuple[ReachRow, ...]:
        """Judge every (action, resource) pair of the role's grants; return the matrix rows."""
        rows: dict[str, _RowBuilder] = {}
        pending: dict[tuple[Rule, str, str], list[str]] = {}
        for grant in grants:
            for action in _actions(grant):
                verdict = self._judge(perimeter, action, grant.target, _is_wildcard_action(action, grant))
                row = rows.setdefault(grant.target.text, _RowBuilder(self._kind(grant.target)))
                row.add(verdict, action, grant)
                for rule, message in verdict.findings:
                    actions = pending.setdefault((rule, grant.target.text, message), [])
                    if action not in actions:
                        actions.append(action)
                self._record_data_reach(function, grant.target, action)
        for (rule, resource, message), actions in pending.items():
            self._report(function, rule, resource, sorted(actions, key=str.lower), message)
        return tuple(row.build(resource) for resource, row in sorted(rows.items()))

    # -- judging one (action, resource) pair ------------------------------------------------

    def _judge(self, perimeter: Perimeter, action: str, target: Target, wildcard_action: bool) -> _Verdict:
        findings, allowed, access = self._judge_resource(perimeter, target)
        if wildcard_action:
            findings.append(
                (
                    rules.WILDCARD_ACTION,
                    "wildcard action: write the exact actions, or record it under 'wildcards' with a reason",
                )
            )
        elif allowed is not None and action.lower() not in {name.lower() for name in allowed}:
            findings.append(
                (
                    rules.ACCESS_EXCEEDED,
                    f"beyond the declared access level '{access}' of {target.logical_id} "
                    f"(allowed: {', '.join(sorted(allowed))})",
                )
            )
        if wildcard_action or any(rule is rules.WILDCARD_RESOURCE for rule, _ in findings):
            exemption = perimeter.exemption(action, target.text)
            if exemption is not None:
                return _Verdict(RECORDED_WILDCARD, [], exemption.reason)
        return _Verdict(access, findings)

    def _judge_resource(self, perimeter: Perimeter, target: Target) -> tuple[list[Finding], frozenset[str] | None, str]:
        """Findings about the resource, the actions the declaration allows on it, and its label."""
        if target.status == "wildcard":
            return [(rules.WILDCARD_RESOURCE, _WILDCARD_RESOURCE_MESSAGE)], None, "wildcard"
        if target.status == "external":
            return (
                [(rules.UNDECLARED_REACH, "a resource outside the template, not in the declared perimeter")],
                None,
                "undeclared",
            )
        if target.status == "unresolved" or target.logical_id is None:
            return (
                [(rules.UNRESOLVED_RESOURCE, "cannot tell which resource this names; name it with Ref/Fn::GetAtt")],
                None,
                "unresolved",
            )
        entries = perimeter.entries_for(target.logical_id)
        if not entries:
            resource_type = self.index.type_of(target.logical_id)
            message = f"{target.logical_id} ({resource_type}) is not in the function's declared perimeter"
            return [(rules.UNDECLARED_REACH, message)], None, "undeclared"
        if entries[0].kind == S3_PREFIX:
            return _judge_object(entries, target)
        finding = _judge_sub_resource(entries, target)
        return ([finding] if finding else []), _allowed(entries), _access(entries)

    # -- cross-function checks ---------------------------------------------------------------

    def _record_data_reach(self, function: str, target: Target, action: str) -> None:
        if target.status != "resource" or target.logical_id is None:
            return
        if self.index.type_of(target.logical_id) not in DATA_TYPES:
            return
        reach = self._data_reach[target.logical_id].setdefault(function, _DataReach())
        reach.heads.add(_key_head(target.suffix))
        reach.actions.add(action)

    def _check_shared_roles(self, functions_of_role: Mapping[str, list[str]]) -> None:
        for role, functions in functions_of_role.items():
            for function in functions:
                others = [other for other in functions if other != function]
                if others:
                    message = (
                        f"role {role} is also the role of {', '.join(others)}: each function gets the other's "
                        "reach; give every function its own role"
                    )
                    self._report(function, rules.SHARED_ROLE, role, (), message)

    def _check_shared_data(self) -> None:
        for resource, reachers in sorted(self._data_reach.items()):
            is_bucket = self.index.type_of(resource) == RESOURCE_TYPES[S3_PREFIX]
            for function, reach in reachers.items():
                conflicts = [
                    other
                    for other, other_reach in reachers.items()
                    if other != function
                    and (not is_bucket or _heads_overlap(reach.heads, other_reach.heads))
                    and not (self._declares_shared(function, resource) and self._declares_shared(other, resource))
                ]
                if not conflicts:
                    continue
                where = f" (objects under {', '.join(repr(h) for h in sorted(reach.heads))})" if is_bucket else ""
                message = (
                    f"{resource}{where} is also reached by {', '.join(conflicts)}; a data resource belongs to one "
                    "function unless every function reaching it declares it 'shared: true'"
                )
                self._report(function, rules.SHARED_RESOURCE, resource, sorted(reach.actions, key=str.lower), message)

    def _declares_shared(self, function: str, resource: str) -> bool:
        return self._perimeters[function].declares_shared(resource)

    # -- helpers ------------------------------------------------------------------------------

    def _kind(self, target: Target) -> str:
        if target.status != "resource" or target.logical_id is None:
            return target.status
        resource_type = self.index.type_of(target.logical_id)
        return _KIND_OF_TYPE.get(resource_type, resource_type)

    def _report(self, function: str, rule: Rule, resource: str, actions: Iterable[str], message: str) -> None:
        self.violations.append(Violation(self.index.name, function, rule, resource, tuple(actions), message))


_WILDCARD_RESOURCE_MESSAGE = "wildcard resource: name the exact resources, or record it under 'wildcards' with a reason"


def _actions(grant: Grant) -> list[str]:
    if grant.not_action:
        return [f"* except {', '.join(grant.actions)}"]
    return list(grant.actions)


def _is_wildcard_action(action: str, grant: Grant) -> bool:
    return grant.not_action or is_pattern(action)


def _allowed(entries: Iterable[ReachEntry]) -> frozenset[str]:
    return frozenset(action for entry in entries for action in entry.actions)


def _access(entries: Iterable[ReachEntry]) -> str:
    return "/".join(sorted({entry.access for entry in entries}))


def _judge_sub_resource(entries: list[ReachEntry], target: Target) -> Finding | None:
    """Check the part after the resource's ARN: an index, a stream, a log stream."""
    suffix, kind, owner = target.suffix, entries[0].kind, target.logical_id
    if not suffix:
        return None
    if kind == DYNAMODB_TABLE and suffix.startswith("/index/"):
        name = suffix[len("/index/") :]
        if is_pattern(name):
            return (rules.WILDCARD_RESOURCE, f"every index of {owner}: declare and name each index instead")
        declared = sorted({index for entry in entries for index in entry.indexes})
        if name not in declared:
            return (
                rules.UNDECLARED_INDEX,
                f"index '{name}' of {owner} is not declared (declared indexes: {', '.join(declared) or 'none'})",
            )
        return None
    if kind == DYNAMODB_TABLE and suffix == STREAM_SUFFIX:
        return None  # the stream is the table's; its actions are judged against the access level
    if kind == LOG_GROUP and (suffix == ":*" or suffix.startswith(":log-stream:")):
        return None  # log streams of the function's own log group
    return (rules.UNRESOLVED_RESOURCE, f"unrecognized sub-resource '{suffix}' of {owner}")


def _judge_object(entries: list[ReachEntry], target: Target) -> tuple[list[Finding], frozenset[str] | None, str]:
    """Check an S3 bucket or object ARN against the declared prefixes of that bucket."""
    bucket, suffix = target.logical_id, target.suffix
    if not suffix:
        return [], _allowed(entries), _access(entries)
    if not suffix.startswith("/"):
        return [(rules.UNRESOLVED_RESOURCE, f"unrecognized sub-resource '{suffix}' of {bucket}")], None, "unresolved"
    key = suffix[1:]
    head = _key_head(suffix)
    inside = [entry for entry in entries if entry.prefix is not None and head.startswith(entry.prefix)]
    if inside:
        return [], _allowed(inside), _access(inside)
    prefixes = ", ".join(repr(entry.prefix) for entry in entries)
    broader = [entry for entry in entries if entry.prefix is not None and entry.prefix.startswith(head)]
    if is_pattern(key) and broader:
        message = f"{target.text} is broader than the declared prefix {prefixes} of {bucket}"
        return [(rules.WILDCARD_RESOURCE, message)], _allowed(broader), _access(broader)
    message = f"object ARN {target.text} is outside the declared prefix {prefixes} of {bucket}"
    return [(rules.OUTSIDE_PREFIX, message)], None, "outside prefix"


def _key_head(suffix: str) -> str:
    """The literal start of an object key pattern: ``/files/*`` -> ``files/``; "" for the bucket."""
    key = suffix[1:] if suffix.startswith("/") else ""
    for position, character in enumerate(key):
        if character in "*?":
            return key[:position]
    return key


def _heads_overlap(mine: set[str], theirs: set[str]) -> bool:
    return any(a.startswith(b) or b.startswith(a) for a in mine for b in theirs)
