"""Decide which template resource a statement's ``Resource`` names, and what part of it.

Perimeters are declared per logical resource, so every ARN expression is reduced to a logical id
plus the sub-resource text that follows the resource's own ARN: ``NotesTable`` +
``/index/byDate``, ``FilesBucket`` + ``/files/*``. Two ways of writing an ARN are understood:
an ARN attribute followed by text (``Fn::Join [[NotesTable.Arn, "/index/x"]]``, what CDK writes)
and an ARN spelled out with the resource's name (``Fn::Sub "arn:...:table/${NotesTable}"``, or a
name that matches the table's ``TableName``). A spelled-out ARN is the template's resource only
in the stack's own region and account (``${AWS::Region}``/``${AWS::AccountId}``, or the literal
values of the stack's environment): ``*`` there is a wildcard, another literal is another
account's or region's resource, a parameter is unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal, NamedTuple

from secure_serverless_checks.cfn_intrinsics import referenced_logical_id

from .intrinsics import Sym, Token, literal, render, tokens
from .template import IAM_ROLE, TemplateIndex

TargetStatus = Literal["resource", "wildcard", "external", "unresolved"]


class Target(NamedTuple):
    """What one ``Resource`` entry names.

    ``resource``: a resource (``logical_id`` + ``suffix``) of the template ``template``;
    ``wildcard``: a pattern that may match many resources (``*``); ``external``: a resource
    outside the assembly; ``unresolved``: the analyzer cannot tell. ``text`` is the display form
    used in reports and matched by the metadata's ``wildcards[].resource``: ``*``,
    ``NotesTable/index/*``...
    """

    status: TargetStatus
    text: str
    logical_id: str | None = None
    suffix: str = ""
    template: str = ""


WILDCARD = Target("wildcard", "*")

#: Attributes that are a stream ARN: ``<table arn>/stream/<label>``.
_STREAM_ATTRIBUTES = frozenset({"StreamArn", "LatestStreamArn"})
STREAM_SUFFIX = "/stream/<label>"

#: Types whose ``Ref`` is their ARN (for the others ``Ref`` is a name, an id or a URL).
_REF_IS_ARN = frozenset(
    {
        "AWS::SNS::Topic",
        "AWS::IAM::ManagedPolicy",
        "AWS::SecretsManager::Secret",
        "AWS::StepFunctions::StateMachine",
        "AWS::Lambda::LayerVersion",
    }
)

_TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")

#: ARN layout per service: the resource types, and a pattern over the ARN's resource field with
#: the resource's name (``name``) and the sub-resource text after it (``suffix``).
_ARN_LAYOUTS: Mapping[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    "dynamodb": (_TABLE_TYPES, re.compile(r"table/(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "s3": (("AWS::S3::Bucket",), re.compile(r"(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "kms": (("AWS::KMS::Key",), re.compile(r"key/(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "sqs": (("AWS::SQS::Queue",), re.compile(r"(?P<name>[^:/]+)(?P<suffix>.*)")),
    "sns": (("AWS::SNS::Topic",), re.compile(r"(?P<name>[^:/]+)(?P<suffix>.*)")),
    "logs": (("AWS::Logs::LogGroup",), re.compile(r"log-group:(?P<name>[^:]+)(?P<suffix>:.*)?")),
    # Secrets Manager appends "-" and six random characters to the name.
    "secretsmanager": (
        ("AWS::SecretsManager::Secret",),
        re.compile(r"secret:(?P<name>.+?)(?P<suffix>-\?\?\?\?\?\?|-[A-Za-z0-9]{6}|\*)?"),
    ),
    "ssm": (("AWS::SSM::Parameter",), re.compile(r"parameter(?P<name>/?[^*?]+|.*)(?P<suffix>)")),
    "lambda": (("AWS::Lambda::Function",), re.compile(r"function:(?P<name>[^:]+)(?P<suffix>:.*)?")),
    "states": (("AWS::StepFunctions::StateMachine",), re.compile(r"stateMachine:(?P<name>[^:]+)(?P<suffix>:.*)?")),
    "cognito-idp": (("AWS::Cognito::UserPool",), re.compile(r"userpool/(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "iam": ((IAM_ROLE,), re.compile(r"role/(?:[^\x00]*/)?(?P<name>[^/]+)(?P<suffix>)")),
    # A function in a VPC: its subnets and security groups (CreateNetworkInterface), and the
    # account's network-interface/* (a pattern: judged as a recorded wildcard).
    "ec2": (
        ("AWS::EC2::Subnet", "AWS::EC2::SecurityGroup"),
        re.compile(r"(?:subnet|security-group|network-interface)/(?P<name>[^/]+)(?P<suffix>/.*)?"),
    ),
    "sts": ((IAM_ROLE,), re.compile(r"assumed-role/(?P<name>[^/]+)(?P<suffix>/.*)?")),
}

