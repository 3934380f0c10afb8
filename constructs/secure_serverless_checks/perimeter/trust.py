"""Trust wider than the function (P18): who else may assume a function's role.

A function's role must be assumable by the Lambda service only. Anything else its trust policy
names can become the function: the account root (``AccountRootPrincipal``, ``Ref AWS::AccountId``,
``arn:...:iam::<account>:root``, a bare account id) delegates to every principal of the account
whose IAM policy allows ``sts:AssumeRole``; another role or user, ``*``, another service, a federated
or canonical-user principal, a ``NotPrincipal`` each name someone who is not the function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from . import rules
from .assembly import Assembly
from .documents import walk_document
from .intrinsics import Resolver, Sym, Token, literal, render, shape
from .policies import RoleKey
from .rules import Rule

#: Service principals that are the Lambda service itself (Lambda@Edge included).
_LAMBDA_SERVICES = frozenset(
    {"lambda.amazonaws.com", "edgelambda.amazonaws.com", "lambda.${AWS::URLSuffix}", "edgelambda.${AWS::URLSuffix}"}
)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_FIX = "let the role's trust policy name only the service principal lambda.amazonaws.com"

Finding = tuple[Rule, str, list[str], str]


def trust_findings(assembly: Assembly, role: RoleKey) -> list[Finding]:
    """P18 violations of the role ``role`` of a function: every principal but Lambda it trusts."""
    template, logical_id = role
    index = assembly.indexes[template]
    resolver = assembly.resolvers[template]
    document = index.properties(logical_id).get("AssumeRolePolicyDocument")
    findings: list[Finding] = []
    where = f"{logical_id}.AssumeRolePolicyDocument"
    for _problem_where, problem, statement_where, statement in walk_document(document, where):
        if problem:
            continue  # an unreadable trust policy is already P14 (policies)
        effect = statement.get("Effect")
        if effect == "Deny":
            continue
        path = f"{where} {statement_where}"
        actions = [render(sym) for sym in resolver.resolve_list(statement.get("Action", []), f"{path}.Action")]
        for description in _trusted(statement, resolver, path):
            message = (
                f"{path} also trusts {description}: whoever it names can assume role {logical_id} and act as "
                f"the function, outside its perimeter; {_FIX}"
            )
            findings.append((rules.WIDE_TRUST, logical_id, actions, message))
    return findings


def _trusted(statement: Any, resolver: Resolver, path: str) -> Iterator[str]:
    if "NotPrincipal" in statement:
        yield "every principal but those NotPrincipal names"
    if "Principal" not in statement:
        return
    for kind, value in _principal_items(statement["Principal"]):
        if kind == "*":
            yield "any principal ('*')"
            continue
        for sym in resolver.resolve_list(value, f"{path}.Principal.{kind}"):
            description = _describe(kind, sym)
            if description:
                yield description


def _principal_items(raw: Any) -> list[tuple[str, Any]]:
    call = cfn_intrinsics.intrinsic(raw)
    if call is not None and call[0] == "Fn::If":
        _, when_true, when_false = cfn_intrinsics.if_arguments(call[1])
        return _principal_items(when_true) + _principal_items(when_false)
    if raw == "*":
        return [("*", raw)]
    if isinstance(raw, dict) and call is None:
        return [(str(kind), value) for kind, value in raw.items()]
    return [("AWS", raw)]


def _describe(kind: str, sym: Sym) -> str:
    text = render(sym)
    if kind == "Service":
        return "" if text in _LAMBDA_SERVICES else f"the service {text}"
    if kind != "AWS":
        return f"the {kind} principal {text}"
    plain = literal(sym)
    if plain == "*":
        return "any principal ('*')"
    if _is_account(sym):
        return f"the account root {text} (every principal of that account whose IAM policy allows sts:AssumeRole)"
    return f"the AWS principal {text}"


def _is_account(sym: Sym) -> bool:
    plain = literal(sym)
    if plain is not None and _ACCOUNT_ID.match(plain):
        return True
    if sym == (Token("pseudo", "AWS::AccountId"),):
        return True
    return shape(sym).endswith(":root")
