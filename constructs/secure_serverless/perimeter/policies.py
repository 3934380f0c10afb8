"""Find everything each role of a template is allowed to do, wherever the template says it.

A role's reach is spread over several places: the role's inline ``Policies``, separate
``AWS::IAM::Policy`` / ``AWS::IAM::RolePolicy`` resources, customer managed policies attached
from either side, and resource policies (KMS key policies, bucket, queue and topic policies)
whose principal is the role. Missing any one of them would let a grant slip past the check, so
all are collected here, once per template, as ``Grant`` objects.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import rules
from .errors import TemplateStructureError
from .intrinsics import Resolver, Sym, literal, render, shape, tokens
from .targets import WILDCARD, Target, classify, on_resource
from .template import IAM_ROLE, TemplateIndex

_AWS_MANAGED_POLICY = re.compile(r"^arn:[^:]*:iam::aws:policy/(?P<name>.+)$")
_ROLE_ARN = re.compile(r"^arn:[^:]*:iam::[^:]*:role/(?:.*/)?(?P<name>[^/]+)$")


@dataclass(frozen=True)
class Grant:
    """What one Allow statement gives one role on one resource.

    ``actions`` are as written; with ``not_action`` they are the statement's ``NotAction`` (the
    grant is every other action). ``source`` names the policy, for the report.
    """

    role: str
    actions: tuple[str, ...]
    target: Target
    source: str
    conditions: tuple[str, ...] = ()
    not_action: bool = False


@dataclass(frozen=True)
class RoleFinding:
    """A problem of the role itself (an attached policy whose content is not in the template)."""

    role: str
    rule: rules.Rule
    resource: str
    message: str


@dataclass(frozen=True)
class FunctionRole:
    """The role of a function, or why there is none the analyzer can follow."""

    logical_id: str | None
    expression: str
    problem: str = ""


class PolicyIndex:
    """Every grant and role finding of one template, by role logical id."""

    def __init__(self, index: TemplateIndex, resolver: Resolver) -> None:
        self._index = index
        self._resolver = resolver
        self.grants: dict[str, list[Grant]] = defaultdict(list)
        self.findings: dict[str, list[RoleFinding]] = defaultdict(list)
        self._attached: set[tuple[str, str]] = set()
        for role in index.of_type(IAM_ROLE):
            self._collect_role(role)
        for logical_id in index.of_type("AWS::IAM::Policy") + index.of_type("AWS::IAM::ManagedPolicy"):
            for role in self._roles_in(index.properties(logical_id).get("Roles", []), f"{logical_id}.Roles"):
                self._attach(role, logical_id)
        for logical_id in index.of_type("AWS::IAM::RolePolicy"):
            for role in self._roles_in(index.properties(logical_id).get("RoleName"), f"{logical_id}.RoleName"):
                self._attach(role, logical_id)
        self._collect_resource_policies()

    # -- function -> role -----------------------------------------------------------------

    def function_role(self, function: str) -> FunctionRole:
        """Follow the function's ``Role`` property to an ``AWS::IAM::Role`` of the template."""
        raw = self._index.properties(function).get("Role")
        if raw is None:
            return FunctionRole(None, "Role", "the function has no Role property")
        sym = self._resolver.resolve(raw, f"{function}.Properties.Role")
        roles = self._roles_of(sym)
        if len(roles) == 1:
            return FunctionRole(roles[0], roles[0])
        others = [t.name for t in tokens(sym) if t.resource]
        if others:
            kinds = ", ".join(f"{name} ({self._index.type_of(name)})" for name in others)
            return FunctionRole(None, render(sym), f"Role refers to {kinds}, not to one AWS::IAM::Role")
        return FunctionRole(
            None,
            render(sym),
            "the role is not in the template, so its policies cannot be checked; create it in the stack",
        )

    # -- identity policies ----------------------------------------------------------------

    def _collect_role(self, role: str) -> None:
        properties = self._index.properties(role)
        inline = properties.get("Policies", [])
        for position, policy in enumerate(inline if isinstance(inline, list) else []):
            if not isinstance(policy, dict):
                raise TemplateStructureError(f"{self._index.name}: {role}.Policies[{position}] is not an object")
            name = policy.get("PolicyName", position)
            source = f"{role} inline policy {render(self._resolver.resolve(name, f'{role}.Policies'))}"
            self._add_identity_grants(role, policy.get("PolicyDocument"), source)
        for sym in self._resolver.resolve_list(properties.get("ManagedPolicyArns", []), f"{role}.ManagedPolicyArns"):
            managed = [t.name for t in tokens(sym) if t.resource and self._type(t.name) == "AWS::IAM::ManagedPolicy"]
            if managed:
                for logical_id in managed:
                    self._attach(role, logical_id)
                continue
            arn = render(sym)
            aws_managed = _AWS_MANAGED_POLICY.match(shape(sym))
            if aws_managed and "\x00" not in aws_managed["name"]:
                name = aws_managed["name"]
                self.findings[role].append(
                    RoleFinding(
                        role,
                        rules.AWS_MANAGED_POLICY,
                        name,
                        f"AWS managed policy {name} is attached to {role}; its content is not in the "
                        "template: write the exact statements instead",
                    )
                )
            else:
                self.findings[role].append(
                    RoleFinding(
                        role,
                        rules.EXTERNAL_POLICY,
                        arn,
                        f"managed policy {arn} attached to {role} is not defined in the template",
                    )
                )

    def _attach(self, role: str, policy: str) -> None:
        if (role, policy) in self._attached:
            return
        self._attached.add((role, policy))
        document = self._index.properties(policy).get("PolicyDocument")
        self._add_identity_grants(role, document, policy)

    def _add_identity_grants(self, role: str, document: Any, source: str) -> None:
        for where, statement in _statements(document, f"{self._index.name}: {source}"):
            self.grants[role].extend(self._grants(statement, f"{source} {where}", [role], None))

    # -- resource policies ----------------------------------------------------------------

    def _collect_resource_policies(self) -> None:
        for key in self._index.of_type("AWS::KMS::Key"):
            self._add_resource_grants(
                self._index.properties(key).get("KeyPolicy"), f"{key} key policy", [on_resource(key)]
            )
        layouts = (
            ("AWS::S3::BucketPolicy", "Bucket", "AWS::S3::Bucket", "/*", "bucket policy"),
            ("AWS::SQS::QueuePolicy", "Queues", "AWS::SQS::Queue", "", "queue policy"),
            ("AWS::SNS::TopicPolicy", "Topics", "AWS::SNS::Topic", "", "topic policy"),
        )
        for policy_type, holder_property, holder_type, wildcard_suffix, label in layouts:
            for policy in self._index.of_type(policy_type):
                properties = self._index.properties(policy)
                holders = sorted(
                    {
                        holder
                        for sym in self._resolver.resolve_list(
                            properties.get(holder_property, []), f"{policy}.{holder_property}"
                        )
                        for holder in self._resources_of(sym, holder_type)
                    }
                )
                # In a resource policy "*" means "this resource" (for a bucket: all its objects).
                defaults = [on_resource(holder, wildcard_suffix) for holder in holders]
                self._add_resource_grants(properties.get("PolicyDocument"), f"{policy} {label}", defaults)

    def _add_resource_grants(self, document: Any, source: str, defaults: list[Target]) -> None:
        if document is None:
            return
        for where, statement in _statements(document, f"{self._index.name}: {source}"):
            principal = statement.get("Principal")
            roles = self._principal_roles(principal, f"{source} {where}.Principal")
            if roles:
                for grant in self._grants(statement, f"{source} {where}", roles, defaults):
                    self.grants[grant.role].append(grant)

    def _principal_roles(self, principal: Any, where: str) -> list[str]:
        """Roles of the template named by ``Principal.AWS``; "*", accounts and services name none."""
        if not isinstance(principal, dict) or "AWS" not in principal:
            return []
        roles: list[str] = []
        for sym in self._resolver.resolve_list(principal["AWS"], where):
            roles.extend(role for role in self._roles_of(sym) if role not in roles)
        return roles

    # -- statements -----------------------------------------------------------------------

    def _grants(
        self, statement: Mapping[str, Any], where: str, roles: Sequence[str], defaults: list[Target] | None
    ) -> list[Grant]:
        """The grants of one statement: none for Deny (it removes, never adds, reach)."""
        if statement.get("Effect") != "Allow":
            return []
        not_action = "NotAction" in statement and "Action" not in statement
        actions = tuple(
            render(sym)
            for sym in self._resolver.resolve_list(
                statement.get("NotAction" if not_action else "Action", []), f"{where}.Action"
            )
        )
        conditions = _conditions(statement.get("Condition"))
        if "NotResource" in statement and "Resource" not in statement:
            excluded = self._targets(statement["NotResource"], f"{where}.NotResource", defaults)
            targets = [Target("wildcard", "* except " + ", ".join(t.text for t in excluded))]
        elif "Resource" in statement:
            targets = self._targets(statement["Resource"], f"{where}.Resource", defaults)
        else:
            targets = defaults if defaults else [WILDCARD]
        return [
            Grant(role, actions, target, where, conditions, not_action) for role in roles for target in _unique(targets)
        ]

    def _targets(self, value: Any, where: str, defaults: list[Target] | None) -> list[Target]:
        targets: list[Target] = []
        for sym in self._resolver.resolve_list(value, where):
            target = classify(sym, self._index)
            targets.extend(defaults if defaults and target == WILDCARD else [target])
        return targets

    # -- helpers --------------------------------------------------------------------------

    def _type(self, logical_id: str) -> str:
        return self._index.type_of(logical_id)

    def _resources_of(self, sym: Sym, resource_type: str) -> list[str]:
        found = [t.name for t in tokens(sym) if t.resource and self._type(t.name) == resource_type]
        name = literal(sym)
        if not found and name is not None:
            by_name = self._index.by_physical_name(resource_type, name)
            found = [by_name] if by_name else []
        return found

    def _roles_of(self, sym: Sym) -> list[str]:
        """Roles an expression names: by token (``Role.Arn``, ``:role/${Role}``) or literal name/ARN."""
        found = self._resources_of(sym, IAM_ROLE)
        text = literal(sym)
        if not found and text is not None:
            arn = _ROLE_ARN.match(text)
            by_name = self._index.by_physical_name(IAM_ROLE, arn["name"]) if arn else None
            found = [by_name] if by_name else []
        return found

    def _roles_in(self, value: Any, where: str) -> list[str]:
        if value is None:
            return []
        return [role for sym in self._resolver.resolve_list(value, where) for role in self._roles_of(sym)]


def _statements(document: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Statements of a policy document (an object, or a JSON string as CloudFormation allows)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise TemplateStructureError(f"{where}: PolicyDocument is a string but not JSON") from error
    if document is None:
        return
    if not isinstance(document, dict):
        raise TemplateStructureError(f"{where}: PolicyDocument is not an object")
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise TemplateStructureError(f"{where}: Statement is not a list")
    for position, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise TemplateStructureError(f"{where}: Statement[{position}] is not an object")
        sid = statement.get("Sid")
        yield (f"Statement {sid}" if isinstance(sid, str) and sid else f"Statement[{position}]"), statement


def _conditions(condition: Any) -> tuple[str, ...]:
    if not isinstance(condition, dict):
        return ()
    return tuple(
        sorted(f"{operator}:{key}" for operator, keys in condition.items() if isinstance(keys, dict) for key in keys)
    )


def _unique(targets: list[Target]) -> list[Target]:
    return list(dict.fromkeys(targets))
