"""Compare what each function's role can reach with the perimeter the function declares.

The whole assembly is read at once (exports and imports, nested stacks, resource policies of
every template). Every Allow grant is split into (action, resource) pairs and each pair is
judged on two axes: the resource (declared? the right index, the right prefix, not a wildcard?)
and the action (one of the exact actions of the declared access level, not a wildcard?). Then
the cross-function checks run: a role used by two functions or by other compute, and a data
resource reached by two functions (wildcard reach included).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from secure_serverless_checks import cfn_intrinsics
from secure_serverless_checks.access_levels import (
    LOG_GROUP,
    PERIMETER_METADATA_KEY,
    S3_PREFIX,
    is_configuration_action,
    is_resource_less,
    kind_of_type,
)

from . import rules
from ._action_batch import judge_actions, lowered_names
from ._gc import cyclic_gc_paused
from ._prefix_sharing import bucket_conflicts, shared_heads
from ._sharing import shared_conflicts
from .assembly import Assembly
from .credentials import assumed_role_grants, borrowed_grants, credential_findings
from .dataflow import data_flow_findings
from .declared import EMPTY, Perimeter, ReachEntry, read_perimeter
from .errors import PerimeterInputError, TemplateStructureError
from .escalation import control_plane_findings, declared_entry
from .opaque import opaque_findings
from .outside_iam import outside_iam_findings
from .policies import Grant, PolicyIndex, RoleFinding, RoleKey
from .report import FunctionPerimeter, ReachRow, Report, Violation
from .rules import Rule
from .targets import STREAM_SUFFIX, Target, is_pattern
from .template import LAMBDA_FUNCTION
from .trust import trust_findings

#: Kinds holding data: reaching one from two functions breaks their isolation.
DATA_KINDS = frozenset(
    {"dynamodb-table", "s3-prefix", "sqs-queue", "sns-topic", "kms-key", "log-group", "secret", "ssm-parameter"}
)

#: The service prefix of the actions that act on each data kind (for wildcard reach).
_SERVICE_OF_KIND = {
    "dynamodb-table": "dynamodb",
    "s3-prefix": "s3",
    "sqs-queue": "sqs",
    "sns-topic": "sns",
    "kms-key": "kms",
    "log-group": "logs",
    "secret": "secretsmanager",
    "ssm-parameter": "ssm",
}

Finding = tuple[Rule, str]
#: A resource of the assembly: (template name, logical id).
ResourceKey = tuple[str, str]

#: Matrix label of a wildcard the metadata records under ``wildcards`` (the reason is in the row).
RECORDED_WILDCARD = "recorded wildcard"
#: Matrix label of a control-plane reach the metadata declares under ``control_plane``.
CONTROL_PLANE_ACCESS = "control-plane"

KIT_GRANTS_HINT = (
    "kit functions get access only through the kit's grant methods (SecureTable.grant, "
    "SecureBucket.grant_prefix, EncryptionKey.grant, SecureFunction.grant_invoke; see docs/library-grants.md)"
)
_REACH_RULES = frozenset({"P07", "P08", "P09", "P10", "P11", "P12", "P13"})


def analyze(templates: Mapping[str, Mapping[str, Any]]) -> Report:
    """Analyze templates (``{name: template}``, as ``load_path`` returns) and report every function.

    Raises a ``PerimeterInputError`` subclass when the input cannot be analyzed (no
    ``Resources``, a dangling reference, nesting too deep...); never any other exception.
    """
    try:
        with cyclic_gc_paused():  # linear cost at scale (perimeter/_gc.py)
            return _Analysis(Assembly(templates)).report()
    except PerimeterInputError:
        raise
    except (RecursionError, cfn_intrinsics.IntrinsicError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise TemplateStructureError(f"cannot analyze the templates: {reason}") from None
    except Exception as error:
        raise TemplateStructureError(
            f"cannot analyze the templates: unexpected {type(error).__name__}: {error}"
        ) from None


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

    def add_grant(self, grant: Grant) -> None:
        """What a grant adds to the row whatever its actions (once per grant with an action)."""
        if grant.source and grant.source not in self.sources:
            self.sources.append(grant.source)
        self.conditions.update(grant.conditions)

    def add(self, verdict: _Verdict, action: str) -> None:
        access, reason = verdict.access, verdict.reason
        if access and access not in self.access:
            self.access.append(access)
        if action and action not in self.actions:
            self.actions.append(action)
        if reason and reason not in self.reasons:
            self.reasons.append(reason)

    def build(self, resource: str) -> ReachRow:
        return ReachRow(
            resource,
            self.kind,
            "; ".join(self.access),
            _sorted_actions(tuple(self.actions)),
            tuple(sorted(self.conditions)) if self.conditions else (),
            tuple(self.sources),
            tuple(self.reasons),
        )


@dataclass
class _DataReach:
    """How one function reaches one data resource: object key heads (S3) and actions."""

    heads: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)


FunctionKey = tuple[str, str]

_UNSET: Any = object()


class _GrantJudgement:
    """One grant of one function: what its resource alone decides, computed once for all its actions."""

    __slots__ = ("_analysis", "_by_listing", "_data", "_head", "_key", "_object_reach", "_perimeter", "_plain", "grant")

    def __init__(self, analysis: _Analysis, key: FunctionKey, perimeter: Perimeter, grant: Grant) -> None:
        self._analysis, self._key, self._perimeter, self.grant = analysis, key, perimeter, grant
        self._by_listing: dict[bool, tuple[tuple[Finding, ...], frozenset[str] | None, frozenset[str], str]] = {}
        self._data: ResourceKey | None = _UNSET
        self._head: str | None = None
        self._object_reach: _DataReach | None = None
        #: The verdict of an action that adds no finding of its own to the resource's, by listing.
        self._plain: dict[bool, _Verdict] = {}

    def resource_verdict(
        self, action: str, lowered: str
    ) -> tuple[tuple[Finding, ...], frozenset[str] | None, frozenset[str], str]:
        """``_judge_resource`` for this grant (it depends on the action only for ``s3:ListBucket``),
        with the allowed actions in lower case."""
        listing = lowered == "s3:listbucket"
        found = self._by_listing.get(listing)
        if found is None:
            findings, allowed, access = self._analysis._judge_resource(
                self._key[0], self._perimeter, self.grant.target, action, self.grant
            )
            allowed_lowered = lowered_names(allowed) if allowed is not None else frozenset()
            found = self._by_listing[listing] = (tuple(findings), allowed, allowed_lowered, access)
        return found

    def data_resource(self) -> ResourceKey | None:
        if self._data is _UNSET:
            self._data = self._analysis._data_resource(self._key, self.grant.target)
        return self._data

    def key_head(self) -> str:
        if self._head is None:
            self._head = _key_head(self.grant.target.suffix)
        return self._head

    def plain_verdict(self, listing: bool, findings: tuple[Finding, ...], access: str) -> _Verdict:
        """One shared verdict for every action judged by its resource alone (never mutated)."""
        verdict = self._plain.get(listing)
        if verdict is None:
            verdict = self._plain[listing] = _Verdict(access, list(findings))
        return verdict

    def reach_objects(self, owned: ResourceKey, action: str) -> _DataReach:
        """Record that ``action`` reaches the grant's key head of ``owned`` (one lookup per grant)."""
        if self._object_reach is None:
            self._object_reach = self._analysis._reach(owned, self._key, self.key_head(), action)
        else:
            self._object_reach.actions.add(action)
        return self._object_reach


