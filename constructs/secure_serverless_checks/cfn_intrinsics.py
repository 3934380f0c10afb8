"""One model of CloudFormation intrinsic functions for the whole kit.

The perimeter analyzer evaluates intrinsics *symbolically* (a value known only at deploy time
stays a placeholder) and local mode evaluates them *concretely* (with the values moto gave the
resources it created). Both read intrinsics through this module, so they agree on every form:
``Fn::GetAtt`` as a list or as the string ``"Logical.Attribute"``, ``Fn::Sub`` with or without a
variable map, ``${!Literal}`` escapes, ``Fn::Select`` over ``Fn::Split``... Pure Python: no CDK.

Hostile input is bounded: nesting deeper than ``MAX_DEPTH`` is an ``IntrinsicError``, never a
``RecursionError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Deepest nesting of intrinsics and JSON containers evaluated. CDK templates nest a handful of
#: levels; anything this deep is hostile or broken, and Python's own limit is about 1,000 frames.
MAX_DEPTH = 100

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
NO_VALUE = "AWS::NoValue"

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(ValueError):
    """An intrinsic function that is malformed, too deep, or not supported by the evaluator."""


def check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise IntrinsicError(f"nested more than {MAX_DEPTH} levels deep")


def intrinsic(node: Any) -> tuple[str, Any] | None:
    """``(function, argument)`` when ``node`` is an intrinsic call (``Ref``, ``Fn::*``,
    ``Condition``), else None. A one-key object with any other key is plain data."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, value),) = node.items()
        if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition"):
            return key, value
    return None


def arguments(function: str, argument: Any, count: int) -> list[Any]:
    """The argument list of ``function``, which must hold exactly ``count`` items."""
    if not isinstance(argument, list) or len(argument) != count:
        raise IntrinsicError(f"{function} takes a list of {count} arguments")
    return argument


def get_att_target(argument: Any) -> tuple[str, Any]:
    """``(logical id, attribute)`` of ``Fn::GetAtt``: ``["A", "B"]`` or ``"A.B"`` (the attribute
    may itself be an intrinsic, e.g. a ``Ref`` to a parameter)."""
    if isinstance(argument, str):
        logical_id, dot, attribute = argument.partition(".")
        if not dot or not logical_id or not attribute:
            raise IntrinsicError(f"Fn::GetAtt {argument!r} is not 'LogicalId.Attribute'")
        return logical_id, attribute
    logical_id, attribute = arguments("Fn::GetAtt", argument, 2)
    if not isinstance(logical_id, str) or not logical_id:
        raise IntrinsicError("Fn::GetAtt needs a logical id")
    return logical_id, attribute


def sub_arguments(argument: Any) -> tuple[str, Mapping[str, Any]]:
    """``(text, variables)`` of ``Fn::Sub``: a string, or ``[string, {name: value}]``."""
    if isinstance(argument, str):
        return argument, {}
    text, variables = arguments("Fn::Sub", argument, 2)
    if not isinstance(text, str):
        raise IntrinsicError("Fn::Sub needs a string")
    if not isinstance(variables, dict):
        raise IntrinsicError("Fn::Sub variables must be an object")
    return text, variables


@dataclass(frozen=True)
class SubVariable:
    """A ``${name}`` of an ``Fn::Sub`` string (not an escaped ``${!name}``)."""

    name: str

    @property
    def reference(self) -> tuple[str, str | None]:
        """``(logical id or parameter, attribute or None)``: ``${A.B}`` is ``Fn::GetAtt``,
        ``${A}`` and ``${AWS::Region}`` are ``Ref``."""
        if "." in self.name and not self.name.startswith("AWS::"):
            logical_id, _, attribute = self.name.partition(".")
            return logical_id, attribute
        return self.name, None


