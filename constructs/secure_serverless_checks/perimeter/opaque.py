"""Template features whose result the analyzer cannot see (P19): fail closed, name the feature.

- ``Fn::Transform`` (``AWS::Include`` and macros) anywhere inside a role, a policy, a user or group,
  a function, a data resource or a resource policy: the snippet it is replaced with is not in the
  template, so it may grant anything;
- CloudFormation modules (types ending in ``::MODULE``): they expand to resources at deploy time;
- StackSets, Service Catalog provisioned products, private registry types (not ``AWS::``,
  ``Custom::`` or ``Alexa::``) and custom resources whose provider (``ServiceToken``) is not a
  function of the assembly, when they are handed a role, a function or a data resource: code the
  analyzer never sees may change that role's policies or that resource's policy.

A stack-level ``Transform`` is already reported by the assembly (P14).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secure_serverless_checks import cfn_intrinsics
from secure_serverless_checks.access_levels import kind_of_type

from . import rules
from .assembly import Assembly
from .intrinsics import tokens
from .resource_policies import _READERS as _RESOURCE_POLICY_TYPES
from .rules import Rule
from .template import IAM_ROLE, LAMBDA_FUNCTION, TemplateIndex

#: Types whose content decides who reaches what: a transform inside them hides grants.
_SENSITIVE_PREFIXES = ("AWS::IAM::", "AWS::Lambda::", "AWS::Serverless::")
_HANDED_TYPES = frozenset(
    {IAM_ROLE, "AWS::IAM::InstanceProfile", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", LAMBDA_FUNCTION}
)
_EXTERNAL_RUNNERS = {
    "AWS::CloudFormation::StackSet": "a StackSet (its stacks deploy templates the analyzer never reads)",
    "AWS::ServiceCatalog::CloudFormationProvisionedProduct": (
        "a Service Catalog provisioned product (its template is not in the assembly)"
    ),
}
_PUBLIC_NAMESPACES = ("AWS::", "Custom::", "Alexa::")
_CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"
_FIX = (
    "write the resources out in the template (synthesize what the transform, module, product or provider "
    "creates) or hand it no role and no data resource"
)

Finding = tuple[str, Rule, str]


def opaque_findings(assembly: Assembly, template: str) -> list[Finding]:
    """(resource, rule, message) for every opaque feature of one template."""
    index = assembly.indexes[template]
    findings: list[Finding] = []
    resources = index.template.get("Resources", {})
    if isinstance(resources, dict) and "Fn::Transform" in resources:
        findings.append(("Resources", rules.OPAQUE_TEMPLATE, f"Resources holds Fn::Transform: {_FIX}"))
    # One pass of an encoder in C tells whether any walk for Fn::Transform is needed at all (TemplateIndex.mentions).
    has_transform = index.mentions("Fn::Transform")
    for logical_id in sorted(index.resources):
        resource_type = index.type_of(logical_id)
        resource = index.resources[logical_id]
        if resource_type.endswith("::MODULE"):
            findings.append(
                (
                    logical_id,
                    rules.OPAQUE_TEMPLATE,
                    f"{logical_id} is the CloudFormation module {resource_type}: the resources it expands to are "
                    f"not in the template; {_FIX}",
                )
            )
            continue
        if has_transform and _sensitive(resource_type):
            for path in _transforms(resource, logical_id, 0):
                findings.append(
                    (
                        logical_id,
                        rules.OPAQUE_TEMPLATE,
                        f"{path} is Fn::Transform (AWS::Include or a macro) inside {logical_id} ({resource_type}): "
                        f"what it is replaced with may grant anything; {_FIX}",
                    )
                )
        feature = _external_runner(assembly, template, index, logical_id, resource_type)
        if feature:
            handed = sorted(set(_handed(assembly, template, index, logical_id)))
            if handed:
                findings.append(
                    (
                        logical_id,
                        rules.OPAQUE_TEMPLATE,
                        f"{logical_id} is {feature} and is handed {', '.join(handed)}: what it does with them is "
                        f"not in the template; {_FIX}",
                    )
                )
    return findings


def _sensitive(resource_type: str) -> bool:
    return (
        resource_type.startswith(_SENSITIVE_PREFIXES)
        or resource_type in _RESOURCE_POLICY_TYPES
        or kind_of_type(resource_type) is not None
    )


def _transforms(node: Any, path: str, depth: int) -> Iterator[str]:
    cfn_intrinsics.check_depth(depth)
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::Transform":
                yield f"{path}.Fn::Transform"
            else:
                yield from _transforms(value, f"{path}.{key}", depth + 1)
    elif isinstance(node, list):
        for position, item in enumerate(node):
            yield from _transforms(item, f"{path}[{position}]", depth + 1)


def _external_runner(assembly: Assembly, template: str, index: TemplateIndex, logical_id: str, kind: str) -> str:
    """What kind of opaque runner ``logical_id`` is ("" when the analyzer sees what it does)."""
    if kind in _EXTERNAL_RUNNERS:
        return _EXTERNAL_RUNNERS[kind]
    if kind == _CUSTOM_RESOURCE or kind.startswith("Custom::"):
        token = index.properties(logical_id).get("ServiceToken")
        if token is not None and _is_assembly_function(assembly, template, token, f"{logical_id}.ServiceToken"):
            return ""
        return "a custom resource whose provider (ServiceToken) is not a function of the assembly"
    if not kind.startswith(_PUBLIC_NAMESPACES):
        return f"the private registry type {kind} (its handler is not in the assembly)"
    return ""


def _is_assembly_function(assembly: Assembly, template: str, token: Any, where: str) -> bool:
    alternatives = assembly.resolvers[template].resolve_all(token, where)
    for sym in alternatives:
        found = [t for t in tokens(sym) if t.kind in ("ref", "getatt")]
        if len(found) != 1:
            return False
        owner = assembly.indexes.get(found[0].stack or template)
        if owner is None or owner.type_of(found[0].name) != LAMBDA_FUNCTION:
            return False
    return bool(alternatives)


def _handed(assembly: Assembly, template: str, index: TemplateIndex, logical_id: str) -> Iterator[str]:
    """Roles, functions and data resources the resource's properties name (imports followed)."""
    properties = index.properties(logical_id)
    for referenced, _ in cfn_intrinsics.references(properties):
        if _is_handed_type(index.type_of(referenced)):
            yield f"{referenced} ({index.type_of(referenced)})"
    for value in _imports(properties, 0):
        for sym in assembly.resolvers[template].resolve_all(value, f"{logical_id}.Fn::ImportValue"):
            for token in tokens(sym):
                owner = assembly.indexes.get(token.stack or template)
                if owner is not None and token.kind in ("ref", "getatt") and _is_handed_type(owner.type_of(token.name)):
                    yield f"{owner.name}/{token.name} ({owner.type_of(token.name)})"


def _is_handed_type(resource_type: str) -> bool:
    return resource_type in _HANDED_TYPES or kind_of_type(resource_type) is not None


def _imports(node: Any, depth: int) -> Iterator[Any]:
    cfn_intrinsics.check_depth(depth)
    if isinstance(node, dict):
        if set(node) == {"Fn::ImportValue"}:
            yield node
            return
        for value in node.values():
            yield from _imports(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _imports(item, depth + 1)