class _Analysis:
    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self.policies = PolicyIndex(assembly.entries)
        self.matrix: list[FunctionPerimeter] = []
        self.violations: list[Violation] = []
        self.warnings: list[Violation] = []
        self._perimeters: dict[FunctionKey, Perimeter] = {}
        self._data_reach: dict[ResourceKey, dict[FunctionKey, _DataReach]] = defaultdict(dict)
        self._data_resources = self._collect_data_resources()
        functions_of_role: dict[RoleKey, list[FunctionKey]] = defaultdict(list)
        #: Access keys handed to each function, found once (``credentials``).
        self._borrowed = credential_findings(assembly)
        for name, index in assembly.indexes.items():
            for problem_resource, message in assembly.problems.get(name, []):
                self._report((name, problem_resource), rules.UNRESOLVED_RESOURCE, problem_resource, (), message)
            for resource, feature_rule, message in opaque_findings(assembly, name):
                self._report((name, resource), feature_rule, resource, (), message)
            for function in index.of_type(LAMBDA_FUNCTION):
                role = self._analyze_function((name, function))
                if role:
                    functions_of_role[role].append((name, function))
            # An access key found by ``credentials`` is reported once, with what it carries.
            borrowed = {(f, b.where) for (t, f), items in self._borrowed.items() if t == name for b in items}
            for rule, function, resource, message in outside_iam_findings(index):
                if rule is not rules.REACH_OUTSIDE_IAM or (function, resource) not in borrowed:
                    self._report((name, function), rule, resource, (), message)
            for function in index.of_type(LAMBDA_FUNCTION):
                for item in self._borrowed.get((name, function), []):
                    self._report((name, function), rules.REACH_OUTSIDE_IAM, item.where, (), item.message)
        self._check_shared_roles(functions_of_role)
        self._check_shared_data()
        for key, rule, resource, message in data_flow_findings(assembly, self.policies, self._perimeters):
            self._report(key, rule, resource, (), message)

    def report(self) -> Report:
        violations = sorted(self.violations, key=_order)
        warnings = sorted(self.warnings, key=_order)
        return Report(tuple(self.assembly.indexes), tuple(self.matrix), tuple(violations), tuple(warnings))

    # -- one function -----------------------------------------------------------------------

    def _analyze_function(self, key: FunctionKey) -> RoleKey | None:
        template, function = key
        index = self.assembly.indexes[template]
        perimeter, problems = read_perimeter(index, function)
        declared = perimeter is not None
        if perimeter is None:
            self._report(
                key,
                rules.MISSING_PERIMETER,
                function,
                (),
                f"no {PERIMETER_METADATA_KEY} metadata: everything the function reaches is undeclared",
            )
            perimeter = EMPTY
        for problem in problems:
            self._report(key, rules.INVALID_PERIMETER, PERIMETER_METADATA_KEY, (), problem)
        self._perimeters[key] = perimeter

        role = self.policies.function_role(template, function)
        if role.logical_id is None:
            self._report(key, rules.ROLE_NOT_IN_TEMPLATE, role.expression, (), role.problem)
            self.matrix.append(FunctionPerimeter(template, function, None, declared, ()))
            return None
        role_key = (role.template or template, role.logical_id)
        if declared and perimeter.role is not None and perimeter.role != role.logical_id:
            self._report(
                key,
                rules.INVALID_PERIMETER,
                PERIMETER_METADATA_KEY,
                (),
                f"declares role {perimeter.role} but the function's Role is {role.logical_id}",
            )
        for finding in self._role_findings(role_key):
            self._report(key, finding.rule, finding.resource, (), finding.message)
        all_grants = list(self.policies.grants[role_key]) + [
            grant for grant, spared in self.policies.everyone_grants if role_key not in spared
        ]
        all_grants += borrowed_grants(self.assembly, self.policies, key, self._borrowed)
        all_grants += assumed_role_grants(self.policies, role_key, all_grants)
        for rule, resource, actions, message in control_plane_findings(
            key, role_key, perimeter, all_grants, self.policies, self._display
        ) + trust_findings(self.assembly, role_key):
            self._report(key, rule, resource, actions, message)
        # Assuming itself adds nothing (its control-plane reach on itself is judged above).
        grants = [grant for grant in all_grants if not _is_own_role(grant.target, role_key, template)]
        reach = self._judge_grants(key, perimeter, grants)
        role_label = role.logical_id if role_key[0] == template else f"{role_key[0]}/{role.logical_id}"
        self.matrix.append(FunctionPerimeter(template, function, role_label, declared, reach))
        return role_key

    def _role_findings(self, role: RoleKey) -> list[RoleFinding]:
        return list(self.policies.findings[role]) + list(self.policies.everyone_findings)

    def _judge_grants(self, key: FunctionKey, perimeter: Perimeter, grants: Iterable[Grant]) -> tuple[ReachRow, ...]:
        """Judge every (action, resource) pair of the role's grants; return the matrix rows."""
        template = key[0]
        rows: dict[str, _RowBuilder] = {}
        pending: dict[tuple[Rule, str, str], list[str]] = {}
        conditioned: set[str] = set()
        for grant in grants:
            display = self._display(template, grant.target)
            actions = _actions(grant)
            row = rows.get(display)
            if row is None:
                row = rows[display] = _RowBuilder(self._kind(grant.target))
            if actions:
                row.add_grant(grant)
            # What the resource alone decides is judged once per grant, not once per action.
            judged = _GrantJudgement(self, key, perimeter, grant)
            judge_actions(self, key, perimeter, judged, actions, row, display, pending)  # _judge for each action
            if grant.conditions:
                conditioned.add(display)
        for (rule, resource, message), actions in pending.items():
            self._report(key, rule, resource, sorted(actions, key=_case_folded), message)
        for resource in sorted(conditioned):
            self._report(
                key,
                rules.OUT_OF_SCOPE,
                resource,
                (),
                "warning: a Condition limits this grant; conditions are not evaluated, the grant is judged "
                "as if it had none",
            )
        return tuple(row.build(resource) for resource, row in sorted(rows.items()))

    # -- judging one (action, resource) pair ------------------------------------------------

    def _judge(
        self,
        template: str,
        perimeter: Perimeter,
        action: str,
        grant: Grant,
        judged: _GrantJudgement,
    ) -> _Verdict:
        target = grant.target
        control_plane = declared_entry(perimeter, action, grant, template) if perimeter.control_plane else None
        if control_plane is not None:
            return _Verdict(CONTROL_PLANE_ACCESS, [], control_plane.reason)
        wildcard_action = grant.not_action or "*" in action or "?" in action  # is_pattern(action)
        lowered = action.lower()
        resource_findings, allowed, allowed_lowered, access = judged.resource_verdict(action, lowered)
        within = allowed is None or lowered in allowed_lowered
        if not wildcard_action and within and (target.status != "wildcard" or not is_resource_less(action)):
            return judged.plain_verdict(lowered == "s3:listbucket", resource_findings, access)  # the common case
        findings = list(resource_findings)
        if wildcard_action:
            findings.append(
                (rules.WILDCARD_ACTION, "wildcard action: write the exact actions (a wildcard action is never excused)")
            )
        elif allowed is not None and lowered not in allowed_lowered:
            findings.append(
                (
                    rules.ACCESS_EXCEEDED,
                    f"beyond the declared access level '{access}' of {target.logical_id} "
                    f"(allowed: {', '.join(sorted(allowed))})",
                )
            )
        # The exemption names the exact wildcard text ("*", or a function's network-interface/* ARN).
        if target.status == "wildcard" and not wildcard_action and is_resource_less(action):
            exemption = perimeter.exemption(action, target.text)
            if exemption is not None:
                return _Verdict(RECORDED_WILDCARD, [], exemption.reason)
        return _Verdict(access, findings)

    def _judge_resource(
        self, template: str, perimeter: Perimeter, target: Target, action: str, grant: Grant
    ) -> tuple[list[Finding], frozenset[str] | None, str]:
        """Findings about the resource, the actions the declaration allows on it, and its label."""
        if target.status == "wildcard":
            return [(rules.WILDCARD_RESOURCE, _WILDCARD_RESOURCE_MESSAGE)], None, "wildcard"
        if target.status == "external":
            if perimeter.asset_source(action, target.text) is not None:
                return [], frozenset({"s3:GetObject"}), "asset-source"
            return (
                [
                    (
                        rules.UNDECLARED_REACH,
                        "a resource outside the assembly (or in another account or region), "
                        "not in the declared perimeter",
                    )
                ],
                None,
                "undeclared",
            )
        if target.status == "unresolved" or target.logical_id is None:
            return (
                [(rules.UNRESOLVED_RESOURCE, "cannot tell which resource this names; name it with Ref/Fn::GetAtt")],
                None,
                "unresolved",
            )
        owner = self.assembly.indexes.get(target.template or template)
        resource_type = owner.type_of(target.logical_id) if owner else ""
        if (target.template or template) != template:
            message = (
                f"{target.logical_id} ({resource_type}) of {target.template} is in another template: "
                "not in the function's declared perimeter"
            )
            return [(rules.UNDECLARED_REACH, message)], None, "undeclared"
        entries = perimeter.entries_for(target.logical_id)
        if not entries:
            message = f"{target.logical_id} ({resource_type}) is not in the function's declared perimeter"
            return [(rules.UNDECLARED_REACH, message)], None, "undeclared"
        if entries[0].kind == S3_PREFIX:
            return _judge_object(entries, target, action, grant)
        finding = _judge_sub_resource(entries, target)
        return ([finding] if finding else []), _allowed(entries), _access(entries)

    # -- cross-function checks ---------------------------------------------------------------

    def _collect_data_resources(self) -> dict[str, list[ResourceKey]]:
        """Data resources of the assembly by service prefix, for wildcard reach."""
        by_service: dict[str, list[ResourceKey]] = defaultdict(list)
        for name, index in self.assembly.indexes.items():
            for resource_type in index.types():
                kind = kind_of_type(resource_type)
                if kind in DATA_KINDS:
                    for logical_id in index.of_type(resource_type):
                        by_service[_SERVICE_OF_KIND[kind]].append((name, logical_id))
        return by_service

    def _record_data_reach(self, key: FunctionKey, judged: _GrantJudgement, action: str) -> None:
        grant = judged.grant
        target = grant.target
        if target.status == "wildcard":
            if is_resource_less(action) and not grant.not_action:
                return
            service = action.split(":", 1)[0].lower() if ":" in action and not grant.not_action else "*"
            for candidate_service, resources in self._data_resources.items():
                if service in ("*", candidate_service) or is_pattern(service):
                    for resource in resources:
                        self._reach(resource, key, "", action)
            return
        if target.status != "resource" or target.logical_id is None or is_configuration_action(action):
            return  # a bucket's notification configuration moves no object: not data reach (P07/P08 still judge it)
        owned = judged.data_resource()
        if owned is None:
            return
        listed = _listed_prefixes(grant) if action.lower() == "s3:listbucket" and not target.suffix else []
        if not listed:
            judged.reach_objects(owned, action)
        for head in listed:
            self._reach(owned, key, head, action)

    def _data_resource(self, key: FunctionKey, target: Target) -> ResourceKey | None:
        """The data resource a resource target names (None when it names no data resource)."""
        owner_name = target.template or key[0]
        owner = self.assembly.indexes.get(owner_name)
        if (
            owner is None
            or target.logical_id is None
            or kind_of_type(owner.type_of(target.logical_id)) not in DATA_KINDS
        ):
            return None
        return (owner_name, target.logical_id)

    def _reach(self, resource: ResourceKey, key: FunctionKey, head: str, action: str) -> _DataReach:
        reachers = self._data_reach[resource]
        reach = reachers.get(key)
        if reach is None:
            reach = reachers[key] = _DataReach()
        reach.heads.add(head)
        reach.actions.add(action)
        return reach

    def _check_shared_roles(self, functions_of_role: Mapping[RoleKey, list[FunctionKey]]) -> None:
        compute = self.assembly.compute_users(self.policies)
        for role, functions in functions_of_role.items():
            for function in functions:
                others = [other[1] if other[0] == function[0] else f"{other[0]}/{other[1]}" for other in functions]
                others = [other for other in others if other != function[1]]
                users = others + compute.get(role, []) + self.policies.trusted_by.get(role, [])
                if users:
                    message = (
                        f"role {role[1]} is also used by {', '.join(users)}: each gets the other's reach; give "
                        "every function its own role, assumable by Lambda only"
                    )
                    self._report(function, rules.SHARED_ROLE, role[1], (), message)

    def _check_shared_data(self) -> None:
        # Indexed (perimeter/_sharing.py): the cost grows with the reachers and their conflicts,
        # never with the square of the functions reaching one resource.
        for resource, reachers in sorted(self._data_reach.items()):
            if len(reachers) < 2:
                continue  # one function alone conflicts with no one
            owner = self.assembly.indexes[resource[0]]
            is_bucket = kind_of_type(owner.type_of(resource[1])) == S3_PREFIX
            shared = {function for function in reachers if self._declares_shared(function, resource)}
            heads = {function: reach.heads for function, reach in reachers.items()}
            found = (
                bucket_conflicts(heads, {f: self._shared_heads(f, resource, h) for f, h in heads.items()})
                if is_bucket  # sharing is declared per prefix (perimeter/_prefix_sharing.py)
                else shared_conflicts(heads, shared, by_heads=False)
            )
            for function, conflicts in found:
                reach = reachers[function]
                where = f" (objects under {', '.join(repr(h) for h in sorted(reach.heads))})" if is_bucket else ""
                label = resource[1] if resource[0] == function[0] else f"{resource[0]}/{resource[1]}"
                names = ", ".join(
                    other[1] if other[0] == function[0] else f"{other[0]}/{other[1]}" for other in conflicts
                )
                message = (
                    f"{label}{where} is also reached by {names}; a data resource belongs to one "
                    "function unless every function reaching it declares it 'shared: true'"
                )
                self._report(function, rules.SHARED_RESOURCE, label, sorted(reach.actions, key=_case_folded), message)

    def _shared_heads(self, function: FunctionKey, resource: ResourceKey, heads: Set[str]) -> set[str]:
        perimeter = self._perimeters.get(function) if resource[0] == function[0] else None
        return shared_heads(perimeter, resource[1], heads)

    def _declares_shared(self, function: FunctionKey, resource: ResourceKey) -> bool:
        return resource[0] == function[0] and self._perimeters[function].declares_shared(resource[1])

    # -- helpers ------------------------------------------------------------------------------

    def _display(self, template: str, target: Target) -> str:
        if target.status == "resource" and target.template and target.template != template:
            return f"{target.template}/{target.text}"
        return target.text

    def _kind(self, target: Target) -> str:
        if target.status != "resource" or target.logical_id is None:
            return target.status
        owner = self.assembly.indexes.get(target.template) if target.template else None
        resource_type = owner.type_of(target.logical_id) if owner else ""
        return kind_of_type(resource_type) or resource_type

    def _report(self, key: FunctionKey, rule: Rule, resource: str, actions: Iterable[str], message: str) -> None:
        template, function = key
        if rule.code in _REACH_RULES and self._perimeters.get(key, EMPTY) is not EMPTY:
            message = f"{message}; {KIT_GRANTS_HINT}"
        violation = Violation(template, function, rule, resource, tuple(actions), message)
        (self.warnings if rule.code in rules.WARNING_RULES else self.violations).append(violation)


