"""Declared perimeters for the Lambda functions CDK adds by itself (its "helpers").

``bucket.add_event_notification(...)`` (and every S3 event source) makes CDK add one singleton
function per stack, ``BucketNotificationsHandler...``, that writes the buckets' notification
configuration at deploy time. As CDK builds it, its role carries the AWS managed policy
``AWSLambdaBasicExecutionRole`` and has no declared perimeter: the perimeter check refuses it (P01,
P05, P07 on each bucket).

The kit gives it a perimeter limited to what its construct configures: ``s3:GetBucketNotification``
and ``s3:PutBucketNotification`` on exactly the buckets whose ``Custom::S3BucketNotifications``
resources it serves (CDK writes those statements per bucket), nothing else (no managed policy: it
writes no logs; a failure is reported to CloudFormation by the custom resource). The perimeter is recorded on the function as ``SecureServerless::Perimeter`` with the
helper's construct path and the buckets it configures, so the check proves it like any function:
it is never exempted. If anything else reached its role (another statement, another policy), the
kit leaves that in place and the check refuses it.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from . import access_levels
from .access_levels import PERIMETER_METADATA_KEY

#: The construct id CDK gives its notifications handler (aws-s3/lib/notifications-resource).
NOTIFICATIONS_HANDLER_ID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
_BASIC_EXECUTION_ROLE = "service-role/AWSLambdaBasicExecutionRole"
#: Where the kit records what a helper is (the analyzer reads only version, role, reach, wildcards).
HELPER_KEY = "helper"


def declare_helper_perimeters(scope: IConstruct) -> None:
    """Give CDK's helper functions in ``scope``'s stack a declared perimeter at synth (idempotent)."""
    stack = cdk.Stack.of(scope)
    if getattr(stack, "_secure_serverless_helper_aspect", False):
        return
    stack._secure_serverless_helper_aspect = True  # type: ignore[attr-defined]
    cdk.Aspects.of(stack).add(_HelperPerimeters(stack))


@jsii.implements(cdk.IAspect)
class _HelperPerimeters:
    def __init__(self, stack: cdk.Stack) -> None:
        self._stack = stack
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if self._done or node is not self._stack:
            return
        self._done = True
        handler = self._stack.node.try_find_child(NOTIFICATIONS_HANDLER_ID)
        if handler is not None:
            _declare_notifications_handler(self._stack, handler)


def _configured_buckets(stack: cdk.Stack, handler_function: cdk.CfnResource) -> list[IConstruct]:
    """The buckets whose ``Custom::S3BucketNotifications`` resource this handler serves."""
    buckets = []
    for construct in stack.node.find_all():
        child = construct.node.default_child
        if (
            construct.node.id == "Notifications"
            and isinstance(child, cdk.CfnResource)
            and child.cfn_resource_type == "Custom::S3BucketNotifications"
            and construct.node.scope is not None
            and hasattr(construct.node.scope, "bucket_arn")
        ):
            buckets.append(construct.node.scope)
    return buckets


def _declare_notifications_handler(stack: cdk.Stack, handler: IConstruct) -> None:
    function = handler.node.default_child
    role = handler.node.try_find_child("Role")
    if not isinstance(function, cdk.CfnResource) or not isinstance(role, iam.Role):
        return  # a handler role given by the user (notifications_handler_role): its own policies are judged as is
    from ._grants import cfn_of

    buckets = _configured_buckets(stack, function)
    if not buckets:
        return
    # CDK (2.275) writes the handler's statements per bucket, on that bucket's ARN only
    # ("<bucket>/NotificationsHandlerPolicy"); the perimeter check proves they stay there.
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    managed = stack.resolve(cfn_role.managed_policy_arns) or []
    if len(managed) == 1 and _BASIC_EXECUTION_ROLE in str(managed[0]):
        cfn_role.managed_policy_arns = None  # on the L1, so cdk-nag and the template agree
    paths = [b.node.path for b in buckets]
    function.add_metadata(
        PERIMETER_METADATA_KEY,
        {
            "version": 2,
            "role": stack.get_logical_id(cfn_role),
            "reach": [
                {
                    "kind": access_levels.S3_PREFIX,
                    "resource": stack.get_logical_id(cfn_of(bucket)),
                    "access": "configure-notifications",
                    "prefix": "",
                    "shared": False,
                }
                for bucket in buckets
            ],
            "wildcards": [],
            HELPER_KEY: {
                "construct": handler.node.path,
                "what": "CDK's S3 bucket notifications handler: writes the notification configuration of these "
                "buckets at deploy time, reads no object",
                "configures": paths,
            },
        },
    )
