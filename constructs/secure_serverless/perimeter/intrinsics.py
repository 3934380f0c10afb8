"""Evaluate CloudFormation intrinsic functions symbolically.

A policy names resources through ``Ref``, ``Fn::GetAtt``, ``Fn::Join`` and ``Fn::Sub``; their
values only exist at deploy time. The resolver turns such an expression into a *symbolic
string*: a tuple of literal text and ``Token`` placeholders (``Ref X``, ``X.Arn``,
``AWS::Region``). That keeps the one thing the analyzer needs — which logical resource an ARN is
built from, and what text follows it — without guessing account ids or names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from .errors import DanglingReferenceError, TemplateStructureError
from .template import TemplateIndex

TokenKind = Literal["ref", "getatt", "pseudo", "parameter", "opaque"]

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

_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


@dataclass(frozen=True)
class Token:
    """A value known only at deploy time.

    ``ref``/``getatt`` name a resource of the template (``name`` is its logical id, ``attr`` the
    attribute); ``pseudo`` and ``parameter`` name ``AWS::Region`` or a template parameter;
    ``opaque`` stands for anything the analyzer does not evaluate (``Fn::ImportValue``...).
    """

    kind: TokenKind
    name: str
    attr: str = ""

    def render(self) -> str:
        if self.kind == "getatt":
            return "${" + f"{self.name}.{self.attr}" + "}"
        return "${" + self.name + "}"

    @property
    def resource(self) -> str | None:
        """The logical id this token refers to, if it refers to a resource."""
        return self.name if self.kind in ("ref", "getatt") else None


Part = str | Token
Sym = tuple[Part, ...]

NO_VALUE: Sym = (Token("pseudo", "AWS::NoValue"),)


def concat(pieces: Iterable[Sym | str]) -> Sym:
    """Join symbolic strings, merging adjacent literal text."""
    parts: list[Part] = []
    for piece in pieces:
        for part in (piece,) if isinstance(piece, str) else piece:
            if isinstance(part, str):
                if not part:
                    continue
                if parts and isinstance(parts[-1], str):
                    parts[-1] += part
                    continue
            parts.append(part)
    return tuple(parts)


def render(sym: Sym) -> str:
    """Human-readable text: literals as they are, tokens as ``${X.Arn}``."""
    return "".join(part if isinstance(part, str) else part.render() for part in sym)


def shape(sym: Sym) -> str:
    """The text with every token as ``\x00``: for matching patterns, since ``${AWS::Partition}``
    would otherwise add colons to an ARN."""
    return "".join(part if isinstance(part, str) else "\x00" for part in sym)


def literal(sym: Sym) -> str | None:
    """The plain string when ``sym`` holds no token, else None."""
    if all(isinstance(part, str) for part in sym):
        return "".join(part for part in sym if isinstance(part, str))
    return None


def tokens(sym: Sym) -> list[Token]:
    return [part for part in sym if isinstance(part, Token)]


class Resolver:
    """Evaluates intrinsics of one template; raises ``DanglingReferenceError`` on unknown names."""

    def __init__(self, index: TemplateIndex) -> None:
        self.index = index

    def resolve(self, value: Any, where: str) -> Sym:
        """Evaluate one scalar value (string, number or intrinsic) to a symbolic string."""
        if isinstance(value, str):
            return concat([value])
        if isinstance(value, bool):
            return (str(value).lower(),)
        if isinstance(value, int | float):
            return (str(value),)
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            handler = self._scalar_functions.get(function)
            if handler is not None:
                return handler(self, argument, where)
            if function.startswith("Fn::"):
                return (Token("opaque", function),)
        raise TemplateStructureError(
            f"{self.index.name}: {where}: expected a string or an intrinsic function, got {_short(value)}"
        )

    def resolve_list(self, value: Any, where: str) -> list[Sym]:
        """Evaluate a list-valued property (``Resource``, ``Roles``...): each item, both ``Fn::If``
        branches (either may apply), ``Fn::Split`` results; ``AWS::NoValue`` items are dropped."""
        if isinstance(value, list):
            items: list[Sym] = []
            for position, item in enumerate(value):
                items.extend(self.resolve_list(item, f"{where}[{position}]"))
            return items
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Fn::If":
                branches = _arguments(argument, 3, function, self.index.name, where)
                return self.resolve_list(branches[1], where) + self.resolve_list(branches[2], where)
            if function == "Fn::Split":
                return self._split(argument, where)
        sym = self.resolve(value, where)
        return [] if sym == NO_VALUE else [sym]

    # -- intrinsic functions --------------------------------------------------------------

    def _ref(self, argument: Any, where: str) -> Sym:
        if not isinstance(argument, str):
            raise TemplateStructureError(f"{self.index.name}: {where}: Ref takes a name, got {_short(argument)}")
        return (self._name_token(argument, where, "Ref"),)

    def _get_att(self, argument: Any, where: str) -> Sym:
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        args = _arguments(argument, 2, "Fn::GetAtt", self.index.name, where)
        logical_id, attribute = args
        if not isinstance(logical_id, str):
            raise TemplateStructureError(f"{self.index.name}: {where}: Fn::GetAtt needs a logical id")
        self._require_resource(logical_id, where, "Fn::GetAtt")
        if not isinstance(attribute, str):
            return (Token("opaque", "Fn::GetAtt"),)
        return (Token("getatt", logical_id, attribute),)

    def _join(self, argument: Any, where: str) -> Sym:
        separator, items = _arguments(argument, 2, "Fn::Join", self.index.name, where)
        if not isinstance(separator, str):
            raise TemplateStructureError(f"{self.index.name}: {where}: Fn::Join separator must be a string")
        pieces: list[Sym | str] = []
        for position, item in enumerate(self.resolve_list(items, f"{where}.Fn::Join")):
            if position:
                pieces.append(separator)
            pieces.append(item)
        return concat(pieces)

    def _sub(self, argument: Any, where: str) -> Sym:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            text, variables = _arguments(argument, 2, "Fn::Sub", self.index.name, where)
            if not isinstance(variables, dict):
                raise TemplateStructureError(f"{self.index.name}: {where}: Fn::Sub variables must be an object")
        else:
            text = argument
        if not isinstance(text, str):
            raise TemplateStructureError(f"{self.index.name}: {where}: Fn::Sub needs a string")
        pieces: list[Sym | str] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(text):
            pieces.append(text[position : match.start()])
            escaped, name = match.groups()
            name = name.strip()
            if escaped:
                pieces.append("${" + name + "}")
            elif name in variables:
                pieces.append(self.resolve(variables[name], f"{where}.Fn::Sub.{name}"))
            elif "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                self._require_resource(logical_id, where, "Fn::Sub")
                pieces.append((Token("getatt", logical_id, attribute),))
            else:
                pieces.append((self._name_token(name, where, "Fn::Sub"),))
            position = match.end()
        pieces.append(text[position:])
        return concat(pieces)

    def _select(self, argument: Any, where: str) -> Sym:
        raw_index, items = _arguments(argument, 2, "Fn::Select", self.index.name, where)
        index_text = literal(self.resolve(raw_index, where))
        candidates = self.resolve_list(items, f"{where}.Fn::Select")
        if index_text is None or not index_text.isdigit():
            return (Token("opaque", "Fn::Select"),)
        position = int(index_text)
        if position < len(candidates):
            return candidates[position]
        if any(tokens(candidate) for candidate in candidates):
            return (Token("opaque", "Fn::Select"),)  # a token may hide more separators
        raise TemplateStructureError(f"{self.index.name}: {where}: Fn::Select index {position} out of range")

    def _split(self, argument: Any, where: str) -> list[Sym]:
        separator, source = _arguments(argument, 2, "Fn::Split", self.index.name, where)
        if not isinstance(separator, str) or not separator:
            raise TemplateStructureError(f"{self.index.name}: {where}: Fn::Split separator must be a string")
        pieces: list[list[Part]] = [[]]
        for part in self.resolve(source, f"{where}.Fn::Split"):
            if isinstance(part, Token):
                pieces[-1].append(part)
                continue
            head, *rest = part.split(separator)
            pieces[-1].append(head)
            pieces.extend([chunk] for chunk in rest)
        return [concat([tuple(piece)]) for piece in pieces]

    def _if(self, argument: Any, where: str) -> Sym:
        branches = _arguments(argument, 3, "Fn::If", self.index.name, where)
        when_true = self.resolve(branches[1], where)
        when_false = self.resolve(branches[2], where)
        return when_true if when_true == when_false else (Token("opaque", "Fn::If"),)

    def _find_in_map(self, argument: Any, where: str) -> Sym:
        keys = [
            literal(self.resolve(key, where))
            for key in _arguments(argument, 3, "Fn::FindInMap", self.index.name, where)
        ]
        value: Any = self.index.mappings
        for key in keys:
            if key is None or not isinstance(value, dict) or key not in value:
                return (Token("opaque", "Fn::FindInMap"),)
            value = value[key]
        return self.resolve(value, where) if not isinstance(value, list) else (Token("opaque", "Fn::FindInMap"),)

    _scalar_functions: ClassVar[dict[str, Callable[[Resolver, Any, str], Sym]]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Join": _join,
        "Fn::Sub": _sub,
        "Fn::Select": _select,
        "Fn::If": _if,
        "Fn::FindInMap": _find_in_map,
    }

    # -- names ----------------------------------------------------------------------------

    def _name_token(self, name: str, where: str, function: str) -> Token:
        if name in PSEUDO_PARAMETERS:
            return Token("pseudo", name)
        if self.index.has(name):
            return Token("ref", name)
        if name in self.index.parameters:
            return Token("parameter", name)
        raise DanglingReferenceError(
            f"{self.index.name}: {where}: {function} to {name!r}, which is neither a resource, a parameter "
            "nor a pseudo parameter of this template"
        )

    def _require_resource(self, logical_id: str, where: str, function: str) -> None:
        if not self.index.has(logical_id):
            raise DanglingReferenceError(
                f"{self.index.name}: {where}: {function} of {logical_id!r}, which is not a resource of this template"
            )


def _arguments(argument: Any, count: int, function: str, template: str, where: str) -> Sequence[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise TemplateStructureError(f"{template}: {where}: {function} takes a list of {count} arguments")
    return argument


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
