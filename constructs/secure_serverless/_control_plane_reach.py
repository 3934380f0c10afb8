"""A kit function's declared control-plane reach: exact actions on exact resources, with a reason.

Some functions must act on the control plane (a deployer updating another function's
configuration, a rotator changing a key policy). ``SecureFunction.declare_control_plane_reach``
grants exactly that and records it in the function's perimeter (``control_plane``, its own kind in
the perimeter matrix); the perimeter check (P17) refuses any control-plane action that is not
declared this way. It refuses, here and in the check, what can never be declared: a pattern, a
data-plane action, ``*``, the function's own role (its policies, its trust) and the function's own
code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from secure_serverless_checks.perimeter.control_plane import is_control_plane

from ._grants import cfn_of
from ._validation import Problems, has_reason, is_token

if TYPE_CHECKING:
    from .secure_function import SecureFunction

#: Attributes of L2 constructs that hold their ARN, tried in order.
_ARN_ATTRIBUTES = (
    "role_arn",
    "function_arn",
    "managed_policy_arn",
    "key_arn",
    "bucket_arn",
    "table_arn",
    "queue_arn",
    "topic_arn",
    "secret_arn",
    "state_machine_arn",
)


def declare_control_plane_reach(
    function: SecureFunction,
    *,
    actions: Sequence[str],
    resources: Sequence[IConstruct | str],
    reason: str,
) -> iam.Grant:
    """Grant ``actions`` on ``resources`` to ``function``'s role and declare them (see the method)."""
    problems = Problems(f"{function.node.path}.declare_control_plane_reach")
    if not actions:
        problems.add("actions", actions, "name at least one exact control-plane action")
    for action in actions:
        if "*" in action or "?" in action:
            problems.add("actions", action, "write exact actions: a pattern is never declared")
        elif not is_control_plane(action):
            problems.add(
                "actions",
                action,
                "not a control-plane action: grant data access with the kit's grant methods (docs/library-grants.md)",
            )
    if not has_reason(reason):
        problems.add("reason", reason, "say why the function needs this control-plane reach (at least 20 characters)")
    if not resources:
        problems.add("resources", resources, "name the exact resources (constructs of the app or exact ARNs)")
    own = {function.role.node.path, function.function.node.path, function.node.path}
    names: list[str] = []
    arns: list[str] = []
    stack = cdk.Stack.of(function)
    for resource in resources:
        if isinstance(resource, str):
            if is_token(resource) or "*" in resource or "?" in resource or not resource.startswith("arn:"):
                problems.add(
                    "resources", resource, "an ARN must be a literal without wildcards; pass a construct instead"
                )
                continue
            names.append(resource)
            arns.append(resource)
            continue
        if resource.node.path in own or (resource.node.default_child is not None and resource.node.path in own):
            problems.add(
                "resources",
                resource.node.path,
                "a function's own role, trust and code can never be declared (it could rewrite its own perimeter)",
            )
            continue
        arn = _arn_of(resource)
        if arn is None:
            problems.add("resources", resource.node.path, "pass an L2 construct with an ARN (a role, a function, ...)")
            continue
        cfn = resource if isinstance(resource, cdk.CfnResource) else cfn_of(resource)
        names.append(stack.get_logical_id(cfn))
        arns.append(arn)
    problems.raise_if_any()
    function.perimeter.declare_control_plane(actions=list(actions), resources=names, reason=reason.strip())
    with function.role.kit_grant():
        return iam.Grant.add_to_principal(grantee=function.role, actions=sorted(actions), resource_arns=arns)


def _arn_of(resource: IConstruct) -> str | None:
    for attribute in _ARN_ATTRIBUTES:
        value = getattr(resource, attribute, None)
        if isinstance(value, str):
            return value
    value = getattr(resource, "attr_arn", None)
    return value if isinstance(value, str) else None
