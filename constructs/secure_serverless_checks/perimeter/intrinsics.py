"""Evaluate CloudFormation intrinsic functions symbolically.

A policy names resources through ``Ref``, ``Fn::GetAtt``, ``Fn::Join`` and ``Fn::Sub``; their
values only exist at deploy time. The resolver turns such an expression into a *symbolic
string*: a tuple of literal text and ``Token`` placeholders (``Ref X``, ``X.Arn``,
``AWS::Region``). That keeps the one thing the analyzer needs — which logical resource an ARN is
built from, and what text follows it — without guessing account ids or names.

The forms are read through ``secure_serverless_checks.cfn_intrinsics``, the model local mode uses too.
``Fn::If`` yields both branches (either may apply at deploy time), so ``resolve_all`` returns
every alternative; what cannot be evaluated (``Fn::Transform``, ``Fn::Select`` over a parameter,
an unknown function) becomes an ``opaque`` token, which the analyzer reports (P14), never skips.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from secure_serverless_checks import cfn_intrinsics
from secure_serverless_checks.cfn_intrinsics import PSEUDO_PARAMETERS, IntrinsicError, SubVariable

from .errors import DanglingReferenceError, TemplateStructureError

if TYPE_CHECKING:
    from .template import TemplateIndex

TokenKind = Literal["ref", "getatt", "pseudo", "parameter", "opaque"]

__all__ = ["PSEUDO_PARAMETERS", "Resolver", "Sym", "Token", "concat", "literal", "render", "shape", "tokens"]

#: Alternatives kept for one value: ``Fn::If`` inside ``Fn::Join`` multiplies them.
MAX_ALTERNATIVES = 64


@dataclass(frozen=True)
class Token:
    """A value known only at deploy time.

    ``ref``/``getatt`` name a resource (``name`` is its logical id, ``attr`` the attribute) of
    the template ``stack`` ("" for the template being read; another template's name when the
    value came through ``Fn::ImportValue`` or a nested stack parameter); ``pseudo`` and
    ``parameter`` name ``AWS::Region`` or a template parameter; ``opaque`` stands for anything
    the analyzer does not evaluate (``name`` is the function, e.g. ``Fn::Transform``).
    """

    kind: TokenKind
    name: str
    attr: str = ""
    stack: str = ""

    def render(self) -> str:
        prefix = f"{self.stack}/" if self.stack else ""
        if self.kind == "getatt":
            return "${" + f"{prefix}{self.name}.{self.attr}" + "}"
        return "${" + prefix + self.name + "}"

    @property
    def resource(self) -> str | None:
        """The logical id this token refers to, if it refers to a resource of the same template."""
        return self.name if self.kind in ("ref", "getatt") and not self.stack else None

    def in_stack(self, stack: str) -> Token:
        """This token as seen from another template (a local token gets ``stack``)."""
        if self.stack or self.kind in ("pseudo", "opaque"):
            return self
        return Token(self.kind, self.name, self.attr, stack)


Part = str | Token
Sym = tuple[Part, ...]

NO_VALUE: Sym = (Token("pseudo", cfn_intrinsics.NO_VALUE),)


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
    if len(sym) == 1 and isinstance(sym[0], str):
        return sym[0]
    return "".join(part if isinstance(part, str) else part.render() for part in sym)


def shape(sym: Sym) -> str:
    """The text with every token as ``\x00``: for matching patterns, since ``${AWS::Partition}``
    would otherwise add colons to an ARN."""
    return "".join(part if isinstance(part, str) else "\x00" for part in sym)


def literal(sym: Sym) -> str | None:
    """The plain string when ``sym`` holds no token, else None."""
    if len(sym) == 1:  # the common case: one piece of text, or one token
        only = sym[0]
        return only if isinstance(only, str) else None
    if all(isinstance(part, str) for part in sym):
        return "".join(part for part in sym if isinstance(part, str))
    return None


def tokens(sym: Sym) -> list[Token]:
    return [part for part in sym if isinstance(part, Token)]


def encoded(sym: Sym) -> tuple[str, list[Token]]:
    """``sym`` as one string with each token replaced by ``\\x00<n>\\x00``, and the tokens by n.

    Lets a regular expression match literal text across deploy-time values (an ARN with
    ``${AWS::Partition}``, a dynamic reference with a ``Ref``) while keeping which token stood where.
    """
    placeholders: list[Token] = []
    text = ""
    for part in sym:
        if isinstance(part, Token):
            text += f"\x00{len(placeholders)}\x00"
            placeholders.append(part)
        else:
            text += part
    return text, placeholders


def opaque(function: str) -> Sym:
    return (Token("opaque", function),)


def is_opaque(sym: Sym) -> bool:
    return any(part.kind in ("opaque", "parameter") for part in tokens(sym))


#: Outside knowledge: an export's value (``Fn::ImportValue``) or a nested stack's parameter,
#: already resolved in the template that defines it, tokens tagged with that template.
ExternalLookup = Callable[[str], "list[Sym] | None"]


class Resolver:
    """Evaluates intrinsics of one template; raises ``DanglingReferenceError`` on unknown names."""

    def __init__(
        self,
        index: TemplateIndex,
        *,
        import_value: ExternalLookup | None = None,
        parameter_value: ExternalLookup | None = None,
    ) -> None:
        self.index = index
        self._import_value = import_value
        self._parameter_value = parameter_value
        self._remembered: dict[tuple[str, int, str], tuple[Sym, ...]] = {}
        #: Lookups in other templates so far (exports, a parent's parameters): what they return can
        #: change while the assembly is being linked, so a value that needed one is never remembered.
        self._outside_lookups = 0

    # -- public ---------------------------------------------------------------------------

    def resolve(self, value: Any, where: str) -> Sym:
        """One scalar value (string, number or intrinsic) as one symbolic string; a value with
        several alternatives (``Fn::If``) is ``opaque`` here: use ``resolve_all`` to see them."""
        alternatives = self.resolve_all(value, where)
        return alternatives[0] if len(alternatives) == 1 else opaque("Fn::If")

    def resolve_all(self, value: Any, where: str) -> list[Sym]:
        """Every value a scalar may take: one, or several through ``Fn::If``."""
        try:
            return self._scalar(value, where, 0)
        except IntrinsicError as error:
            raise TemplateStructureError(f"{self.index.name}: {where}: {error}") from error

    def resolve_list(self, value: Any, where: str) -> list[Sym]:
        """A list-valued property (``Resource``, ``Roles``...): each item, both ``Fn::If``
        branches, ``Fn::Split`` results; ``AWS::NoValue`` items are dropped."""
        try:
            return self._list(value, where, 0)
        except IntrinsicError as error:
            raise TemplateStructureError(f"{self.index.name}: {where}: {error}") from error

    # -- evaluation -----------------------------------------------------------------------

    def _list(self, value: Any, where: str, depth: int) -> list[Sym]:
        if isinstance(value, str):
            return [(value,) if value else ()]
        cfn_intrinsics.check_depth(depth)
        if isinstance(value, list):
            items: list[Sym] = []
            if all(isinstance(item, str) for item in value):  # a list of literals (actions): no intrinsic
                return [(item,) if item else () for item in value]
            for position, item in enumerate(value):
                items.extend(self._list(item, f"{where}[{position}]", depth + 1))
            return items
        call = cfn_intrinsics.intrinsic(value)
        if call is not None:
            function, argument = call
            if function == "Fn::If":
                _, when_true, when_false = cfn_intrinsics.if_arguments(argument)
                return self._list(when_true, where, depth + 1) + self._list(when_false, where, depth + 1)
            if function == "Fn::Split":
                return self._split(argument, where, depth)
            if function == "Ref" and isinstance(argument, str) and argument in self.index.parameters:
                self._outside_lookups += 1
                outer = self._parameter_value(argument) if self._parameter_value else None
                if outer is not None:
                    return [sym for sym in outer if sym != NO_VALUE]
            scalar = self._call(function, argument, where, depth)  # as ``_scalar`` would, without reading it again
            return [sym for sym in scalar if sym != NO_VALUE]
        return [sym for sym in self._scalar(value, where, depth) if sym != NO_VALUE]

    def _scalar(self, value: Any, where: str, depth: int) -> list[Sym]:
        if isinstance(value, str):  # the common case, first
            return [(value,) if value else ()]
        cfn_intrinsics.check_depth(depth)
        if isinstance(value, bool):
            return [(str(value).lower(),)]
        if isinstance(value, int | float):
            return [(str(value),)]
        call = cfn_intrinsics.intrinsic(value)
        if call is None:
            raise TemplateStructureError(
                f"{self.index.name}: {where}: expected a string or an intrinsic function, got {_short(value)}"
            )
        return self._call(call[0], call[1], where, depth)

    def _call(self, function: str, argument: Any, where: str, depth: int) -> list[Sym]:
        """The values of one intrinsic call; a ``Fn::Join``/``Fn::Sub`` seen before is not evaluated again.

        CDK writes the same ARN shapes for every function (``arn:${AWS::Partition}:iam::...``); the
        key is the argument's text (``repr``: equal JSON values, equal text) and the depth, since
        the depth limit depends on it. ``where`` only names an error, and an error is never kept;
        nor is a value read through another template (``_outside_lookups``).
        """
        handler = _SCALAR_FUNCTIONS.get(function)
        if handler is None:
            return [opaque(function)]
        if function not in _REMEMBERED:
            return _bounded(handler(self, argument, where, depth + 1))
        key = (function, depth, repr(argument))
        found = self._remembered.get(key)
        if found is None:
            lookups = self._outside_lookups
            found = tuple(_bounded(handler(self, argument, where, depth + 1)))
            if lookups == self._outside_lookups:
                self._remembered[key] = found
        return list(found)

    def _ref(self, argument: Any, where: str, depth: int) -> list[Sym]:
        if not isinstance(argument, str):
            raise TemplateStructureError(f"{self.index.name}: {where}: Ref takes a name, got {_short(argument)}")
        return self._named_value(argument, where, "Ref")

    def _get_att(self, argument: Any, where: str, depth: int) -> list[Sym]:
        logical_id, attribute = cfn_intrinsics.get_att_target(argument)
        self._require_resource(logical_id, where, "Fn::GetAtt")
        if not isinstance(attribute, str):
            return [opaque("Fn::GetAtt")]
        return [(Token("getatt", logical_id, attribute),)]

    def _join(self, argument: Any, where: str, depth: int) -> list[Sym]:
        separator, items = cfn_intrinsics.join_arguments(argument)
        if cfn_intrinsics.intrinsic(items) is not None and not _is_list_function(items):
            return [opaque("Fn::Join")]
        alternatives = self._item_alternatives(items, f"{where}.Fn::Join", depth)
        return [concat(_interleave(combination, separator)) for combination in alternatives]

    def _item_alternatives(self, items: Any, where: str, depth: int) -> list[list[Sym]]:
        """For a list of scalars: every combination of their alternatives."""
        if isinstance(items, list):
            per_item = [self._scalar(item, f"{where}[{n}]", depth + 1) for n, item in enumerate(items)]
            if _product_size(per_item) > MAX_ALTERNATIVES:
                return [[opaque("Fn::If")]]
            return [[sym for sym in combination if sym != NO_VALUE] for combination in itertools.product(*per_item)]
        return [self._list(items, where, depth + 1)]

    def _sub(self, argument: Any, where: str, depth: int) -> list[Sym]:
        text, variables = cfn_intrinsics.sub_arguments(argument)
        per_piece: list[list[Sym]] = []
        for piece in cfn_intrinsics.sub_pieces(text):
            if isinstance(piece, str):
                per_piece.append([(piece,)])
            elif piece.name in variables:
                per_piece.append(self._scalar(variables[piece.name], f"{where}.Fn::Sub.{piece.name}", depth + 1))
            else:
                per_piece.append(self._sub_variable(piece, where))
        if _product_size(per_piece) > MAX_ALTERNATIVES:
            return [opaque("Fn::If")]
        return [concat(combination) for combination in itertools.product(*per_piece)]

    def _sub_variable(self, variable: SubVariable, where: str) -> list[Sym]:
        name, attribute = variable.reference
        if attribute is not None:
            self._require_resource(name, where, "Fn::Sub")
            return [(Token("getatt", name, attribute),)]
        return self._named_value(name, where, "Fn::Sub")

    def _select(self, argument: Any, where: str, depth: int) -> list[Sym]:
        raw_index, items = cfn_intrinsics.select_arguments(argument)
        index_text = literal(self.resolve(raw_index, where))
        if index_text is None or not index_text.isdigit():
            return [opaque("Fn::Select")]
        split = not isinstance(items, list)
        if isinstance(items, list):
            per_item = self._item_alternatives(items, f"{where}.Fn::Select", depth)
        elif _is_list_function(items):
            per_item = [self._list(items, f"{where}.Fn::Select", depth + 1)]
        else:
            return [opaque("Fn::Select")]  # a parameter list or an import: its items are unknown
        position, results = int(index_text), []
        for candidates in per_item:
            before = candidates[: position + 1]
            if any(is_opaque(candidate) for candidate in before) or (split and any(tokens(c) for c in before)):
                return [opaque("Fn::Select")]  # a deploy-time value may hold more separators
            if position >= len(candidates):
                raise TemplateStructureError(f"{self.index.name}: {where}: Fn::Select index {position} out of range")
            results.append(candidates[position])
        return list(dict.fromkeys(results))

    def _split(self, argument: Any, where: str, depth: int) -> list[Sym]:
        separator, source = cfn_intrinsics.split_arguments(argument)
        results: list[Sym] = []
        for alternative in self._scalar(source, f"{where}.Fn::Split", depth + 1):
            if is_opaque(alternative):
                return [opaque("Fn::Split")]  # an unknown value may hold any number of items
            pieces: list[list[Part]] = [[]]
            for part in alternative:
                if isinstance(part, Token):
                    pieces[-1].append(part)
                    continue
                head, *rest = part.split(separator)
                pieces[-1].append(head)
                pieces.extend([chunk] for chunk in rest)
            results.extend(concat([tuple(piece)]) for piece in pieces)
        return results

    def _if(self, argument: Any, where: str, depth: int) -> list[Sym]:
        _, when_true, when_false = cfn_intrinsics.if_arguments(argument)
        branches = self._scalar(when_true, where, depth + 1) + self._scalar(when_false, where, depth + 1)
        return list(dict.fromkeys(branches))

    def _find_in_map(self, argument: Any, where: str, depth: int) -> list[Sym]:
        keys = [literal(self.resolve(key, where)) for key in cfn_intrinsics.arguments("Fn::FindInMap", argument, 3)]
        value: Any = self.index.mappings
        for key in keys:
            if key is None or not isinstance(value, dict) or key not in value:
                return [opaque("Fn::FindInMap")]
            value = value[key]
        return self._scalar(value, where, depth + 1) if not isinstance(value, list) else [opaque("Fn::FindInMap")]

    def _import(self, argument: Any, where: str, depth: int) -> list[Sym]:
        names = self._scalar(argument, f"{where}.Fn::ImportValue", depth + 1)
        self._outside_lookups += 1
        if self._import_value is None:
            return [opaque("Fn::ImportValue")]
        results: list[Sym] = []
        for name in names:
            exported = self._import_value(render(name)) if literal(name) is not None else None
            if exported is None:
                return [opaque("Fn::ImportValue")]
            results.extend(exported)
        return results

    # -- names ----------------------------------------------------------------------------

    def _named_value(self, name: str, where: str, function: str) -> list[Sym]:
        """A ``Ref``/``${name}``: a token, or what the parent stack passes for a parameter."""
        token = self._name_token(name, where, function)
        if token.kind == "parameter" and self._parameter_value is not None:
            self._outside_lookups += 1
            outer = self._parameter_value(name)
            if outer is not None:
                return outer
        return [(token,)]

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


_Handler = Callable[[Resolver, Any, str, int], list[Sym]]
_SCALAR_FUNCTIONS: dict[str, _Handler] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Join": Resolver._join,
    "Fn::Sub": Resolver._sub,
    "Fn::Select": Resolver._select,
    "Fn::If": Resolver._if,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::ImportValue": Resolver._import,
}


#: Calls whose values are remembered by the text of their argument (``Resolver._call``).
_REMEMBERED = frozenset({"Fn::Join", "Fn::Sub"})


def _is_list_function(value: Any) -> bool:
    call = cfn_intrinsics.intrinsic(value)
    return call is not None and call[0] in ("Fn::Split", "Fn::If")


def _interleave(items: list[Sym], separator: str) -> list[Sym | str]:
    pieces: list[Sym | str] = []
    for position, item in enumerate(items):
        if position:
            pieces.append(separator)
        pieces.append(item)
    return pieces


def _product_size(options: list[list[Sym]]) -> int:
    size = 1
    for option in options:
        size *= max(len(option), 1)
        if size > MAX_ALTERNATIVES:
            break
    return size


def _bounded(alternatives: list[Sym]) -> list[Sym]:
    return alternatives if len(alternatives) <= MAX_ALTERNATIVES else [opaque("Fn::If")]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