#: Services whose ARNs carry no region (IAM, STS, S3) or no account (S3).
_NO_REGION = frozenset({"iam", "sts", "s3"})

_PLACEHOLDER = re.compile("\x00(\\d+)\x00")

#: Find another template of the assembly by name (for values that came through imports).
TemplateLookup = Callable[[str], "TemplateIndex | None"]


def is_pattern(text: str) -> bool:
    """True when IAM would treat ``text`` as a pattern (``*`` or ``?``)."""
    return "*" in text or "?" in text


def on_resource(logical_id: str, suffix: str = "", template: str = "") -> Target:
    """The target for ``logical_id`` plus sub-resource ``suffix``."""
    return Target("resource", logical_id + suffix, logical_id, suffix, template)


def classify(sym: Sym, index: TemplateIndex, lookup: TemplateLookup | None = None) -> Target:
    """Reduce one resolved ``Resource`` entry to a ``Target``."""
    text = render(sym)
    if not sym:
        return Target("unresolved", '""')
    first = sym[0]
    if isinstance(first, Token) and first.kind in ("ref", "getatt"):
        owner = _owner(first, index, lookup)
        qualified = _qualified_function(first, owner) if owner is not None else None
        if qualified is not None and owner is not None:
            return on_resource(qualified[0], qualified[1] + render(sym[1:]), owner.name)
        if owner is not None:
            suffix = _arn_attribute_suffix(first, owner)
            if suffix is not None:
                return on_resource(first.name, suffix + render(sym[1:]), owner.name)
    if text == "*":
        return WILDCARD
    spelled_out = _spelled_out_arn(sym, index, lookup)
    if spelled_out is not None:
        return spelled_out
    if all(token.kind == "pseudo" for token in tokens(sym)):
        return Target("wildcard" if is_pattern(text) else "external", text)
    return Target("unresolved", text)


def _owner(token: Token, index: TemplateIndex, lookup: TemplateLookup | None) -> TemplateIndex | None:
    if not token.stack:
        return index
    return lookup(token.stack) if lookup else None


#: ARN-valued references to a qualified function: a version or an alias is its function, plus ``:<qualifier>``.
_QUALIFIERS: Mapping[str, tuple[str, str]] = {
    "AWS::Lambda::Alias": ("AliasArn", "Name"),
    "AWS::Lambda::Version": ("FunctionArn", ""),
}


def _qualified_function(token: Token, index: TemplateIndex) -> tuple[str, str] | None:
    """(function logical id, ``:qualifier``) for ``Ref``/``Fn::GetAtt ...Arn`` of an alias or version
    of a function of the same template (None otherwise): invoking it is invoking the function."""
    layout = _QUALIFIERS.get(index.type_of(token.name))
    if layout is None or (token.kind == "getatt" and token.attr != layout[0]):
        return None
    properties = index.properties(token.name)
    function = referenced_logical_id(properties.get("FunctionName"))
    if function is None or index.type_of(function) != "AWS::Lambda::Function":
        return None
    name = properties.get(layout[1]) if layout[1] else None
    return function, ":" + (name if isinstance(name, str) and not is_pattern(name) else "<version>")


def _arn_attribute_suffix(token: Token, index: TemplateIndex) -> str | None:
    """The sub-resource an ARN-valued token stands for ("" for the resource itself), or None when
    the token is not an ARN (a name, a URL...)."""
    if token.kind == "getatt":
        if token.attr in _STREAM_ATTRIBUTES:
            return STREAM_SUFFIX
        return "" if token.attr.endswith("Arn") else None
    if token.kind == "ref" and index.type_of(token.name) in _REF_IS_ARN:
        return ""
    return None


