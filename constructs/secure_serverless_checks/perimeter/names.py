"""Physical names computed by the template: fold constants, or match them as patterns (fail closed).

A ``RoleName`` built from constants (``Fn::Sub``/``Fn::Join`` of literals, ``Fn::FindInMap`` with
literal keys, both branches of ``Fn::If``) is folded by the one intrinsic resolver
(``intrinsics.Resolver``) into its literal value(s), so a policy attached by that literal name is
attached to the role. A name that keeps deploy-time parts (``${AWS::StackName}-notes``, a
parameter, even one with a default, since the default can be overridden) becomes a pattern: a
literal name it may take is treated as naming that role too (its grants count), never as a role
outside the assembly.

Also here: a ``Ref`` in the template's ``Conditions`` section must name a parameter or a pseudo
parameter; anything else is an input error (exit 2), as a dangling reference is elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from .errors import DanglingReferenceError
from .intrinsics import PSEUDO_PARAMETERS, Resolver, Sym, literal
from .template import TemplateIndex


def folded_names(
    index: TemplateIndex, resolver: Resolver, logical_id: str, property_name: str
) -> tuple[list[str], list[re.Pattern[str]]]:
    """The literal names a name property folds to, and patterns for the alternatives that cannot fold."""
    value = index.properties(logical_id).get(property_name)
    if value is None:
        return [], []
    literals: list[str] = []
    patterns: list[re.Pattern[str]] = []
    for sym in resolver.resolve_all(value, f"{logical_id}.Properties.{property_name}"):
        text = literal(sym)
        if text is not None:
            literals.append(text)
        else:
            patterns.append(name_pattern(sym))
    return literals, patterns


def name_pattern(sym: Sym) -> re.Pattern[str]:
    """A regular expression matching every literal value ``sym`` may take at deploy time."""
    return re.compile("".join(re.escape(part) if isinstance(part, str) else ".+" for part in sym))


def check_condition_references(index: TemplateIndex) -> None:
    """Raise ``DanglingReferenceError`` for a ``Ref`` in ``Conditions`` that names no parameter."""
    conditions = index.template.get("Conditions")
    if not isinstance(conditions, dict):
        return
    for name, condition in conditions.items():
        for reference in _refs(condition, 0):
            if reference not in index.parameters and reference not in PSEUDO_PARAMETERS:
                kind = "a resource (Conditions may only name parameters)" if index.has(reference) else "undefined"
                raise DanglingReferenceError(
                    f"{index.name}: Conditions.{name}: Ref to {reference!r}, which is {kind}; name a parameter or a "
                    "pseudo parameter"
                )


def _refs(node: Any, depth: int) -> Iterator[str]:
    cfn_intrinsics.check_depth(depth)
    if isinstance(node, dict):
        if set(node) == {"Ref"} and isinstance(node["Ref"], str):
            yield node["Ref"]
            return
        for value in node.values():
            yield from _refs(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item, depth + 1)
