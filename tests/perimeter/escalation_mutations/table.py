"""Issue 21's table: the case type, its registry ``CASES``, the fix words and the shared helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from perimeter_support import NOTES_FUNCTION, TemplateBuilder

Verdict = Literal["fail", "pass", "error"]
Assembly = dict[str, dict[str, Any]]

PARTITION, ACCOUNT = {"Ref": "AWS::Partition"}, {"Ref": "AWS::AccountId"}
#: The words each new rule's message must hold: its fix.
FIX_WORDS = {
    "P16": "pass no credentials",
    "P17": "declare_control_plane_reach",
    "P18": "lambda.amazonaws.com",
    "P19": "write the resources out",
}


@dataclass(frozen=True)
class Case:
    id: str
    klass: str
    apply: Callable[[TemplateBuilder], Assembly | None]
    verdict: Verdict
    code: str = ""
    function: str = NOTES_FUNCTION
    resource: str | None = None
    mentions: tuple[str, ...] = ()


CASES: list[Case] = []


def case(
    klass: str,
    id: str,
    verdict: Verdict,
    code: str = "",
    *,
    function: str = NOTES_FUNCTION,
    resource: str | None = None,
    mentions: tuple[str, ...] = (),
) -> Callable[[Callable[[TemplateBuilder], Any]], Callable[[TemplateBuilder], Any]]:
    def register(apply: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], Any]:
        CASES.append(Case(f"{klass}:{id}", klass, apply, verdict, code, function, resource, mentions))
        return apply

    return register


def add(b: TemplateBuilder, logical_id: str, resource_type: str, **properties: Any) -> None:
    b.resources[logical_id] = {"Type": resource_type, "Properties": properties}


def role_named(b: TemplateBuilder, role: str, name: Any) -> None:
    b.resources[role]["Properties"]["RoleName"] = name


def control_plane(b: TemplateBuilder, function: str, actions: list[str], resources: list[str], reason: str) -> None:
    b.perimeter(function)["control_plane"] = [{"actions": actions, "resources": resources, "reason": reason}]