def sub_pieces(text: str) -> list[str | SubVariable]:
    """Literal text and variables of an ``Fn::Sub`` string; ``${!X}`` is the literal ``${X}``."""
    pieces: list[str | SubVariable] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        pieces.append(text[position : match.start()])
        name = match[1].strip()
        if name.startswith("!"):
            pieces.append("${" + name[1:] + "}")
        else:
            pieces.append(SubVariable(name))
        position = match.end()
    pieces.append(text[position:])
    return [piece for piece in pieces if piece != ""]


def join_arguments(argument: Any) -> tuple[str, Any]:
    separator, items = arguments("Fn::Join", argument, 2)
    if not isinstance(separator, str):
        raise IntrinsicError("Fn::Join separator must be a string")
    return separator, items


def split_arguments(argument: Any) -> tuple[str, Any]:
    separator, source = arguments("Fn::Split", argument, 2)
    if not isinstance(separator, str) or not separator:
        raise IntrinsicError("Fn::Split separator must be a non-empty string")
    return separator, source


def select_arguments(argument: Any) -> tuple[Any, Any]:
    index, items = arguments("Fn::Select", argument, 2)
    return index, items


def if_arguments(argument: Any) -> tuple[Any, Any, Any]:
    condition, when_true, when_false = arguments("Fn::If", argument, 3)
    return condition, when_true, when_false


def referenced_logical_id(value: Any) -> str | None:
    """The logical id (or parameter) a ``Ref`` or ``Fn::GetAtt`` names, else None."""
    call = intrinsic(value)
    if call is None:
        return None
    function, argument = call
    if function == "Ref":
        return argument if isinstance(argument, str) else None
    if function == "Fn::GetAtt":
        try:
            return get_att_target(argument)[0]
        except IntrinsicError:
            return None
    return None


