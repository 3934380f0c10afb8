"""Find everything each role of an assembly is allowed to do, wherever a template says it.

A role's reach is spread over several places: the role's inline ``Policies``, separate
``AWS::IAM::Policy`` / ``AWS::IAM::RolePolicy`` resources, customer managed policies attached
from either side, resource policies of any template of the assembly whose principal is the role
(see ``resource_policies``), and the trust policies of other roles it may assume. Missing any
one of them would let a grant slip past the check, so all are collected here, once per
assembly, as ``Grant`` objects.

Fail closed: a statement, effect, action, principal or attachment the analyzer cannot resolve
is a ``RoleFinding`` (P14) on the roles it may concern; when those roles are unknown it is a
finding for every role (``everyone_findings``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from secure_serverless_checks import cfn_intrinsics

from . import rules
from ._statement_shapes import plain_statement
from .documents import condition_keys, condition_values, list_items, walk_document
from .intrinsics import Resolver, Sym, Token, literal, render, shape, tokens
from .names import check_condition_references, folded_names
from .principals import non_role_principal
from .resource_policies import ResourcePolicy, resource_policies
from .targets import WILDCARD, Target, classify, is_pattern
from .template import IAM_ROLE, TemplateIndex

_AWS_MANAGED_POLICY = re.compile(r"^arn:[^:]*:iam::aws:policy/(?P<name>.+)$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:[^:]*:iam::(?P<account>[^:]*):root$")

#: Service principals that are the Lambda service (also written with ``${AWS::URLSuffix}``).
_LAMBDA_SERVICES = frozenset(
    {"lambda.amazonaws.com", "edgelambda.amazonaws.com", "lambda.${AWS::URLSuffix}", "edgelambda.${AWS::URLSuffix}"}
)

#: A role of the assembly: (template name, logical id).
RoleKey = tuple[str, str]

#: ``${AWS::AccountId}`` alone: the account itself as a principal.
_ACCOUNT_ID_SYM: Sym = (Token("pseudo", "AWS::AccountId"),)

#: Condition keys that narrow ``Principal: "*"`` to named principals.
_PRINCIPAL_ARN_KEYS = frozenset({"aws:principalarn"})
_NARROWING_OPERATORS = frozenset({"stringequals", "stringlike", "arnequals", "arnlike"})


class Grant(NamedTuple):
    """What one Allow statement gives one role on one resource.

    ``actions`` are as written; with ``not_action`` they are the statement's ``NotAction`` (the
    grant is every other action). ``source`` names the policy, for the report; ``condition`` is
    the statement's ``Condition`` as (operator, key, literal values) triples.
    """

    role: str
    actions: tuple[str, ...]
    target: Target
    source: str
    conditions: tuple[str, ...] = ()
    not_action: bool = False
    condition: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class RoleFinding:
    """A problem of the role itself (an attached policy whose content is not in the template,
    a statement the analyzer cannot resolve)."""

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
    template: str = ""


@dataclass
class _Principals:
    """Who a resource or trust policy statement names."""

    roles: set[RoleKey] = field(default_factory=set)
    everyone: bool = False
    except_roles: set[RoleKey] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


class _Statement(NamedTuple):
    """A statement's parts, resolved once: effect may be Allow, actions, targets, problems.

    A named tuple: one is made for each of the assembly's statements (a frozen dataclass cost more
    to make than the plain statements took to read)."""

    allow: bool
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    targets: tuple[Target, ...]
    conditions: tuple[str, ...]
    condition: tuple[tuple[str, str, tuple[str, ...]], ...]
    problems: tuple[tuple[str, str], ...]


class PolicyIndex:
    """Every grant and role finding of an assembly, by (template, role logical id)."""

    def __init__(self, templates: Mapping[str, tuple[TemplateIndex, Resolver]]) -> None:
        self._templates = templates
        self.grants: dict[RoleKey, list[Grant]] = defaultdict(list)
        self.findings: dict[RoleKey, list[RoleFinding]] = defaultdict(list)
        #: Grants to every principal (``Principal: "*"``), with the roles a NotPrincipal spares.
        self.everyone_grants: list[tuple[Grant, frozenset[RoleKey]]] = []
        #: Findings that may concern any role (an unresolvable principal or attachment).
        self.everyone_findings: list[RoleFinding] = []
        #: Who else than Lambda may assume each role (its trust policy), for the shared-role rule.
        self.trusted_by: dict[RoleKey, list[str]] = defaultdict(list)
        self._attached: set[tuple[RoleKey, str, str]] = set()
        self._roles_by_literal_name: dict[str, list[RoleKey]] = defaultdict(list)
        #: Role names that keep deploy-time parts, as patterns a literal name may match (``names``).
        self._roles_by_name_pattern: list[tuple[re.Pattern[str], RoleKey]] = []
        for name, (index, resolver) in templates.items():
            check_condition_references(index)
            for role in index.of_type(IAM_ROLE):
                literal_names, patterns = folded_names(index, resolver, role, "RoleName")
                for role_name in literal_names:
                    self._roles_by_literal_name[role_name].append((name, role))
                self._roles_by_name_pattern.extend((pattern, (name, role)) for pattern in patterns)
        for name, (index, resolver) in templates.items():
            self._collect_template(name, index, resolver)

    def is_attached(self, role: RoleKey, template: str, policy: str) -> bool:
        """True when the managed policy ``policy`` of ``template`` is attached to ``role``."""
        return (role, template, policy) in self._attached

    def lookup(self, name: str) -> TemplateIndex | None:
        entry = self._templates.get(name)
        return entry[0] if entry else None

    # -- function -> role -----------------------------------------------------------------

    def function_role(self, template: str, function: str, property_name: str = "Role") -> FunctionRole:
        """Follow the function's ``Role`` property to an ``AWS::IAM::Role`` of the assembly."""
        index, resolver = self._templates[template]
        raw = index.properties(function).get(property_name)
        if raw is None:
            return FunctionRole(None, property_name, f"the function has no {property_name} property")
        role = _role_arn_attribute(raw, index)
        if role is not None:  # what CDK writes: the ARN of a role of the same template, read without the resolver
            return FunctionRole(role, role, template=index.name)
        alternatives = resolver.resolve_all(raw, f"{function}.Properties.{property_name}")
        roles = {role for sym in alternatives for role in self.roles_of(template, sym)}
        expression = " | ".join(render(sym) for sym in alternatives)
        if len(roles) == 1 and all(self.roles_of(template, sym) for sym in alternatives):
            ((owner, role),) = roles
            return FunctionRole(role, role, template=owner)
        if len(roles) > 1:
            return FunctionRole(None, expression, "Role is one of several roles (Fn::If): give the function one role")
        others = [t.name for sym in alternatives for t in tokens(sym) if t.resource]
        if others:
            kinds = ", ".join(f"{name} ({index.type_of(name)})" for name in others)
            return FunctionRole(None, expression, f"Role refers to {kinds}, not to one AWS::IAM::Role")
        return FunctionRole(
            None,
            expression,
            "the role is not in the assembly, so its policies cannot be checked; create it in the stack",
        )

    # -- per template ---------------------------------------------------------------------

    def _collect_template(self, name: str, index: TemplateIndex, resolver: Resolver) -> None:
        for role in index.of_type(IAM_ROLE):
            self._collect_role(name, index, resolver, role)
        for policy_type, property_name in (
            ("AWS::IAM::Policy", "Roles"),
            ("AWS::IAM::ManagedPolicy", "Roles"),
            ("AWS::IAM::RolePolicy", "RoleName"),
        ):
            for logical_id in index.of_type(policy_type):
                value = index.properties(logical_id).get(property_name)
                if value is None:
                    continue
                where = f"{logical_id}.{property_name}"
                for sym in resolver.resolve_list(value, where):
                    roles = self.roles_named(name, sym)
                    if roles is None:
                        self.everyone_findings.append(
                            RoleFinding(
                                "*",
                                rules.UNRESOLVED_RESOURCE,
                                f"{name}/{logical_id}",
                                f"{logical_id} attaches to the role {render(sym)}, which the analyzer cannot "
                                "identify: it may be this function's role; name the role with Ref",
                            )
                        )
                        continue
                    for role_key in roles:
                        self._attach(role_key, name, logical_id)
        for policy in resource_policies(index, resolver):
            self._add_resource_policy(name, index, resolver, policy)

    def _collect_role(self, name: str, index: TemplateIndex, resolver: Resolver, role: str) -> None:
        key = (name, role)
        properties = index.properties(role)
        inline = properties.get("Policies", [])
        for sym_position, policy in enumerate(list_items(inline, resolver, f"{role}.Policies")):
            if not isinstance(policy, dict):
                self._role_problem(key, f"{role}.Policies[{sym_position}]", "an inline policy is not an object")
                continue
            label = policy.get("PolicyName", sym_position)
            label_text = render(resolver.resolve(label, f"{role}.Policies")) if label is not None else "?"
            source = f"{role} inline policy {label_text}"
            self._add_identity_grants(key, index, resolver, policy.get("PolicyDocument"), source)
        managed_arns = properties.get("ManagedPolicyArns", [])
        for sym in resolver.resolve_list(managed_arns, f"{role}.ManagedPolicyArns"):
            managed = [t.name for t in tokens(sym) if t.resource and index.type_of(t.name) == "AWS::IAM::ManagedPolicy"]
            if managed:
                for logical_id in managed:
                    self._attach(key, name, logical_id)
                continue
            arn = render(sym)
            aws_managed = _AWS_MANAGED_POLICY.match(shape(sym))
            if aws_managed and "\x00" not in aws_managed["name"]:
                policy_name = aws_managed["name"]
                self.findings[key].append(
                    RoleFinding(
                        role,
                        rules.AWS_MANAGED_POLICY,
                        policy_name,
                        f"AWS managed policy {policy_name} is attached to {role}; its content is not in the "
                        "template: write the exact statements instead",
                    )
                )
            else:
                self.findings[key].append(
                    RoleFinding(
                        role,
                        rules.EXTERNAL_POLICY,
                        arn,
                        f"managed policy {arn} attached to {role} is not defined in the template",
                    )
                )
        boundary = properties.get("PermissionsBoundary")
        if boundary is not None:
            self.findings[key].append(
                RoleFinding(
                    role,
                    rules.OUT_OF_SCOPE,
                    render(resolver.resolve(boundary, f"{role}.PermissionsBoundary")),
                    f"warning: {role} has a permissions boundary; the analyzer does not read it (it can only "
                    "reduce reach, so every grant is still judged)",
                )
            )
        self._collect_trust(name, index, resolver, role)

    def _collect_trust(self, name: str, index: TemplateIndex, resolver: Resolver, role: str) -> None:
        """Who may assume ``role``: each role named gets ``sts:AssumeRole`` on it (its reach)."""
        document = index.properties(role).get("AssumeRolePolicyDocument")
        source = f"{role} trust policy"
        target = Target("resource", role, role, "", name)
        for where, statement in self._statements(document, index, resolver, f"{name}: {source}", (name, role)):
            parts = self._read_statement(statement, index, resolver, f"{source} {where}", [target], name)
            if not parts.allow:
                continue
            principals = self._principals(name, index, resolver, statement, f"{source} {where}")
            for service in principals.services:
                if service not in _LAMBDA_SERVICES:
                    self.trusted_by[(name, role)].append(f"the service {service}")
            if principals.everyone or principals.unknown:
                self.trusted_by[(name, role)].append(
                    "any principal" if principals.everyone else f"an unresolved principal {principals.unknown[0]}"
                )
            for other in principals.others:
                self.trusted_by[(name, role)].append(other)
            for principal in sorted(principals.roles):
                self.trusted_by[(name, role)].append(f"the role {principal[1]}")
            self._distribute(parts, principals, f"{source} {where}", name)

    def _attach(self, role: RoleKey, template: str, policy: str) -> None:
        if (role, template, policy) in self._attached:
            return
        self._attached.add((role, template, policy))
        index, resolver = self._templates[template]
        document = index.properties(policy).get("PolicyDocument")
        source = policy if template == role[0] else f"{template}/{policy}"
        self._add_identity_grants(role, index, resolver, document, source)

    def _add_identity_grants(
        self, role: RoleKey, index: TemplateIndex, resolver: Resolver, document: Any, source: str
    ) -> None:
        for where, statement in self._statements(document, index, resolver, f"{index.name}: {source}", role):
            parts = self._read_statement(statement, index, resolver, f"{source} {where}", None, index.name)
            if "Principal" in statement or "NotPrincipal" in statement:
                self._role_problem(role, f"{source} {where}", "an identity policy statement names a Principal")
            self._add_parts(role, parts, f"{source} {where}")

    def add_identity_grants(
        self, holder: RoleKey, index: TemplateIndex, resolver: Resolver, document: Any, source: str
    ) -> None:
        """Read an identity policy of another holder (an IAM user whose key a function holds)."""
        self._add_identity_grants(holder, index, resolver, document, source)

    def _add_parts(self, role: RoleKey, parts: _Statement, where: str) -> None:
        for resource, message in parts.problems:
            self.findings[role].append(RoleFinding(role[1], rules.UNRESOLVED_RESOURCE, resource, message))
        if parts.allow:
            self.grants[role].extend(_grants_of(role[1], parts, where))

    def _role_problem(self, role: RoleKey, where: str, message: str) -> None:
        self.findings[role].append(RoleFinding(role[1], rules.UNRESOLVED_RESOURCE, where, message))

    # -- resource policies ----------------------------------------------------------------

    def _add_resource_policy(self, name: str, index: TemplateIndex, resolver: Resolver, policy: ResourcePolicy) -> None:
        if policy.problem:
            self.everyone_findings.append(
                RoleFinding("*", rules.UNRESOLVED_RESOURCE, f"{name}/{policy.source}", policy.problem)
            )
            return
        statements: Iterator[tuple[str, Mapping[str, Any]]]
        if policy.statement is not None:
            statements = iter([("", policy.statement)])
        else:
            statements = self._statements(policy.document, index, resolver, f"{name}: {policy.source}", None)
        for where, statement in statements:
            label = f"{policy.source} {where}".strip()
            parts = self._read_statement(statement, index, resolver, label, list(policy.defaults), name)
            if not parts.allow:
                continue
            principals = self._principals(name, index, resolver, statement, label)
            self._distribute(parts, principals, label, name)

    def _distribute(self, parts: _Statement, principals: _Principals, where: str, template: str) -> None:
        """Give the statement's grants to the roles its principal names (all of them for ``*``)."""
        for principal in principals.unknown:
            self.everyone_findings.append(
                RoleFinding(
                    "*",
                    rules.UNRESOLVED_RESOURCE,
                    f"{template}/{where}",
                    f"the principal {principal} cannot be resolved; it may be this function's role",
                )
            )
        if principals.everyone:
            for grant in _grants_of("*", parts, where):
                self.everyone_grants.append((grant, frozenset(principals.except_roles)))
            for resource, message in parts.problems:
                self.everyone_findings.append(RoleFinding("*", rules.UNRESOLVED_RESOURCE, resource, message))
        for role in sorted(principals.roles):
            self._add_parts(role, parts, where)

    def _principals(
        self, template: str, index: TemplateIndex, resolver: Resolver, statement: Mapping[str, Any], where: str
    ) -> _Principals:
        found = _Principals()
        if "NotPrincipal" in statement:
            excluded = self._principals(
                template, index, resolver, {"Principal": statement["NotPrincipal"]}, f"{where}.NotPrincipal"
            )
            found.everyone = True
            found.except_roles = excluded.roles
            return found
        raw = statement.get("Principal")
        if raw is None:
            return found
        for value in _principal_values(raw, resolver, f"{where}.Principal", found):
            kind, expression = value
            for sym in resolver.resolve_list(expression, f"{where}.Principal.{kind}"):
                self._principal(template, index, kind, sym, found)
        if found.everyone:
            narrowed = self._narrowed(template, index, resolver, statement.get("Condition"), where)
            if narrowed is not None:
                found.everyone = False
                found.roles |= narrowed.roles
                found.unknown += narrowed.unknown
        return found

    def _principal(self, template: str, index: TemplateIndex, kind: str, sym: Sym, found: _Principals) -> None:
        text = literal(sym)
        if kind == "Service":
            found.services.append(render(sym))
            return
        if kind != "AWS":
            found.others.append(f"the {kind} principal {render(sym)}")
            return
        if text == "*":
            found.everyone = True
            return
        if text is not None and (_ACCOUNT_ID.match(text) or _ROOT_ARN.match(text)):
            found.others.append(f"the account {text}")
            return  # an account delegates to its own IAM policies, which are read on their own
        if sym == _ACCOUNT_ID_SYM or _is_own_root(sym):
            return
        roles = self.roles_of(template, sym)
        if roles:
            found.roles.update(roles)
            return
        not_a_role = non_role_principal(sym, index, self.lookup)
        if not_a_role is not None:
            found.others.append(not_a_role)  # a user or a CloudFront identity: no function's role
            return
        target = classify(sym, index, self.lookup)
        if target.status == "wildcard":
            found.everyone = True
        elif target.status == "external":
            found.others.append(f"the principal {target.text}")
        else:
            found.unknown.append(render(sym))

    def _narrowed(
        self, template: str, index: TemplateIndex, resolver: Resolver, condition: Any, where: str
    ) -> _Principals | None:
        """``Principal: "*"`` with an ``aws:PrincipalArn`` condition naming exact roles."""
        if not isinstance(condition, dict):
            return None
        narrowed: _Principals | None = None
        for operator, keys in condition.items():
            if not isinstance(operator, str) or operator.lower() not in _NARROWING_OPERATORS:
                continue
            if not isinstance(keys, dict):
                continue
            for key, values in keys.items():
                if not isinstance(key, str) or key.lower() not in _PRINCIPAL_ARN_KEYS:
                    continue
                candidate = _Principals()
                for sym in resolver.resolve_list(values, f"{where}.Condition.{operator}.{key}"):
                    if is_pattern(render(sym)):
                        return None  # a pattern may match any role
                    self._principal(template, index, "AWS", sym, candidate)
                if candidate.everyone:
                    return None
                narrowed = candidate if narrowed is None else _intersection(narrowed, candidate)
        return narrowed

    # -- statements -----------------------------------------------------------------------

    def _statements(
        self, document: Any, index: TemplateIndex, resolver: Resolver, where: str, role: RoleKey | None
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Statements of a policy document; both branches of ``Fn::If``; anything else that is an
        intrinsic is a finding (for ``role``, or for every role when the principal is unknown)."""
        for problem_where, problem, statement_where, statement in walk_document(document, where):
            if problem:
                finding = RoleFinding(role[1] if role else "*", rules.UNRESOLVED_RESOURCE, problem_where, problem)
                if role is None:
                    self.everyone_findings.append(finding)
                else:
                    self.findings[role].append(finding)
                continue
            yield statement_where, statement

    def _read_statement(
        self,
        statement: Mapping[str, Any],
        index: TemplateIndex,
        resolver: Resolver,
        where: str,
        defaults: list[Target] | None,
        template: str,
    ) -> _Statement:
        plain = plain_statement(statement, index, defaults)  # what CDK writes, read without the resolver
        if plain is not None:
            return _Statement(*plain, (), (), ())
        problems: list[tuple[str, str]] = []
        raw_effect = statement.get("Effect")
        if isinstance(raw_effect, str) and raw_effect:
            effects: list[str | None] = [raw_effect]  # a literal Effect, as the resolver would read it
        else:
            effects = (
                [literal(sym) for sym in resolver.resolve_all(raw_effect, f"{where}.Effect")] if raw_effect else [None]
            )
        if any(effect not in ("Allow", "Deny") for effect in effects):
            problems.append((where, "Effect is not a literal Allow or Deny: it may allow"))
        allow = any(effect != "Deny" for effect in effects)
        actions = self._action_list(statement, "Action", resolver, where, problems)
        not_actions = self._action_list(statement, "NotAction", resolver, where, problems)
        targets: list[Target] = []
        # A NoValue Resource counts as absent: it must not hide a NotResource next to it.
        excluded = self._targets(statement.get("NotResource"), index, resolver, f"{where}.NotResource", defaults)
        if excluded:
            targets.append(Target("wildcard", "* except " + ", ".join(t.text for t in excluded)))
        targets.extend(self._targets(statement.get("Resource"), index, resolver, f"{where}.Resource", defaults))
        if not targets:
            targets = list(defaults) if defaults else [WILDCARD]
        condition = statement.get("Condition")
        return _Statement(
            allow,
            tuple(actions),
            tuple(not_actions),
            tuple(dict.fromkeys(targets)),
            condition_keys(condition),
            condition_values(condition, resolver, where),
            tuple(problems),
        )

    def _action_list(
        self, statement: Mapping[str, Any], key: str, resolver: Resolver, where: str, problems: list[tuple[str, str]]
    ) -> list[str]:
        if key not in statement:
            return []
        raw = statement[key]
        if isinstance(raw, str):  # what CDK writes: literal names, read without the resolver
            return [raw]
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return list(dict.fromkeys(raw))
        actions: list[str] = []
        for sym in resolver.resolve_list(raw, f"{where}.{key}"):
            text = literal(sym)
            if text is None:
                problems.append((where, f"the {key} {render(sym)} cannot be resolved: it may be any action"))
                continue
            if text not in actions:
                actions.append(text)
        return actions

    def _targets(
        self, value: Any, index: TemplateIndex, resolver: Resolver, where: str, defaults: list[Target] | None
    ) -> list[Target]:
        targets: list[Target] = []
        if value is None:
            return targets
        for sym in resolver.resolve_list(value, where):
            target = WILDCARD if sym == ("*",) else classify(sym, index, self.lookup)
            targets.extend(defaults if defaults and target == WILDCARD else [target])
        return targets

    # -- roles by name or ARN -------------------------------------------------------------

    def roles_of(self, template: str, sym: Sym) -> list[RoleKey]:
        """Roles an ARN expression names (``Role.Arn``, ``:role/${Role}``, a role or assumed-role
        ARN with the role's name), in any template of the assembly."""
        index = self._templates[template][0]
        target = classify(sym, index, self.lookup)
        if target.status == "resource" and target.logical_id is not None:
            owner = self.lookup(target.template or template)
            if owner is not None and owner.type_of(target.logical_id) == IAM_ROLE:
                return [(owner.name, target.logical_id)]
        if len(sym) == 1 and isinstance(sym[0], Token) and sym[0].kind == "ref":
            token = sym[0]
            owner = self.lookup(token.stack or template)
            if owner is not None and owner.type_of(token.name) == IAM_ROLE:
                return [(owner.name, token.name)]
        text = literal(sym)
        if text is not None:
            match = re.match(r"^arn:[^:]*:(?:iam|sts)::[^:]*:(?:role/(?:.*/)?|assumed-role/)(?P<name>[^/]+)", text)
            if match:
                return self._roles_with_name(match["name"])
        return []

    def _roles_with_name(self, name: str) -> list[RoleKey]:
        """Roles whose name is ``name``, or may be at deploy time (a computed name: fail closed)."""
        found = list(self._roles_by_literal_name.get(name, []))
        found += [
            role for pattern, role in self._roles_by_name_pattern if pattern.fullmatch(name) and role not in found
        ]
        return found

    def roles_named(self, template: str, sym: Sym) -> list[RoleKey] | None:
        """Roles a ``Roles``/``RoleName`` entry names ([] for a role outside the assembly; None
        when the analyzer cannot tell)."""
        index = self._templates[template][0]
        if len(sym) == 1 and isinstance(sym[0], Token) and sym[0].kind in ("ref", "getatt"):
            token = sym[0]
            owner = self.lookup(token.stack or template)
            if owner is not None and owner.type_of(token.name) == IAM_ROLE:
                return [(owner.name, token.name)]
            return None
        text = literal(sym)
        if text is not None:
            return self._roles_with_name(text)
        by_name = index.by_physical_name(IAM_ROLE, render(sym))
        if by_name is not None:
            return [(template, by_name)]
        return None


# -- helpers ------------------------------------------------------------------------------


def _grants_of(role: str, parts: _Statement, where: str) -> list[Grant]:
    grants: list[Grant] = []
    for target in parts.targets:
        if parts.actions:
            grants.append(Grant(role, parts.actions, target, where, parts.conditions, False, parts.condition))
        if parts.not_actions:
            grants.append(Grant(role, parts.not_actions, target, where, parts.conditions, True, parts.condition))
    return grants


def _role_arn_attribute(raw: Any, index: TemplateIndex) -> str | None:
    """X for ``{"Fn::GetAtt": [X, "Arn"]}`` when X is a role of ``index`` (what ``function_role`` then
    finds through the resolver and ``roles_of``), else None."""
    if type(raw) is not dict or len(raw) != 1:
        return None
    argument = raw.get("Fn::GetAtt")
    if type(argument) is not list or len(argument) != 2 or argument[1] != "Arn" or type(argument[0]) is not str:
        return None
    role: str = argument[0]
    return role if role and index.type_of(role) == IAM_ROLE else None


def _is_own_root(sym: Sym) -> bool:
    return shape(sym).endswith(":root") and any(t.name == "AWS::AccountId" for t in tokens(sym))


def _intersection(first: _Principals, second: _Principals) -> _Principals:
    return _Principals(roles=first.roles & second.roles, unknown=first.unknown + second.unknown)


def _principal_values(raw: Any, resolver: Resolver, where: str, found: _Principals) -> list[tuple[str, Any]]:
    """(kind, expression) pairs of a Principal: ``"*"``, ``{"AWS": ...}``, both Fn::If branches."""
    call = cfn_intrinsics.intrinsic(raw)
    if call is not None and call[0] == "Fn::If":
        _, when_true, when_false = cfn_intrinsics.if_arguments(call[1])
        return _principal_values(when_true, resolver, where, found) + _principal_values(
            when_false, resolver, where, found
        )
    if isinstance(raw, str):
        if raw == "*":
            found.everyone = True
            return []
        return [("AWS", raw)]
    if isinstance(raw, dict) and call is None:
        return [(str(kind), value) for kind, value in raw.items()]
    found.unknown.append(render(resolver.resolve(raw, where)) if call is not None else repr(raw)[:60])
    return []
