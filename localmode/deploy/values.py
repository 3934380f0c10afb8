"""The values intrinsics resolve to in a stack (Ref, Fn::GetAtt, pseudo parameters), through the
library's one intrinsic resolver; a malformed or unknown intrinsic fails closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from ..emulator import ACCOUNT_ID
from .handling import DeployError


@contextmanager
def _malformed_intrinsics() -> Iterator[None]:
    try:
        yield
    except cfn_intrinsics.IntrinsicError as error:
        raise DeployError(f"malformed intrinsic: {error}") from error


def references(node: Any) -> Iterator[tuple[str, str | None]]:
    """Every (logical id, attribute or None) that ``node`` references (Ref, GetAtt, Sub)."""
    with _malformed_intrinsics():
        yield from cfn_intrinsics.references(node)


def replace_references(node: Any, replacements: dict[tuple[str, str | None], Any]) -> Any:
    """Replace Ref/GetAtt of the given targets by literal values (in a copy of ``node``)."""
    with _malformed_intrinsics():
        return cfn_intrinsics.replace_references(node, replacements)


@dataclass
class Values:
    """Known values of Ref and GetAtt, and the pseudo parameters, for resolving intrinsics."""

    region: str
    stack_name: str
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack_name}/local",
            "AWS::NoValue": "",
        }

    def ref(self, name: str) -> str:
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name not in self.refs:
            raise DeployError(f"no value for Ref {name} in stack {self.stack_name}")
        return self.refs[name]

    def attribute(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) not in self.attributes:
            raise DeployError(f"no value for Fn::GetAtt {logical_id}.{attribute} in stack {self.stack_name}")
        return self.attributes[(logical_id, attribute)]

    def resolve(self, node: Any) -> Any:
        """Resolve the intrinsics of ``node``; an intrinsic local mode does not know fails closed."""
        resolver = cfn_intrinsics.ConcreteResolver(ref=self.ref, get_att=self.attribute)
        try:
            return resolver.resolve(node)
        except cfn_intrinsics.IntrinsicError as error:
            raise DeployError(f"local mode cannot resolve an intrinsic of stack {self.stack_name}: {error}") from error
