"""Read a policy document into its statements, wherever the template hides them.

A ``PolicyDocument`` may be an object, a JSON string, an ``Fn::If`` (both branches may apply) or
``AWS::NoValue``, and so may its ``Statement`` list and each statement in it; a list property
(``Policies``) may hold ``Fn::If`` items. These readers only walk the JSON: they know nothing of
roles or grants (``policies`` does). What they cannot read (any other intrinsic) comes back as a
problem for the caller to report as a finding, never as nothing; a shape that is not a policy at
all is a ``TemplateStructureError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from .errors import DanglingReferenceError, TemplateStructureError
from .intrinsics import Resolver, literal

__all__ = ["condition_keys", "condition_values", "list_items", "walk_document"]


def list_items(value: Any, resolver: Resolver, where: str) -> list[Any]:
    """Items of a list property, both branches of an ``Fn::If`` item; NoValue dropped."""
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            items.extend(list_items(item, resolver, where) if cfn_intrinsics.intrinsic(item) else [item])
        return items
    call = cfn_intrinsics.intrinsic(value)
    if call is None:
        return [] if value is None else [value]
    if call[0] == "Fn::If":
        _, when_true, when_false = cfn_intrinsics.if_arguments(call[1])
        return list_items(when_true, resolver, where) + list_items(when_false, resolver, where)
    if call == ("Ref", cfn_intrinsics.NO_VALUE):
        return []
    return [value]  # reported by the caller as not an object


_Walked = Iterator[tuple[str, str, str, Mapping[str, Any]]]


def _unless_branches(call: tuple[str, Any], where: str, what: str, walk: Callable[[Any], _Walked]) -> _Walked:
    """Both branches of an ``Fn::If`` (walked), nothing for NoValue, a problem for anything else."""
    if call[0] == "Fn::If":
        _, when_true, when_false = cfn_intrinsics.if_arguments(call[1])
        yield from walk(when_true)
        yield from walk(when_false)
    elif call != ("Ref", cfn_intrinsics.NO_VALUE):
        yield where, f"{what} is {call[0]}, which the analyzer cannot read: it may grant anything", "", {}


def walk_document(document: Any, where: str, depth: int = 0) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """(problem where, problem, statement where, statement) for each statement of a document."""
    cfn_intrinsics.check_depth(depth)
    if document is None:
        return
    call = cfn_intrinsics.intrinsic(document)
    if call is not None:
        yield from _unless_branches(
            call, where, "the policy document", lambda branch: walk_document(branch, where, depth + 1)
        )
        return
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise TemplateStructureError(f"{where}: PolicyDocument is a string but not JSON") from error
    if not isinstance(document, dict):
        raise TemplateStructureError(f"{where}: PolicyDocument is not an object")
    yield from _walk_statements(document.get("Statement", []), where, depth + 1)


def _walk_statements(statements: Any, where: str, depth: int) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    cfn_intrinsics.check_depth(depth)
    call = cfn_intrinsics.intrinsic(statements)
    if call is not None:
        yield from _unless_branches(call, where, "Statement", lambda branch: _walk_statements(branch, where, depth + 1))
        return
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise TemplateStructureError(f"{where}: Statement is not a list")
    for position, statement in enumerate(statements):
        label = f"Statement[{position}]"
        call = cfn_intrinsics.intrinsic(statement)
        if call is not None:
            if call[0] == "Fn::If":
                yield from _walk_statements(_branches(statement), where, depth + 1)
            elif call != ("Ref", cfn_intrinsics.NO_VALUE):
                problem = f"{label} is {call[0]}, which the analyzer cannot read: it may grant anything"
                yield where, problem, "", {}
            continue
        if not isinstance(statement, dict):
            raise TemplateStructureError(f"{where}: Statement[{position}] is not an object")
        sid = statement.get("Sid")
        yield "", "", (f"Statement {sid}" if isinstance(sid, str) and sid else label), statement


def _branches(statement: Any) -> list[Any]:
    call = cfn_intrinsics.intrinsic(statement)
    assert call is not None
    _, when_true, when_false = cfn_intrinsics.if_arguments(call[1])
    return [when_true, when_false]


def condition_keys(condition: Any) -> tuple[str, ...]:
    if not isinstance(condition, dict):
        return ("<unresolved condition>",) if condition is not None else ()
    return tuple(
        sorted(f"{operator}:{key}" for operator, keys in condition.items() if isinstance(keys, dict) for key in keys)
    )


def condition_values(condition: Any, resolver: Resolver, where: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(operator, key, values) of each condition whose values are all literal."""
    if not isinstance(condition, dict):
        return ()
    found: list[tuple[str, str, tuple[str, ...]]] = []
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            try:
                resolved = [literal(sym) for sym in resolver.resolve_list(values, f"{where}.Condition")]
            except DanglingReferenceError:
                raise  # a dangling reference is an input error wherever it stands
            except TemplateStructureError:
                continue
            if resolved and all(value is not None for value in resolved):
                found.append((str(operator), str(key), tuple(value for value in resolved if value is not None)))
    return tuple(found)