_SECRET_SUFFIX = re.compile(r"-(?:\?{6}|[A-Za-z0-9]{6})")

_WILDCARD_RESOURCE_MESSAGE = (
    "wildcard resource: name the exact resources (only actions without resource-level permissions may be "
    "recorded under 'wildcards' on '*')"
)


def _is_own_role(target: Target, role: RoleKey, template: str) -> bool:
    return target.status == "resource" and (target.template or template, target.logical_id) == role


def _case_folded(action: str) -> tuple[str, str]:
    """Sort key of an action: case-insensitive first (IAM's order), then exact, so that two spellings of
    one action (``s3:GetObject``, ``S3:getobject``) always come out in the same order, whatever the hash seed."""
    return action.lower(), action


@lru_cache(maxsize=4096)  # the rows of an assembly's functions hold the same few lists of actions
def _sorted_actions(actions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(actions, key=_case_folded))


def _order(violation: Violation) -> tuple[str, ...]:
    return (violation.template, violation.function, violation.rule.code, violation.resource, violation.message)


def _actions(grant: Grant) -> list[str]:
    if grant.not_action:
        return [f"* except {', '.join(grant.actions)}"]
    return list(grant.actions)


def _allowed(entries: Iterable[ReachEntry]) -> frozenset[str]:
    return frozenset(action for entry in entries for action in entry.actions)


