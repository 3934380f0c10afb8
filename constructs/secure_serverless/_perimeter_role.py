"""The execution role of a kit function: no grant is ever silently dropped.

CDK writes permissions into a role from many places: ``grant_*`` of every L2, ``add_to_role_policy``,
``attach_inline_policy``, ``add_managed_policy``, event sources, and the Lambda construct itself
(X-Ray, the dead-letter queue, a VPC). A kit function's perimeter must stay exact and declared, so
its role has three modes:

- *building*: while the kit constructs the function, the statements CDK adds on its own are
  dropped, because the kit writes the exact statements itself (CDK's are broader: ``s3:GetObject*``,
  ``kms:GenerateDataKey*``, AWS managed policies);
- *kit grant*: a kit grant method (``SecureTable.grant`` and friends) adds its exact statement,
  which goes into the function's own customer-managed policy and is declared in its perimeter;
- *sealed* (every other moment): anything else that reaches the role is a foreign grant. It is kept
  in the template, so the template shows what was attempted, and the synth fails with one message per
  grant, naming where it came from and the kit method to use instead.

CDK's ``without_policy_updates()`` (which the kit used before) accepts and drops such grants with no
error, so a plain ``table.grant_read_data(fn)`` did nothing and surfaced as AccessDenied in production.
"""

from __future__ import annotations

import contextlib
import enum
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import IValidation

_PACKAGE_DIR = Path(__file__).resolve().parent
#: Frames from these places are CDK or jsii internals, never the user's call site.
_INTERNAL_PARTS = ("/jsii/", "/aws_cdk/", "/constructs/_jsii", "/typeguard/", "/contextlib.py")

#: action service prefix -> the kit method that grants it exactly and records it.
_KIT_METHODS = {
    "dynamodb": "SecureTable.grant(function, TableAccess.READ | WRITE | READ_WRITE) "
    "(or grant_read_data / grant_write_data / grant_read_write_data / grant_stream_read on the SecureTable), "
    "and SecureFunction.consume_table_stream(table) for a stream event source",
    "s3": "SecureBucket.grant_prefix(function, prefix='<prefix>/', access=PrefixAccess.READ | ...)",
    "kms": "EncryptionKey.grant(function, KeyAccess.DECRYPT | ENCRYPT | ENCRYPT_DECRYPT) "
    "(kit grants on tables and buckets include the key use they need)",
    "lambda": "SecureFunction.grant_invoke(caller) on the function to be invoked",
    "sqs": "SecureFunction.consume_queue(queue) for an event source, SecureFunction.produce_to(queue) to send "
    "(queue.grant_send_messages(fn) and queue.grant_consume_messages(fn) land there too)",
    "sns": "SecureFunction.produce_to(topic) to publish (topic.grant_publish(fn) lands there too)",
}
_GENERIC_METHOD = (
    "SecureFunction.allow(kind=..., resource=..., access=..., resource_arns=[...]) with an access level of "
    "secure_serverless_checks.access_levels"
)


class _Mode(enum.Enum):
    BUILDING = "building"
    KIT_GRANT = "kit grant"
    SEALED = "sealed"


@dataclass(frozen=True)
class ForeignGrant:
    """A permission that reached the role outside the kit's grant methods."""

    what: str
    call_site: str
    services: tuple[str, ...]
    #: a policy attached whole: its statements may be added after it is attached, so read at synth
    document: iam.PolicyDocument | None = None
    #: a CDK grant the pipeline recognized but refused (e.g. cross-service): the whole message
    refusal: str | None = None

    def message(self, function_path: str) -> str:
        if self.refusal is not None:
            return f"{self.refusal} ({self.what} on kit function {function_path}, {self.call_site})"
        services = self.services + (_services_of(self.document) if self.document is not None else ())
        fixes = [_KIT_METHODS[s] for s in services if s in _KIT_METHODS] or [_GENERIC_METHOD]
        return (
            f"SecureServerless-ForeignGrant: {self.what} was added to the role of kit function {function_path} "
            f"outside the kit ({self.call_site}). A kit function's access changes only through the kit's grant "
            f"methods, which write exact actions and record them in its declared perimeter; CDK's own grants are "
            f"broader and unrecorded. Use instead: {'; '.join(dict.fromkeys(fixes))}. See docs/library-grants.md."
        )


