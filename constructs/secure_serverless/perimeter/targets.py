"""Decide which template resource a statement's ``Resource`` names, and what part of it.

Perimeters are declared per logical resource, so every ARN expression is reduced to a logical id
plus the sub-resource text that follows the resource's own ARN: ``NotesTable`` +
``/index/byDate``, ``FilesBucket`` + ``/files/*``. Two ways of writing an ARN are understood:
an ARN attribute followed by text (``Fn::Join [[NotesTable.Arn, "/index/x"]]``, what CDK writes)
and an ARN spelled out with the resource's name (``Fn::Sub "arn:...:table/${NotesTable}"``, or a
literal table name that matches the table's ``TableName``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .intrinsics import Sym, Token, literal, render, tokens
from .template import TemplateIndex

TargetStatus = Literal["resource", "wildcard", "external", "unresolved"]


@dataclass(frozen=True)
class Target:
    """What one ``Resource`` entry names.

    ``resource``: a resource of the template (``logical_id`` + ``suffix``); ``wildcard``: a
    pattern that may match many resources (``*``); ``external``: a resource outside the template;
    ``unresolved``: the analyzer cannot tell. ``text`` is the display form used in reports and
    matched by the metadata's ``wildcards[].resource``: ``*``, ``NotesTable/index/*``...
    """

    status: TargetStatus
    text: str
    logical_id: str | None = None
    suffix: str = ""


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

#: ARN layout per service: the resource type, and a pattern over the ARN's resource field with
#: the resource's name (``name``) and the sub-resource text after it (``suffix``).
_ARN_LAYOUTS: Mapping[str, tuple[str, re.Pattern[str]]] = {
    "dynamodb": ("AWS::DynamoDB::Table", re.compile(r"table/(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "s3": ("AWS::S3::Bucket", re.compile(r"(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "kms": ("AWS::KMS::Key", re.compile(r"key/(?P<name>[^/]+)(?P<suffix>/.*)?")),
    "sqs": ("AWS::SQS::Queue", re.compile(r"(?P<name>[^:/]+)(?P<suffix>.*)")),
    "sns": ("AWS::SNS::Topic", re.compile(r"(?P<name>[^:/]+)(?P<suffix>.*)")),
    "logs": ("AWS::Logs::LogGroup", re.compile(r"log-group:(?P<name>[^:]+)(?P<suffix>:.*)?")),
}

_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


def is_pattern(text: str) -> bool:
    """True when IAM would treat ``text`` as a pattern (``*`` or ``?``)."""
    return "*" in text or "?" in text


def on_resource(logical_id: str, suffix: str = "") -> Target:
    """The target for ``logical_id`` plus sub-resource ``suffix``."""
    return Target("resource", logical_id + suffix, logical_id, suffix)


def classify(sym: Sym, index: TemplateIndex) -> Target:
    """Reduce one resolved ``Resource`` entry to a ``Target``."""
    text = render(sym)
    if not sym:
        return Target("unresolved", '""')
    first = sym[0]
    if isinstance(first, Token) and first.resource:
        suffix = _arn_attribute_suffix(first, index)
        if suffix is not None:
            return on_resource(first.resource, suffix + render(sym[1:]))
    if text == "*":
        return WILDCARD
    spelled_out = _spelled_out_arn(sym, index)
    if spelled_out is not None:
        return spelled_out
    if all(token.kind == "pseudo" for token in tokens(sym)):
        return Target("wildcard" if is_pattern(text) else "external", text)
    return Target("unresolved", text)


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


def _spelled_out_arn(sym: Sym, index: TemplateIndex) -> Target | None:
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
    resource_type, layout = _ARN_LAYOUTS[fields[2]]
    match = layout.fullmatch(fields[5])
    if match is None:
        return None

    def decode(value: str) -> str:
        return _PLACEHOLDER.sub(lambda found: placeholders[int(found[1])].render(), value)

    name, suffix = match["name"], decode(match["suffix"] or "")
    whole = _PLACEHOLDER.fullmatch(name)
    if whole is not None:
        token = placeholders[int(whole[1])]
        if token.resource and index.type_of(token.resource) == resource_type:
            return on_resource(token.resource, suffix)
        return Target("unresolved", decode(arn))
    if "\x00" in name:
        return Target("unresolved", decode(arn))
    if is_pattern(name):
        return Target("wildcard", decode(arn))
    logical_id = index.by_physical_name(resource_type, name)
    if logical_id is not None:
        return on_resource(logical_id, suffix)
    resolved = literal(sym)
    return Target("external", resolved if resolved is not None else decode(arn))