def _access(entries: Iterable[ReachEntry]) -> str:
    return "/".join(sorted({entry.access for entry in entries}))


def _judge_sub_resource(entries: list[ReachEntry], target: Target) -> Finding | None:
    """Check the part after the resource's ARN: an index, a stream, a log stream."""
    suffix, kind, owner = target.suffix, entries[0].kind, target.logical_id
    if not suffix:
        return None
    if kind == "dynamodb-table" and suffix.startswith("/index/"):
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
    if kind == "dynamodb-table" and (suffix == STREAM_SUFFIX or suffix.startswith("/stream/")):
        if is_pattern(suffix[len("/stream/") :]) and suffix != STREAM_SUFFIX:
            return (rules.WILDCARD_RESOURCE, f"every stream of {owner}: name the stream with StreamArn")
        return None  # the stream is the table's; its actions are judged against the access level
    if kind == LOG_GROUP and (suffix == ":*" or suffix.startswith(":log-stream:")):
        return None  # log streams of the function's own log group
    if kind == "lambda-function" and (suffix == ":*" or not is_pattern(suffix)):
        return None  # versions and aliases of the declared function
    if kind == "secret" and _SECRET_SUFFIX.fullmatch(suffix):
        return None  # the random suffix Secrets Manager appends to the secret's name
    return (rules.UNRESOLVED_RESOURCE, f"unrecognized sub-resource '{suffix}' of {owner}")