def _call_site() -> str:
    """The innermost frame of user code: neither this package nor CDK/jsii internals."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        filename = frame.filename.replace("\\", "/")
        if filename.startswith(str(_PACKAGE_DIR)) or any(part in filename for part in _INTERNAL_PARTS):
            continue
        return f"called from {frame.filename}:{frame.lineno}"
    return "call site unknown"


class PerimeterRole(iam.Role):
    """An ``iam.Role`` whose policy changes are either kit grants, dropped CDK defaults, or errors."""

    _mode: _Mode
    _kit_policy: iam.ManagedPolicy | None
    foreign_grants: list[ForeignGrant]
    #: the SecureFunction this role belongs to (set by SecureFunction; how grants find the kit function)
    kit_function: Any = None

    def _state(self) -> tuple[_Mode, list[ForeignGrant]]:
        # jsii may call an override before __init__ finished; the defaults describe that moment.
        if not hasattr(self, "_mode"):
            self._mode = _Mode.BUILDING
            self._kit_policy = None
            self.foreign_grants = []
        return self._mode, self.foreign_grants

    def use_kit_policy(self, policy: iam.ManagedPolicy) -> None:
        """The customer-managed policy that receives kit grants."""
        self._state()
        self._kit_policy = policy

    def seal(self) -> None:
        """From now on, only kit grants may change the role."""
        self._state()
        self._mode = _Mode.SEALED

    def building(self) -> contextlib.AbstractContextManager[None]:
        """Drop CDK's automatic statements while the kit wires something whose exact statements it writes."""
        return self._in_mode(_Mode.BUILDING)

    def kit_grant(self) -> contextlib.AbstractContextManager[None]:
        """Route statements into the function's own managed policy (used by the kit's grant methods)."""
        return self._in_mode(_Mode.KIT_GRANT)

    @contextlib.contextmanager
    def _in_mode(self, mode: _Mode) -> Iterator[None]:
        previous, _ = self._state()
        self._mode = mode
        try:
            yield
        finally:
            self._mode = previous

    # ------------------------------------------------------------------ the overridden paths
    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        mode, foreign = self._state()
        if mode is _Mode.BUILDING:
            # CDK requires a dependable with statement_added=True: the kit's own policy holds the exact statements.
            return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._kit_policy or self)
        if mode is _Mode.KIT_GRANT and self._kit_policy is not None:
            self._kit_policy.add_statements(statement)
            return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._kit_policy)
        if self.kit_function is not None:
            # One of CDK's own grants (queue.grant_send_messages(fn), key.grant_decrypt(fn), ...)
            # lands in the kit's pipeline as the access level that covers it.
            from ._cdk_grants import land

            landing = land(self.kit_function, statement, self._via())
            if landing.landed:
                return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._kit_policy or self)
            if landing.refusal is not None:
                described = _describe_statement(self, statement)
                foreign.append(
                    ForeignGrant(
                        what=described.what,
                        call_site=described.call_site,
                        services=described.services,
                        refusal=landing.refusal,
                    )
                )
                return super().add_to_principal_policy(statement)
        foreign.append(_describe_statement(self, statement))
        return super().add_to_principal_policy(statement)

    def refuse(self, what: str, refusal: str) -> None:
        """Record a grant the kit's pipeline recognized and refused: the synth fails with ``refusal``."""
        _, foreign = self._state()
        foreign.append(ForeignGrant(what=what, call_site=_call_site(), services=(), refusal=refusal))

    def _via(self) -> dict[str, Any]:
        via: dict[str, Any] | None = getattr(self, "_via_context", None)
        if via is None:
            via = {}
            self._via_context = via
        return via

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def attach_inline_policy(self, policy: iam.Policy) -> None:
        mode, foreign = self._state()
        # CDK's DefaultPolicy holds the foreign statements already reported one by one.
        is_default_policy = policy.node.id == "DefaultPolicy" and policy.node.scope is self
        if mode is not _Mode.BUILDING and not is_default_policy:
            foreign.append(
                ForeignGrant(
                    what=f"the inline policy {policy.node.path}",
                    call_site=_call_site(),
                    services=(),
                    document=policy.document,
                )
            )
        super().attach_inline_policy(policy)

    def add_managed_policy(self, policy: iam.IManagedPolicy) -> None:
        mode, foreign = self._state()
        if mode is _Mode.BUILDING:
            return  # e.g. AWSLambdaVPCAccessExecutionRole: the kit writes the exact statements itself
        if policy is self._kit_policy:
            super().add_managed_policy(policy)
            return
        arn = cdk.Stack.of(self).resolve(policy.managed_policy_arn)
        foreign.append(ForeignGrant(what=f"the managed policy {_render(arn)}", call_site=_call_site(), services=()))
        super().add_managed_policy(policy)


def _services_of(document: iam.PolicyDocument) -> tuple[str, ...]:
    statements = document.to_json().get("Statement", []) if not document.is_empty else []
    services: list[str] = []
    for statement in statements:
        services.extend(_action_services(statement.get("Action", [])))
    return tuple(dict.fromkeys(services))


def _action_services(actions: Any) -> list[str]:
    listed = actions if isinstance(actions, list) else [actions]
    return [str(action).split(":", 1)[0] for action in listed if isinstance(action, str)]


def _describe_statement(role: PerimeterRole, statement: iam.PolicyStatement) -> ForeignGrant:
    resolved = cdk.Stack.of(role).resolve(statement.to_statement_json())
    actions = resolved.get("Action", resolved.get("NotAction", []))
    resources = resolved.get("Resource", resolved.get("NotResource", []))
    action_list = actions if isinstance(actions, list) else [actions]
    resource_list = resources if isinstance(resources, list) else [resources]
    what = f"a statement allowing [{', '.join(map(str, action_list))}] on [{', '.join(map(_render, resource_list))}]"
    return ForeignGrant(what=what, call_site=_call_site(), services=tuple(dict.fromkeys(_action_services(actions))))


def _render(value: Any) -> str:
    """A short, readable form of a resolved CloudFormation value (``Table.Arn``, ``${Table.Arn}/index/*``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Fn::GetAtt" and isinstance(argument, list):
            return ".".join(map(str, argument))
        if name == "Ref":
            return str(argument)
        if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            return str(separator).join(part if isinstance(part, str) else "${" + _render(part) + "}" for part in parts)
    return str(value)


@jsii.implements(IValidation)
class ForeignGrantValidation:
    """Fails the synth for every foreign grant on one kit function's role."""

    def __init__(self, function_path: str, role: PerimeterRole) -> None:
        self._function_path = function_path
        self._role = role

    def validate(self) -> list[str]:
        _, foreign = self._role._state()
        return [grant.message(self._function_path) for grant in foreign]
