"""Credentials handed to a function (P16, and the reach they carry).

An access key pair in a function's environment or inline code gives the function the reach of the
key's user, outside its role. The analyzer finds a key however it is written — a literal access key
id (``AKIA``/``ASIA``), an ``AWS::IAM::AccessKey`` (its ``Ref`` or ``SecretAccessKey``) directly,
through ``Mappings`` (``Fn::FindInMap``), a parameter's default, either branch of ``Fn::If``, or
``Fn::ImportValue`` of another stack's export — and:

- when the key's user is in the assembly, counts that user's policies as the function's reach
  (judged like its role's: P07, P11, P12, P17...);
- otherwise reports that the reach cannot be checked (fail closed).

Either way the key in the function's configuration is a P16 violation.

Borrowing an identity is the same: the grants of every role the function may assume
(``assumed_role_grants``) count as its reach too.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from .assembly import Assembly
from .intrinsics import Sym, Token, literal, tokens
from .policies import Grant, PolicyIndex
from .template import IAM_ROLE, LAMBDA_FUNCTION, TemplateIndex

ACCESS_KEY = "AWS::IAM::AccessKey"
IAM_USER = "AWS::IAM::User"
_ACCESS_KEY_ID = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")

FunctionKey = tuple[str, str]
ResourceKey = tuple[str, str]


@dataclass(frozen=True)
class Borrowed:
    """An access key handed to a function at ``where`` (``Environment.NAME``, ``Code.ZipFile``)."""

    where: str
    key: ResourceKey | None
    user: ResourceKey | None
    message: str


def credential_findings(assembly: Assembly) -> dict[FunctionKey, list[Borrowed]]:
    """Every access key handed to every function of the assembly."""
    found: dict[FunctionKey, list[Borrowed]] = defaultdict(list)
    for template, index in assembly.indexes.items():
        for function in index.of_type(LAMBDA_FUNCTION):
            properties = index.properties(function)
            environment = properties.get("Environment")
            variables = environment.get("Variables") if isinstance(environment, dict) else None
            places: list[tuple[str, Any]] = []
            if isinstance(variables, dict) and cfn_intrinsics.intrinsic(variables) is None:
                places.extend((f"Environment.{name}", value) for name, value in sorted(variables.items()))
            elif variables is not None:  # Fn::If / Fn::Transform of the whole map: read it as text
                places.append(("Environment", json.dumps(variables)))
            code = properties.get("Code")
            if isinstance(code, dict) and "ZipFile" in code:
                places.append(("Code.ZipFile", code["ZipFile"]))
            for where, value in places:
                seen: set[tuple[ResourceKey | None, str]] = set()
                for borrowed in _keys_in(assembly, template, index, function, where, value):
                    if (borrowed.key, borrowed.message) not in seen:
                        seen.add((borrowed.key, borrowed.message))
                        found[(template, function)].append(borrowed)
    return found


def borrowed_grants(
    assembly: Assembly, policies: PolicyIndex, function: FunctionKey, borrowed: dict[FunctionKey, list[Borrowed]]
) -> list[Grant]:
    """The grants of the users whose keys ``function`` holds, as the function's own reach."""
    grants: list[Grant] = []
    for item in borrowed.get(function, []):
        if item.user is None:
            continue
        for grant in user_grants(assembly, policies, item.user):
            source = f"access key {item.key[1] if item.key else '?'} in {item.where} -> {grant.source}"
            grants.append(grant._replace(source=source))
    return grants


def user_grants(assembly: Assembly, policies: PolicyIndex, user: ResourceKey) -> list[Grant]:
    """An IAM user's identity grants: inline policies, and policies naming it or one of its groups."""
    if user in policies.grants:
        return list(policies.grants[user])
    template, logical_id = user
    index, resolver = assembly.indexes[template], assembly.resolvers[template]
    properties = index.properties(logical_id)
    holders = [logical_id] + [
        group for group in _referenced(properties.get("Groups")) if index.type_of(group) == "AWS::IAM::Group"
    ]
    for addition in index.of_type("AWS::IAM::UserToGroupAddition"):
        members = _referenced(index.properties(addition).get("Users"))
        if logical_id in members:
            holders.extend(_referenced(index.properties(addition).get("GroupName")))
    for holder in dict.fromkeys(holders):
        for position, policy in enumerate(index.properties(holder).get("Policies") or []):
            if isinstance(policy, dict):
                source = f"{holder} inline policy {policy.get('PolicyName', position)}"
                policies.add_identity_grants(user, index, resolver, policy.get("PolicyDocument"), source)
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"):
        for policy in index.of_type(policy_type):
            policy_properties = index.properties(policy)
            named = _referenced(policy_properties.get("Users")) + _referenced(policy_properties.get("Groups"))
            named += _referenced(policy_properties.get("UserName")) + _referenced(policy_properties.get("GroupName"))
            if any(holder in named for holder in holders):
                policies.add_identity_grants(user, index, resolver, policy_properties.get("PolicyDocument"), policy)
    return list(policies.grants[user])


def _referenced(value: Any) -> list[str]:
    return [name for name, _ in cfn_intrinsics.references(value)] if value is not None else []


