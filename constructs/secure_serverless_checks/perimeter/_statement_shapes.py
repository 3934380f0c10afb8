"""Read the statements CDK writes without the general resolver: the same parts, a fraction of the cost.

A CDK role's statement is nearly always a literal ``Effect``, literal action names and resources
written as ``"*"``, ``Fn::GetAtt [X, "...Arn"]`` or ``Fn::Join ["", [Fn::GetAtt [X, "...Arn"],
"/sub/resource"]]``. ``plain_statement`` reads exactly that shape into what
``PolicyIndex._read_statement`` would read from it (the resolver's symbolic value, then
``targets.classify``), and answers None for anything else, which then takes the general path: a
condition, ``NotResource``, any other intrinsic or literal ARN, an attribute that is not an ARN, a
resource that is not in the template (a dangling reference), an alias or a version of a function.
Thousands of functions have statements of these shapes; read by the general path, they were
half the cost of collecting an assembly's grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .targets import STREAM_SUFFIX, WILDCARD, Target, on_resource
from .template import TemplateIndex

#: Keys of a statement this reader understands (``Principal`` is read by the caller, never here).
_PLAIN_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "Principal", "NotPrincipal"})
#: Types whose ARN attributes ``targets.classify`` turns into their function (``_QUALIFIERS``).
_QUALIFIER_TYPES = frozenset({"AWS::Lambda::Alias", "AWS::Lambda::Version"})
_STREAM_ATTRIBUTES = frozenset({"StreamArn", "LatestStreamArn"})

#: (allow, actions, not actions, targets) as ``_read_statement`` reads them, with no problem and no condition.
PlainStatement = tuple[bool, tuple[str, ...], tuple[str, ...], tuple[Target, ...]]


def plain_statement(
    statement: Mapping[str, Any], index: TemplateIndex, defaults: Sequence[Target] | None
) -> PlainStatement | None:
    """The parts of a statement of the plain CDK shape (see the module), or None for any other."""
    if not _PLAIN_KEYS.issuperset(statement):
        return None
    effect = statement.get("Effect")
    if type(effect) is not str or effect not in ("Allow", "Deny"):
        return None
    actions = _actions(statement, "Action")
    not_actions = _actions(statement, "NotAction")
    if actions is None or not_actions is None:
        return None
    targets: list[Target] = []
    if "Resource" in statement:
        value = statement["Resource"]
        for item in value if type(value) is list else (value,):
            target = _target(item, index)
            if target is None:
                return None
            targets.extend(defaults if defaults and target is WILDCARD else (target,))
    if not targets:
        targets = list(defaults) if defaults else [WILDCARD]
    return effect != "Deny", actions, not_actions, tuple(dict.fromkeys(targets))


def _actions(statement: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """``PolicyIndex._action_list`` for literal names (None: not literal)."""
    if key not in statement:
        return ()
    raw = statement[key]
    if type(raw) is str:
        return (raw,)
    if type(raw) is list and all(type(item) is str for item in raw):
        return tuple(dict.fromkeys(raw))
    return None


def _target(item: Any, index: TemplateIndex) -> Target | None:
    """``classify`` of one resource item: ``"*"``, an ARN attribute, or an ARN attribute and literal text."""
    if type(item) is str:
        return WILDCARD if item == "*" else None
    if type(item) is not dict or len(item) != 1:
        return None
    join = item.get("Fn::Join")
    if join is None:
        return _arn_attribute(item, index, "")
    if type(join) is not list or len(join) != 2 or join[0] != "" or type(join[0]) is not str:
        return None
    parts = join[1]
    if type(parts) is not list or len(parts) != 2 or type(parts[1]) is not str or type(parts[0]) is not dict:
        return None
    return _arn_attribute(parts[0], index, parts[1]) if len(parts[0]) == 1 else None


def _arn_attribute(item: dict[str, Any], index: TemplateIndex, text: str) -> Target | None:
    """``{"Fn::GetAtt": [X, "...Arn"]}`` followed by ``text``: resource X of this template."""
    argument = item.get("Fn::GetAtt")
    if type(argument) is not list or len(argument) != 2:
        return None
    logical_id, attribute = argument
    if type(logical_id) is not str or type(attribute) is not str or not logical_id:
        return None
    resource_type = index.type_of(logical_id)
    if not resource_type or resource_type in _QUALIFIER_TYPES:
        return None  # not a resource of the template (the resolver's error), or a function's alias or version
    if attribute in _STREAM_ATTRIBUTES:
        return on_resource(logical_id, STREAM_SUFFIX + text, index.name)
    if not attribute.endswith("Arn"):
        return None
    return on_resource(logical_id, text, index.name)