def _judge_object(
    entries: list[ReachEntry], target: Target, action: str, grant: Grant
) -> tuple[list[Finding], frozenset[str] | None, str]:
    """Check an S3 bucket or object ARN against the declared prefixes of that bucket."""
    bucket, suffix = target.logical_id, target.suffix
    if not suffix:
        if action.lower() == "s3:listbucket":
            return _judge_listing(entries, grant)
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


def _judge_listing(entries: list[ReachEntry], grant: Grant) -> tuple[list[Finding], frozenset[str] | None, str]:
    """``s3:ListBucket`` is on the bucket ARN: only an ``s3:prefix`` condition keeps it in the prefix."""
    listing = [entry for entry in entries if "s3:ListBucket" in entry.actions]
    prefixes = [
        value
        for operator, key, values in grant.condition
        if key.lower() == "s3:prefix" and operator.lower() in ("stringequals", "stringlike")
        for value in values
    ]
    declared = [entry.prefix for entry in listing if entry.prefix is not None]
    if listing and prefixes and all(any(value.startswith(p) for p in declared) for value in prefixes):
        return [], _allowed(listing), _access(listing)
    if not listing:
        return [], _allowed(entries), _access(entries)
    message = (
        f"s3:ListBucket on {grant.target.text} lists every key unless an s3:prefix condition limits it to "
        f"the declared prefix {', '.join(repr(p) for p in declared)}"
    )
    return [(rules.OUTSIDE_PREFIX, message)], None, "outside prefix"


def _listed_prefixes(grant: Grant) -> list[str]:
    """The key heads an ``s3:prefix`` condition limits a listing to ([] when none does)."""
    return [
        _key_head("/" + value)
        for operator, key, values in grant.condition
        if key.lower() == "s3:prefix" and operator.lower() in ("stringequals", "stringlike")
        for value in values
    ]


def _key_head(suffix: str) -> str:
    """The literal start of an object key pattern: ``/files/*`` -> ``files/``; "" for the bucket."""
    key = suffix[1:] if suffix.startswith("/") else ""
    for position, character in enumerate(key):
        if character in "*?":
            return key[:position]
    return key