def _keys_in(
    assembly: Assembly, template: str, index: TemplateIndex, function: str, where: str, value: Any
) -> Iterator[Borrowed]:
    resolver = assembly.resolvers[template]
    for sym in resolver.resolve_all(value, f"{function}.{where}"):
        yield from _keys_in_sym(assembly, template, index, where, sym)
    # What the resolver cannot show: a map looked up with a deploy-time key, every key of it.
    for map_name in _maps_used(value, 0):
        mapping = index.mappings.get(map_name)
        for key_id in sorted(set(_ACCESS_KEY_ID.findall(json.dumps(mapping)))):
            yield _literal_key(where, key_id, f"the mapping {map_name}")


def _keys_in_sym(assembly: Assembly, template: str, index: TemplateIndex, where: str, sym: Sym) -> Iterator[Borrowed]:
    for part in sym:
        if isinstance(part, str):
            for key_id in sorted(set(_ACCESS_KEY_ID.findall(part))):
                yield _literal_key(where, key_id, "a literal")
            continue
        yield from _keys_in_token(assembly, template, index, where, part)


def _keys_in_token(
    assembly: Assembly, template: str, index: TemplateIndex, where: str, token: Token
) -> Iterator[Borrowed]:
    if token.kind == "parameter":
        declaration = index.parameters.get(token.name)
        text = json.dumps(declaration) if isinstance(declaration, dict) else ""
        for key_id in sorted(set(_ACCESS_KEY_ID.findall(text))):
            yield _literal_key(where, key_id, f"the default of parameter {token.name}")
        return
    if token.kind not in ("ref", "getatt"):
        return
    owner = assembly.indexes.get(token.stack or template)
    if owner is None or owner.type_of(token.name) != ACCESS_KEY:
        return
    key = (owner.name, token.name)
    user = _user_of(assembly, owner, token.name)
    label = token.name if owner.name == template else f"{owner.name}/{token.name}"
    if user is None:
        yield Borrowed(
            where,
            key,
            None,
            f"{where} hands the function the access key {label}, whose user is not in the assembly: the function "
            "reaches whatever that user may, outside its role, and the analyzer cannot check it; pass no "
            "credentials, use the function's own role",
        )
        return
    yield Borrowed(
        where,
        key,
        user,
        f"{where} hands the function the access key {label} of user {user[1]}: the function reaches whatever "
        f"{user[1]} may, outside its role (counted as its reach); pass no credentials, use the function's own role",
    )


def _user_of(assembly: Assembly, index: TemplateIndex, access_key: str) -> ResourceKey | None:
    user_name = index.properties(access_key).get("UserName")
    if user_name is None:
        return None
    for sym in assembly.resolvers[index.name].resolve_all(user_name, f"{access_key}.UserName"):
        for token in tokens(sym):
            owner = assembly.indexes.get(token.stack or index.name)
            if owner is not None and token.kind == "ref" and owner.type_of(token.name) == IAM_USER:
                return (owner.name, token.name)
        name = literal(sym)
        if name is not None:
            for user in index.of_type(IAM_USER):
                if index.properties(user).get("UserName") == name:
                    return (index.name, user)
    return None


def _literal_key(where: str, key_id: str, origin: str) -> Borrowed:
    return Borrowed(
        where,
        None,
        None,
        f"{where} holds the access key id {key_id[:8]}... ({origin}): the function reaches whatever that key's user "
        "may, outside its role, and the analyzer cannot check it; pass no credentials, use the function's own role",
    )


def _maps_used(node: Any, depth: int) -> Iterator[str]:
    cfn_intrinsics.check_depth(depth)
    call = cfn_intrinsics.intrinsic(node)
    if call is not None and call[0] == "Fn::FindInMap":
        argument = call[1]
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            yield argument[0]
    if isinstance(node, dict):
        for value in node.values():
            yield from _maps_used(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _maps_used(item, depth + 1)


# -- identities a function may assume ------------------------------------------------------------


def assumed_role_grants(policies: PolicyIndex, role: ResourceKey, grants: list[Grant]) -> list[Grant]:
    """The grants of every role of the assembly the function may assume (``sts:AssumeRole`` in any
    spelling on it, by its identity policies or that role's trust policy), transitively: borrowing an
    identity borrows its reach, so that reach is judged as the function's."""
    found: list[Grant] = []
    seen = {role}
    pending = [(grant, "") for grant in grants]
    while pending:
        grant, chain = pending.pop()
        target = grant.target
        if target.status != "resource" or target.logical_id is None or target.suffix:
            continue
        other = (target.template or role[0], target.logical_id)
        owner = policies.lookup(other[0])
        if other in seen or owner is None or owner.type_of(other[1]) != IAM_ROLE or not _may_assume(grant):
            continue
        seen.add(other)
        via = f"{chain}sts:AssumeRole of {other[1]} ({grant.source}) -> "
        for borrowed in policies.grants[other]:
            found.append(borrowed._replace(source=via + borrowed.source))
            pending.append((borrowed, via))
    return found


def _may_assume(grant: Grant) -> bool:
    patterns = [action.lower() for action in grant.actions]
    matched = any(fnmatch.fnmatchcase("sts:assumerole", pattern) for pattern in patterns)
    return not matched if grant.not_action else matched


__all__ = ["Borrowed", "assumed_role_grants", "borrowed_grants", "credential_findings", "user_grants"]