def _spelled_out_arn(sym: Sym, index: TemplateIndex, lookup: TemplateLookup | None) -> Target | None:
    """Parse ``arn:partition:service:region:account:resource`` where parts may be tokens."""
    placeholders: list[Token] = []
    encoded: list[str] = []
    for part in sym:
        if isinstance(part, Token):
            encoded.append(f"\x00{len(placeholders)}\x00")
            placeholders.append(part)
        else:
            encoded.append(part)
    arn = "".join(encoded)
    fields = arn.split(":", 5)
    if len(fields) < 6 or fields[0] != "arn" or fields[2] not in _ARN_LAYOUTS:
        return None

    def decode(value: str) -> str:
        return _PLACEHOLDER.sub(lambda found: placeholders[int(found[1])].render(), value)

    service = fields[2]
    place = _place(fields[3], "AWS::Region", index.environment.region, placeholders, service in _NO_REGION)
    place = _worst(place, _place(fields[4], "AWS::AccountId", index.environment.account, placeholders, service == "s3"))
    if place == "unresolved":
        return Target("unresolved", decode(arn))
    resource_types, layout = _ARN_LAYOUTS[service]
    match = layout.fullmatch(fields[5])
    if match is None:
        return Target("unresolved", decode(arn)) if "\x00" in fields[5] else None
    name, suffix = match["name"], decode(match["suffix"] or "")
    if service == "secretsmanager" and suffix == "*":
        name, suffix = name + "*", ""
    if place == "wildcard" or is_pattern(name):
        return Target("wildcard", decode(arn))
    if place == "elsewhere":
        resolved = literal(sym)
        return Target("external", resolved if resolved is not None else decode(arn))
    whole = _PLACEHOLDER.fullmatch(name)
    if whole is not None:
        token = placeholders[int(whole[1])]
        owner = _owner(token, index, lookup) if token.kind in ("ref", "getatt") else None
        if owner is not None and owner.type_of(token.name) in resource_types:
            return on_resource(token.name, suffix, owner.name)
    owner_index = index
    foreign = {t.stack for t in placeholders if t.stack}
    if len(foreign) == 1 and lookup is not None:
        owner_index = lookup(foreign.pop()) or index
    rendered = "".join(
        part if isinstance(part, str) else Token(part.kind, part.name, part.attr).render()
        for part in _decode_parts(name, placeholders)
    )
    for resource_type in resource_types:
        for candidate in _name_forms(service, rendered):
            logical_id = owner_index.by_physical_name(resource_type, candidate)
            if logical_id is not None:
                return on_resource(logical_id, suffix, owner_index.name)
    if any(t.kind not in ("pseudo",) for t in _decode_parts_tokens(name, placeholders)):
        return Target("unresolved", decode(arn))
    resolved = literal(sym)
    return Target("external", resolved if resolved is not None else decode(arn))


def _name_forms(service: str, name: str) -> tuple[str, ...]:
    """An SSM parameter ``/a/b`` is ``parameter/a/b`` in its ARN: try the name with a slash too."""
    if service == "ssm":
        return (name, "/" + name.lstrip("/"), name.lstrip("/"))
    return (name,)


def _decode_parts(text: str, placeholders: list[Token]) -> list[str | Token]:
    parts: list[str | Token] = []
    position = 0
    for found in _PLACEHOLDER.finditer(text):
        parts.append(text[position : found.start()])
        parts.append(placeholders[int(found[1])])
        position = found.end()
    parts.append(text[position:])
    return parts


def _decode_parts_tokens(text: str, placeholders: list[Token]) -> list[Token]:
    return [part for part in _decode_parts(text, placeholders) if isinstance(part, Token)]


_PLACE_ORDER = {"own": 0, "elsewhere": 1, "wildcard": 2, "unresolved": 3}


def _worst(first: str, second: str) -> str:
    return first if _PLACE_ORDER[first] >= _PLACE_ORDER[second] else second


def _place(field: str, pseudo: str, known: str | None, placeholders: list[Token], may_be_empty: bool) -> str:
    """Whether an ARN's region/account field is the stack's own ("own"), another literal one
    ("elsewhere"), a pattern ("wildcard") or something the analyzer cannot tell ("unresolved")."""
    whole = _PLACEHOLDER.fullmatch(field)
    if whole is not None:
        token = placeholders[int(whole[1])]
        return "own" if token.kind == "pseudo" and token.name == pseudo else "unresolved"
    if "\x00" in field:
        return "unresolved"
    if field == "":
        return "own" if may_be_empty else "elsewhere"
    if is_pattern(field):
        return "wildcard"
    return "own" if known is not None and field == known else "elsewhere"
