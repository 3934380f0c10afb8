"""Principals of a resource policy that are not roles and grant no function anything.

An IAM user of the assembly (``Fn::GetAtt [User, Arn]``, ``arn:…:iam::${AWS::AccountId}:user/${User}``)
and a CloudFront origin access identity named by its IAM ARN
(``arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <id>``) are definite principals:
neither is a function's role, so a statement naming them adds no function reach. Anything else
that is not a role stays unresolved (P14), never assumed harmless.
"""

from __future__ import annotations

import re

from .intrinsics import Sym, Token
from .intrinsics import encoded as encoded_sym
from .targets import TemplateLookup
from .template import TemplateIndex

IAM_USER = "AWS::IAM::User"
ORIGIN_ACCESS_IDENTITY = "AWS::CloudFront::CloudFrontOriginAccessIdentity"

_PARTITION = r"(?:aws|aws-[a-z-]+|\x00\d+\x00)"
_OAI_ARN = re.compile(rf"^arn:{_PARTITION}:iam::cloudfront:user/CloudFront Origin Access Identity (?P<id>.+)$")
_USER_ARN = re.compile(rf"^arn:{_PARTITION}:iam::(?P<account>[^:]*):user/(?:[^\x00]*/)?(?P<name>[^/]+)$")
_PLACEHOLDER = re.compile("^\x00(\\d+)\x00$")
_LITERAL_OAI_ID = re.compile(r"^E[A-Z0-9]{6,}$")


def non_role_principal(sym: Sym, index: TemplateIndex, lookup: TemplateLookup) -> str | None:
    """A description of the user or origin access identity ``sym`` names, or None."""
    encoded, placeholders = encoded_sym(sym)
    if encoded.startswith("arn:\x00"):
        partition = _PLACEHOLDER.match(encoded[4 : encoded.index("\x00", 5) + 1])
        if partition is None or placeholders[int(partition[1])].name != "AWS::Partition":
            return None
    whole = _PLACEHOLDER.match(encoded)
    if whole is not None:
        token = placeholders[int(whole[1])]
        if token.kind == "getatt" and token.attr == "Arn" and _type(token, index, lookup) == IAM_USER:
            return f"the IAM user {token.name}"
        return None
    oai = _OAI_ARN.match(encoded)
    if oai is not None:
        identity = _PLACEHOLDER.match(oai["id"])
        if identity is not None:
            token = placeholders[int(identity[1])]
            if token.kind == "ref" and _type(token, index, lookup) == ORIGIN_ACCESS_IDENTITY:
                return f"the CloudFront origin access identity {token.name}"
            return None
        return f"the CloudFront origin access identity {oai['id']}" if _LITERAL_OAI_ID.match(oai["id"]) else None
    user = _USER_ARN.match(encoded)
    if user is None or not _own_account(user["account"], placeholders, index):
        return None
    name = _PLACEHOLDER.match(user["name"])
    if name is not None:
        token = placeholders[int(name[1])]
        if token.kind == "ref" and _type(token, index, lookup) == IAM_USER:
            return f"the IAM user {token.name}"
        return None
    for logical_id in index.of_type(IAM_USER):
        if index.properties(logical_id).get("UserName") == user["name"]:
            return f"the IAM user {logical_id}"
    return None


def _type(token: Token, index: TemplateIndex, lookup: TemplateLookup) -> str:
    owner = lookup(token.stack) if token.stack else index
    return owner.type_of(token.name) if owner is not None else ""


def _own_account(account: str, placeholders: list[Token], index: TemplateIndex) -> bool:
    whole = _PLACEHOLDER.match(account)
    if whole is not None:
        return placeholders[int(whole[1])].name == "AWS::AccountId"
    return account == index.environment.account