def references(node: Any, depth: int = 0) -> Iterator[tuple[str, str | None]]:
    """Every ``(name, attribute or None)`` that ``node`` references through ``Ref``,
    ``Fn::GetAtt`` or an ``Fn::Sub`` variable (pseudo parameters included)."""
    check_depth(depth)
    call = intrinsic(node)
    if call is not None:
        function, argument = call
        if function == "Ref" and isinstance(argument, str):
            yield argument, None
            return
        if function == "Fn::GetAtt":
            logical_id, attribute = get_att_target(argument)
            yield logical_id, attribute if isinstance(attribute, str) else None
            return
        if function == "Fn::Sub":
            text, variables = sub_arguments(argument)
            for piece in sub_pieces(text):
                if isinstance(piece, SubVariable) and piece.name not in variables:
                    yield piece.reference
            yield from references(variables, depth + 1)
            return
    if isinstance(node, dict):
        for value in node.values():
            yield from references(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from references(value, depth + 1)


def replace_references(node: Any, replacements: Mapping[tuple[str, str | None], Any], depth: int = 0) -> Any:
    """A copy of ``node`` where ``Ref``/``Fn::GetAtt``/``${...}`` of the given targets are literal values."""
    check_depth(depth)
    call = intrinsic(node)
    if call is not None:
        function, argument = call
        if function == "Ref" and isinstance(argument, str) and (argument, None) in replacements:
            return replacements[(argument, None)]
        if function == "Fn::GetAtt":
            logical_id, attribute = get_att_target(argument)
            if isinstance(attribute, str) and (logical_id, attribute) in replacements:
                return replacements[(logical_id, attribute)]
        if function == "Fn::Sub":
            text, variables = sub_arguments(argument)
            rewritten = "".join(
                _sub_text(piece, variables, replacements) if isinstance(piece, SubVariable) else _escape(piece)
                for piece in sub_pieces(text)
            )
            replaced = replace_references(dict(variables), replacements, depth + 1)
            return {"Fn::Sub": rewritten if not variables else [rewritten, replaced]}
    if isinstance(node, list):
        return [replace_references(value, replacements, depth + 1) for value in node]
    if isinstance(node, dict):
        return {key: replace_references(value, replacements, depth + 1) for key, value in node.items()}
    return node


def _escape(text: str) -> str:
    """Literal Fn::Sub text written back: a literal ``${X}`` must be ``${!X}`` again."""
    return text.replace("${", "${!")


def _sub_text(variable: SubVariable, variables: Mapping[str, Any], replacements: Mapping[Any, Any]) -> str:
    if variable.name not in variables and variable.reference in replacements:
        return _escape(str(replacements[variable.reference]))
    return "${" + variable.name + "}"


class ConcreteResolver:
    """Evaluates intrinsics to plain values with the callbacks given (local mode's view).

    ``ref(name)`` and ``get_att(logical_id, attribute)`` give the deployed values. ``Fn::If``,
    ``Fn::ImportValue`` and ``Fn::FindInMap`` work only when their callback or data is given;
    any other intrinsic is an ``IntrinsicError``: a value local mode cannot compute fails closed.
    """

    def __init__(
        self,
        *,
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
        condition: Callable[[str], bool] | None = None,
        import_value: Callable[[str], Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
    ) -> None:
        self._ref = ref
        self._get_att = get_att
        self._condition = condition
        self._import_value = import_value
        self._mappings = mappings

    def resolve(self, node: Any, depth: int = 0) -> Any:
        """``node`` with every intrinsic evaluated (containers are copied, never modified)."""
        check_depth(depth)
        call = intrinsic(node)
        if call is not None:
            return self._call(call[0], call[1], depth)
        if isinstance(node, list):
            return [self.resolve(value, depth + 1) for value in node]
        if isinstance(node, dict):
            return {key: self.resolve(value, depth + 1) for key, value in node.items()}
        return node

    def _call(self, function: str, argument: Any, depth: int) -> Any:
        if function == "Ref":
            if not isinstance(argument, str):
                raise IntrinsicError("Ref takes a name")
            return self._ref(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = get_att_target(argument)
            return self._get_att(logical_id, str(self.resolve(attribute, depth + 1)))
        if function == "Fn::Join":
            separator, items = join_arguments(argument)
            values = self.resolve(items, depth + 1)
            if not isinstance(values, list):
                raise IntrinsicError("Fn::Join needs a list of values")
            return separator.join(str(value) for value in values)
        if function == "Fn::Sub":
            text, variables = sub_arguments(argument)
            values = self.resolve(dict(variables), depth + 1)
            return "".join(
                piece if isinstance(piece, str) else str(self._sub_value(piece, values)) for piece in sub_pieces(text)
            )
        if function == "Fn::Select":
            raw_index, items = select_arguments(argument)
            index, values = self.resolve(raw_index, depth + 1), self.resolve(items, depth + 1)
            if not isinstance(values, list) or not str(index).isdigit() or int(index) >= len(values):
                raise IntrinsicError(f"Fn::Select index {index!r} is not an index of {values!r}")
            return values[int(index)]
        if function == "Fn::Split":
            separator, source = split_arguments(argument)
            return str(self.resolve(source, depth + 1)).split(separator)
        if function == "Fn::If" and self._condition is not None:
            condition, when_true, when_false = if_arguments(argument)
            return self.resolve(when_true if self._condition(str(condition)) else when_false, depth + 1)
        if function == "Fn::ImportValue" and self._import_value is not None:
            return self._import_value(str(self.resolve(argument, depth + 1)))
        if function == "Fn::FindInMap" and self._mappings is not None:
            keys = [str(self.resolve(key, depth + 1)) for key in arguments(function, argument, 3)]
            value: Any = self._mappings
            for key in keys:
                if not isinstance(value, dict) or key not in value:
                    raise IntrinsicError(f"Fn::FindInMap has no entry {keys!r}")
                value = value[key]
            return value
        raise IntrinsicError(f"cannot evaluate the intrinsic {function}")

    def _sub_value(self, variable: SubVariable, values: Mapping[str, Any]) -> Any:
        if variable.name in values:
            return values[variable.name]
        name, attribute = variable.reference
        return self._get_att(name, attribute) if attribute is not None else self._ref(name)
