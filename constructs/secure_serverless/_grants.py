"""What every kit grant method shares: finding L1 resources and keys, and who owns a resource.

Ownership makes a cross-service grant explicit. The first kit function granted a resource (a
table, a key, a bucket prefix) owns it. Granting it to another kit function is a cross-service
grant: it needs ``share_reason``, which marks the resource shared, with that reason, in *both*
functions' declared perimeters. Without a reason, the synth fails and says how to share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import IConstruct

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import actions_for

from ._tree import is_cfn_resource, path_of
from ._validation import ConfigurationError, Problems, has_reason

#: Why a SecureBucket's key is shared by every function of the bucket (and CDK's deployment helper).
BUCKET_KEY_SHARE_REASON = (
    "The bucket key encrypts every prefix of this bucket and is used only through S3 (kms:ViaService); "
    "isolation between the functions rests on their disjoint key prefixes."
)

if TYPE_CHECKING:
    from .encryption_key import EncryptionKey
    from .secure_function import SecureFunction

_OWNERS_ATTRIBUTE = "_secure_serverless_owners"
_CFN_ATTRIBUTE = "_secure_serverless_cfn"
_ROOT_ATTRIBUTE = "_secure_serverless_root"

#: The kit classes this low layer must recognise, registered by the modules that define them
#: (``secure_function`` registers "function", ``encryption_key`` registers "key"). Importing those
#: modules here would close an import cycle (they grant through this module); an unregistered kind
#: means no object of it exists yet.
_KIT_TYPES: dict[str, type] = {}


def register_kit_type(kind: str, cls: type) -> None:
    """Called once by the module that defines the kit class of ``kind`` ("function" or "key")."""
    _KIT_TYPES[kind] = cls


def is_kit(kind: str, value: object) -> bool:
    """Whether ``value`` is an instance of the kit class registered for ``kind``."""
    cls = _KIT_TYPES.get(kind)
    return cls is not None and isinstance(value, cls)


def kit_function_of(grantee: iam.IGrantable) -> SecureFunction | None:
    """The kit function behind ``grantee`` (itself, its ``lambda_.Function`` or its role), if any."""
    if is_kit("function", grantee):
        return grantee  # type: ignore[return-value]
    owner = getattr(grantee.grant_principal, "kit_function", None)
    return owner if is_kit("function", owner) else None


def via_services_condition(scope: IConstruct, services: Sequence[str]) -> dict[str, Any] | None:
    """``kms:ViaService`` for ``services`` in the scope's region (None when no service is given)."""
    region = cdk.Stack.of(scope).region
    if not services:
        return None
    return {"StringEquals": {"kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in services]}}


def cfn_of(construct: IConstruct) -> cdk.CfnResource:
    """The L1 resource of an L2 construct (its ``default_child``, followed through kit wrappers).

    Found once per construct object: a construct's default child, once it has one, stays.
    """
    known = vars(construct).get(_CFN_ATTRIBUTE)
    if known is not None:
        return known  # type: ignore[no-any-return]
    child = construct.node.default_child
    while child is not None and not is_cfn_resource(child) and child.node.default_child is not None:
        child = child.node.default_child  # a kit construct over an L2 (SecureQueue -> sqs.Queue -> CfnQueue)
    if is_cfn_resource(child):
        vars(construct)[_CFN_ATTRIBUTE] = child
        return child
    raise ConfigurationError(
        construct.node.path,
        [
            f"{construct.node.path} is imported or has no CloudFormation resource of its own: a kit "
            "function's perimeter can only name resources defined in the app; define it in a stack of the app"
        ],
    )


def key_of(key: EncryptionKey | kms.IKey, problems: Problems | None = None, option: str = "key") -> kms.IKey:
    """The ``kms.IKey`` of an ``EncryptionKey`` or of a key given directly.

    An imported key (``kms.Key.from_key_arn``) is recorded in ``problems`` when given: its key
    policy is outside the app, so neither cdk-nag nor the perimeter check can see who may use it.
    """
    ikey: kms.IKey = key.key if is_kit("key", key) else key  # type: ignore[union-attr]
    if problems is not None and not isinstance(ikey.node.default_child, kms.CfnKey):
        problems.add(
            option,
            ikey.node.path,
            "an imported key cannot be part of a declared perimeter (its key policy is not in the app); "
            "use an EncryptionKey or a kms.Key defined in the app",
        )
    return ikey


def _registry(scope: IConstruct) -> dict[str, dict[str, Any]]:
    root = vars(scope).get(_ROOT_ATTRIBUTE)
    if root is None:  # a construct's root never changes: read once per construct object
        root = scope.node.root
        vars(scope)[_ROOT_ATTRIBUTE] = root
    registry: dict[str, dict[str, Any]] | None = getattr(root, _OWNERS_ATTRIBUTE, None)
    if registry is None:
        registry = {"owners": {}, "shares": {}}
        setattr(root, _OWNERS_ATTRIBUTE, registry)
    return registry


def declare_owner(function: SecureFunction | None, *, resource: IConstruct, part: str = "", what: str) -> None:
    """Make ``function`` the owner of ``resource`` at construction (instead of its first grantee);
    None (a resource built without ``owner=``) declares nothing.

    Raises when another kit function already owns it.
    """
    if function is None:
        return
    owners = _registry(resource)["owners"]
    slot = f"{path_of(resource)}#{part}"
    owner = owners.get(slot)
    if owner is not None and owner is not function:
        raise ConfigurationError(
            function.node.path,
            [f"{what} is already owned by {owner.node.path}; a resource has one owning service"],
        )
    owners[slot] = function


def owner_of(resource: IConstruct, part: str = "") -> SecureFunction | None:
    """The kit function that owns ``resource`` (or ``part`` of it), if any."""
    owner: SecureFunction | None = _registry(resource)["owners"].get(f"{resource.node.path}#{part}")
    return owner


def owned_parts(resource: IConstruct) -> dict[str, SecureFunction]:
    """``{part: owner}`` of every owned part of ``resource`` (a bucket's key prefixes), in claim order."""
    head = f"{resource.node.path}#"
    owners: dict[str, SecureFunction] = _registry(resource)["owners"]
    return {slot[len(head) :]: owner for slot, owner in owners.items() if slot.startswith(head) and slot != head}


def share_of(resource: IConstruct, part: str = "") -> str | None:
    """The reason ``resource`` (or ``part`` of it) was declared shared, if it was."""
    reason: str | None = _registry(resource)["shares"].get(f"{resource.node.path}#{part}")
    return reason


def claim_ownership(
    function: SecureFunction,
    *,
    resource: IConstruct,
    part: str = "",
    what: str,
    share_reason: str | None,
) -> str | None:
    """Record ``function`` as owner of ``resource`` (or of ``part`` of it, e.g. a key prefix).

    The owner is the function declared at construction (``SecureQueue(owner=...)``), else the first
    kit function granted the resource. Returns the share reason to declare: ``None`` for the owner's
    own grant of an unshared resource, the reason for a deliberate share (the owner's perimeter is
    marked shared too, including grants the owner receives later). Raises for an accidental
    cross-service grant, naming the data path and the fix.
    """
    registry = _registry(resource)
    owners, shares = registry["owners"], registry["shares"]
    slot = f"{path_of(resource)}#{part}"
    owner: SecureFunction | None = owners.get(slot)
    if share_reason is not None and not has_reason(share_reason):
        raise ConfigurationError(function.node.path, [_reason_problem(share_reason)])
    if owner is None or owner is function:
        owners[slot] = function
        if share_reason is not None:
            shares.setdefault(slot, share_reason)
        return share_reason or shares.get(slot)
    if share_reason is None:
        problem = (
            f"{what} belongs to {owner.node.path}: granting it to {function.node.path} is a cross-service grant "
            f"(the data path {owner.node.path}'s data -> {what} -> {function.node.path}). If both services really "
            "need it, pass share_reason='<why>' (at least 20 characters); the resource is then declared shared, "
            "with that reason, in both functions' perimeters"
        )
        raise ConfigurationError(function.node.path, [problem])
    shares.setdefault(slot, share_reason)
    owner.perimeter.mark_shared(
        cfn_of(resource) if not isinstance(resource, cdk.CfnResource) else resource, share_reason
    )
    return share_reason


def plain_grant(
    grantee: iam.IGrantable,
    *,
    kind: str,
    access: str,
    resource_arns: Sequence[str],
    conditions: Mapping[str, Any] | None = None,
    key: kms.IKey | None = None,
    key_use: str | None = None,
) -> iam.Grant:
    """Exact actions of an access level for a grantee that is not a kit function (nothing to declare).

    With ``key`` and ``key_use``, the key use the access needs comes with it (CDK's ``key.grant``).
    """
    if key is not None and key_use is not None:
        key.grant(grantee, *actions_for(access_levels.KMS_KEY, key_use))
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=sorted(actions_for(kind, str(access))),
        resource_arns=list(resource_arns),
        conditions=dict(conditions) if conditions else None,
    )


def _reason_problem(share_reason: str) -> str:
    return (
        f"share_reason={share_reason!r}: give a real reason (at least 20 characters) that a security reviewer can check"
    )


def claim(
    function: SecureFunction,
    key: EncryptionKey | kms.IKey,
    access: str,
    *,
    via_services: Sequence[str] = (),
    share_reason: str | None = None,
) -> iam.Grant:
    """Let ``function`` use ``key`` with an access level, declared, with ownership applied.

    :param via_services: when given (e.g. ``["dynamodb"]``), the key can only be used through those
        services in this region (``kms:ViaService``), not called directly.
    """
    ikey = key_of(key)
    reason = claim_ownership(function, resource=ikey, what=f"the key {ikey.node.path}", share_reason=share_reason)
    conditions = via_services_condition(function, via_services)
    return function.allow(
        kind=access_levels.KMS_KEY,
        resource=cfn_of(ikey),
        access=access,
        resource_arns=[ikey.key_arn],
        conditions=conditions,
        share_reason=reason,
    )
