"""The adversarial table's row type, its registry ``MUTATIONS`` and the helpers every class uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from perimeter_support import FILES_TABLE, NOTES_FUNCTION, TemplateBuilder, getatt

FILES_DLQ = "FilesDlq3333"
NOTES_DLQ = "NotesDlqBBBB"
NOTES_LOGS = "NotesLogsCCCC"
FILES_LOGS = "FilesLogs4444"
PERIMETER = "SecureServerless::Perimeter"
ARN_HEAD = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:"

Verdict = Literal["fail", "pass", "error"]
Assembly = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Mutation:
    """One row of the table: how to break (or legitimately change) the fixture, and the verdict."""

    id: str
    klass: str
    apply: Callable[[TemplateBuilder], Assembly | None]
    verdict: Verdict
    code: str = ""
    function: str = NOTES_FUNCTION


def statement(builder: TemplateBuilder, policy: str, **fields: Any) -> None:
    builder.statements(policy).append(fields)


def add(builder: TemplateBuilder, logical_id: str, resource_type: str, **properties: Any) -> None:
    builder.resources[logical_id] = {"Type": resource_type, "Properties": properties}


def declare(builder: TemplateBuilder, function: str, **entry: Any) -> None:
    builder.perimeter(function)["reach"].append({"shared": False, **entry})


def record_wildcard(builder: TemplateBuilder, function: str, actions: list[str], resource: str = "*") -> None:
    builder.perimeter(function)["wildcards"].append({"actions": actions, "resource": resource, "reason": "because"})


def parameter(builder: TemplateBuilder, name: str, kind: str = "String") -> dict[str, Any]:
    builder.template.setdefault("Parameters", {})[name] = {"Type": kind}
    return {"Ref": name}


def extra_policy(b: TemplateBuilder, roles: Any, resource: Any = None) -> None:
    """An AWS::IAM::Policy attached to ``roles``, granting dynamodb:GetItem on ``resource``."""
    grant = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": resource or getatt(FILES_TABLE)}
    add(b, "Extra0001", "AWS::IAM::Policy", PolicyName="x", Roles=roles, PolicyDocument={"Statement": [grant]})


def nested_child() -> dict[str, Any]:
    """A nested stack's template: a key whose policy grants the role passed as parameter Reader."""
    grant = {"Effect": "Allow", "Action": "kms:Decrypt", "Principal": {"AWS": {"Ref": "Reader"}}, "Resource": "*"}
    return {
        "Parameters": {"Reader": {"Type": "String"}},
        "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [grant]}}}},
    }


MUTATIONS: list[Mutation] = []


def row(klass: str, id: str, verdict: Verdict, code: str = "", function: str = NOTES_FUNCTION) -> Any:
    def register(apply: Callable[[TemplateBuilder], Assembly | None]) -> Callable[[TemplateBuilder], Any]:
        MUTATIONS.append(Mutation(f"{klass}:{id}", klass, apply, verdict, code, function))
        return apply

    return register


def table_row(klass: str, id: str, verdict: Verdict, code: str, apply: Callable[[TemplateBuilder], Any]) -> None:
    MUTATIONS.append(Mutation(f"{klass}:{id}", klass, apply, verdict, code))
