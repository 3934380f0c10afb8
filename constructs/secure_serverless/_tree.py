"""Reading the construct tree with few jsii round trips.

Under jsii every property read of a CDK object is a request from Python to Node.js. What the kit
reads about many constructs at once goes through here:

- ``resource_type``: a generated L1 class (``iam.CfnRole``...) always has its class's
  ``CFN_RESOURCE_TYPE_NAME`` (its constructor passes it, and ``cfnResourceType`` is read-only): it
  is read once per class and process; only a plain ``cdk.CfnResource`` (custom resources, CDK's
  helpers) is asked for its own.
- ``is_plain_resource``: whether a resource may have any type at all (a plain ``cdk.CfnResource``),
  answered from its Python class alone.
- ``resources_by_logical_id``: a stack's resources by logical id, with one ``resolve`` for all.
- ``path_of``, ``node_of``: a construct's path (two requests: its node, the node's path) and node,
  read once per Python object; neither ever changes.
- ``is_cfn_resource``, ``is_instance``: ``isinstance(x, cdk.CfnResource)`` without Python's ABC machinery. ``CfnResource``
  is an abstract jsii class (an ``abc.ABCMeta``): the first negative ``isinstance`` for each Python
  class walks every loaded subclass of it (every generated L1 class, hundreds), about 75 ms for the
  250 constructs of the reference app. A construct's class is its jsii class (or a Python subclass of
  one), so the class's MRO says the same.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, TypeGuard, TypeVar

import aws_cdk as cdk
from constructs import IConstruct, Node

_GENERATED = "aws_cdk"
T = TypeVar("T")


@functools.cache
def _fixing_class(cls: type) -> type | None:
    """The generated aws-cdk-lib L1 class in ``cls``'s ancestry that fixes its resource type, if any."""
    for klass in cls.__mro__:
        if "CFN_RESOURCE_TYPE_NAME" in vars(klass):
            return klass if klass.__module__.split(".")[0] == _GENERATED else None
    return None


@functools.cache
def _class_type(cls: type) -> str:
    return str(cls.CFN_RESOURCE_TYPE_NAME)  # type: ignore[attr-defined]  # a static read: one request per class


def is_plain_resource(resource: cdk.CfnResource) -> bool:
    """True when ``resource``'s type is not fixed by its class (a plain ``cdk.CfnResource``: custom resources...)."""
    return _fixing_class(type(resource)) is None


def resource_type(resource: cdk.CfnResource) -> str:
    """``resource.cfn_resource_type``, read once per generated L1 class and process."""
    fixing = _fixing_class(type(resource))
    return _class_type(fixing) if fixing is not None else str(resource.cfn_resource_type)


def is_instance(construct: object, cls: type[T]) -> TypeGuard[T]:
    """``isinstance(construct, cls)`` for a jsii class ``cls``, from the construct's class's MRO (no ABC walk)."""
    return cls in type(construct).__mro__


def is_cfn_resource(construct: object) -> TypeGuard[cdk.CfnResource]:
    """``isinstance(construct, cdk.CfnResource)``, from the class's MRO (no ABC subclass walk)."""
    return cdk.CfnResource in type(construct).__mro__


_PATH_ATTRIBUTE = "_secure_serverless_path"
_NODE_ATTRIBUTE = "_secure_serverless_node"


def node_of(construct: IConstruct) -> Node:
    """``construct.node``, read once per Python object (a construct has one node for life)."""
    known = vars(construct).get(_NODE_ATTRIBUTE)
    if known is None:
        known = construct.node
        vars(construct)[_NODE_ATTRIBUTE] = known
    return known


def path_of(construct: IConstruct) -> str:
    """``construct.node.path``, read once per Python object (a construct's path never changes)."""
    known = vars(construct).get(_PATH_ATTRIBUTE)
    if known is None:
        known = str(node_of(construct).path)
        vars(construct)[_PATH_ATTRIBUTE] = known
    return known


def resources_by_logical_id(stack: cdk.Stack, constructs: Iterable[IConstruct]) -> dict[Any, cdk.CfnResource]:
    """The CloudFormation resources among ``constructs`` by their resolved logical id (one resolve for all)."""
    resources = [c for c in constructs if is_cfn_resource(c)]
    logical_ids = stack.resolve([stack.get_logical_id(r) for r in resources]) if resources else []
    return dict(zip(logical_ids, resources, strict=True))
