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

from collections.abc import Callable, Sequence
from typing import Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import HELPER_KEY, PERIMETER_METADATA_KEY

from ._tree import is_cfn_resource, is_instance, resource_type, resources_by_logical_id

#: The construct id CDK gives its notifications handler (aws-s3/lib/notifications-resource).
NOTIFICATIONS_HANDLER_ID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
_BASIC_EXECUTION_ROLE = "service-role/AWSLambdaBasicExecutionRole"
#: The construct id of the singleton provider of ``custom_resources.AwsCustomResource``.
AWS_CUSTOM_RESOURCE_PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"
_XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
_XRAY_REASON = (
    "X-Ray trace ingestion (PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions: AWS "
    "documents Resource '*' as the only form."
)
_PROVIDER_DLQ_REASON = (
    "CloudFormation invokes this custom-resource provider synchronously and records its failure on the stack "
    "event: Lambda sends only asynchronous invocations to a dead-letter queue, so one could never fire."
)


#: The id of the childless construct that carries the kit's helper pass (one per app or stage).
MARKER_ID = "SecureServerlessHelperPerimeters"


def declare_helper_perimeters(scope: IConstruct) -> None:
    """Give CDK's helper functions in ``scope``'s stack a declared perimeter at synth (idempotent)."""
    stack = cdk.Stack.of(scope)
    marker = _marker(cdk.Stage.of(stack) or stack.node.root)
    if not any(known is stack for known in marker.stacks):
        marker.stacks.append(stack)


def on_each_stack(app: cdk.App, action: Callable[[cdk.Stack], None]) -> None:
    """Call ``action(stack)`` for each stack of ``app`` in the same pass, once per synth (after its helpers).

    The stacks are those of ``declare_app_helper_perimeters(app)``, which this implies.
    """
    marker = _marker(app)
    marker.everything = True
    marker.stack_actions.append(action)


def declare_app_helper_perimeters(app: cdk.App) -> None:
    """Give CDK's helper functions in every stack of ``app`` a declared perimeter at synth (idempotent).

    What ``register_compliance_checks(app)`` calls: the stacks the app's own aspects reach (not those of
    a nested ``cdk.Stage``, which CDK synthesizes with its own aspects), whenever they were created.
    """
    _marker(app).everything = True


class _HelperMarker(Construct):
    """A childless construct whose only aspect is ``HelperPerimeters``: CDK visits it once per synth.

    An aspect added to an app or a stack visits every construct under it, and under jsii each visit is
    a call from Node.js into Python (about 250 in the reference app). On this construct it is one call,
    made at the same phase (before the app is prepared, so what the pass adds is prepared and rendered
    like anything else); the pass then finds the stacks with one ``node.find_all()``, and removes the
    marker, so neither the templates nor the assembly's tree show it.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        #: every stack of the scope (``declare_app_helper_perimeters``), else only ``stacks``
        self.everything = False
        self.stacks: list[cdk.Stack] = []
        #: more work for each target stack (``on_each_stack``)
        self.stack_actions: list[Callable[[cdk.Stack], None]] = []

    def targets(self) -> list[cdk.Stack]:
        """The stacks to declare, in construct-tree order, each with its nested stacks."""
        stage = self.node.scope
        assert stage is not None
        if self.everything:
            return _stacks_of_stage(stage)
        found: list[cdk.Stack] = []
        for stack in self.stacks:
            found += [c for c in stack.node.find_all() if is_instance(c, cdk.Stack)]  # itself first
        return found


def _marker(scope: IConstruct) -> _HelperMarker:
    existing = scope.node.try_find_child(MARKER_ID)
    if isinstance(existing, _HelperMarker):
        return existing
    marker = _HelperMarker(cast(Construct, scope), MARKER_ID)
    cdk.Aspects.of(marker).add(HelperPerimeters())
    return marker


def _stacks_of_stage(stage: IConstruct) -> list[cdk.Stack]:
    """The stacks under ``stage`` that its own synthesis (and its aspects) reaches: not a nested stage's."""
    found = stage.node.find_all()  # one request: the whole tree, each construct typed by jsii, in tree order
    stacks = [c for c in found if is_instance(c, cdk.Stack)]
    if not any(is_instance(c, cdk.Stage) for c in found[1:]):
        return stacks
    path = stage.node.path
    return [s for s in stacks if (cdk.Stage.of(s) or s.node.root).node.path == path]


@jsii.implements(cdk.IAspect)
class HelperPerimeters:
    """An aspect: CDK's helper functions get their declared perimeter, once per stack.

    The kit adds it to one childless construct (``declare_app_helper_perimeters``, called by
    ``register_compliance_checks(app)``; ``declare_helper_perimeters``, called by
    ``SecureBucket.add_event_notification`` for its stack, so the notifications handler is declared in an
    app without the checks too), which it visits once. Added to a stack or an app directly, it declares
    each stack it visits, as it did when it was added that way.
    """

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, _HelperMarker):
            done: set[str] = set()
            for stack in node.targets():
                path = stack.node.path
                if path not in done:
                    done.add(path)
                    declare_stack_helpers(stack)
                    for action in node.stack_actions:
                        action(stack)
            scope = node.node.scope
            if scope is not None:  # its work is done: it leaves no trace in the assembly's tree
                scope.node.try_remove_child(node.node.id)
        elif isinstance(node, cdk.Stack):
            declare_stack_helpers(node)


def declare_stack_helpers(stack: cdk.Stack) -> None:
    """Refuse the undeclarable helpers of ``stack`` and declare the others (once per stack)."""
    if getattr(stack, "_secure_serverless_helpers_done", False):
        return
    stack._secure_serverless_helpers_done = True  # type: ignore[attr-defined]
    from ._bucket_deployment_helper import declare_bucket_deployment_handlers
    from ._refused_helpers import refuse_undeclarable_helpers

    constructs = stack.node.find_all()  # one request for every pass below
    node = stack.node
    handler = node.try_find_child(NOTIFICATIONS_HANDLER_ID)
    if handler is not None:
        _declare_notifications_handler(stack, handler, constructs)
    provider = node.try_find_child(AWS_CUSTOM_RESOURCE_PROVIDER_ID)
    if provider is not None:
        _declare_custom_resource_provider(stack, provider, constructs)
        constructs = node.find_all()  # it may have added the provider's default policy
    refuse_undeclarable_helpers(stack, constructs)
    declare_bucket_deployment_handlers(stack, constructs)


def _configured_buckets(constructs: Sequence[IConstruct]) -> list[IConstruct]:
    """The buckets whose ``Custom::S3BucketNotifications`` resource the stack's handler serves.

    Each is the scope of a ``Notifications`` construct whose default child is that resource.
    """
    buckets = []
    for resource in constructs:
        if not is_cfn_resource(resource) or resource_type(resource) != "Custom::S3BucketNotifications":
            continue
        notifications = resource.node.scope
        if notifications is None or notifications.node.id != "Notifications":
            continue
        default = notifications.node.default_child
        bucket = notifications.node.scope
        if (
            default is not None
            and default.node.path == resource.node.path
            and bucket is not None
            and hasattr(bucket, "bucket_arn")
        ):
            buckets.append(bucket)
    return buckets


def _declare_notifications_handler(stack: cdk.Stack, handler: IConstruct, constructs: Sequence[IConstruct]) -> None:
    function = handler.node.default_child
    role = handler.node.try_find_child("Role")
    if not isinstance(function, cdk.CfnResource) or not isinstance(role, iam.Role):
        return  # a handler role given by the user (notifications_handler_role): its own policies are judged as is
    from ._grants import cfn_of

    buckets = _configured_buckets(constructs)
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


def _declare_custom_resource_provider(stack: cdk.Stack, provider: IConstruct, constructs: Sequence[IConstruct]) -> None:
    """``AwsCustomResource``'s provider: the SDK calls' resources of every custom resource it serves.

    Each resource its ``CustomResourcePolicy`` names, when defined in the app, is declared with the
    access level whose exact actions cover the calls (e.g. ``ssm-parameter`` ``read``); anything
    else stays undeclared, so the check refuses it (P07). Nothing is declared shared: a provider
    that reads a service's table is refused as a second reacher of that table (P13).
    """
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import custom_resources

    from ._acknowledge import acknowledge, iam5_resource

    function = provider.node.default_child
    role = provider.node.try_find_child("ServiceRole")
    if not isinstance(provider, lambda_.Function) or not isinstance(function, lambda_.CfnFunction):
        return
    if not isinstance(role, iam.Role):
        return
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    served = [c for c in constructs if is_instance(c, custom_resources.AwsCustomResource)]
    reach: list[dict[str, Any]] = []
    by_logical_id = resources_by_logical_id(stack, constructs)
    for custom in served:
        policy = custom.node.try_find_child("CustomResourcePolicy")
        if not isinstance(policy, iam.Policy):
            continue
        for statement in stack.resolve(policy.document.to_json()).get("Statement", []):
            actions = statement.get("Action", [])
            actions = actions if isinstance(actions, list) else [actions]
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                entry = _entry_for(by_logical_id, resource, actions)
                if entry is not None and entry not in reach:
                    reach.append(entry)
    managed = stack.resolve(cfn_role.managed_policy_arns) or []
    if len(managed) == 1 and _BASIC_EXECUTION_ROLE in str(managed[0]):
        cfn_role.managed_policy_arns = None
    function.memory_size = function.memory_size or 256
    function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
    role.add_to_principal_policy(iam.PolicyStatement(actions=_XRAY_ACTIONS, resources=["*"]))
    default_policy = role.node.try_find_child("DefaultPolicy")
    if default_policy is not None:
        acknowledge(default_policy, iam5_resource("*"), _XRAY_REASON)
    acknowledge(provider, "Serverless-LambdaDLQ", _PROVIDER_DLQ_REASON)
    function.add_metadata(
        PERIMETER_METADATA_KEY,
        {
            "version": 2,
            "role": stack.get_logical_id(cfn_role),
            "reach": reach,
            "wildcards": [{"actions": sorted(_XRAY_ACTIONS), "resource": "*", "reason": _XRAY_REASON}],
            HELPER_KEY: {
                "construct": provider.node.path,
                "what": "the provider of custom_resources.AwsCustomResource: makes the SDK calls of these custom "
                "resources at deploy time, with the actions their policies name",
                "configures": [c.node.path for c in served],
            },
        },
    )


def _entry_for(by_logical_id: dict[Any, cdk.CfnResource], resource: Any, actions: list[str]) -> dict[str, Any] | None:
    """A reach entry for one resource of a custom resource's policy, when it is a resource of the stack."""
    logical_id = _referenced_logical_id(resource)
    target = by_logical_id.get(logical_id) if logical_id is not None else None
    kind = access_levels.kind_of_type(resource_type(target)) if target is not None else None
    if kind is None or kind == access_levels.S3_PREFIX:
        return None
    wanted = {action.lower() for action in actions}
    levels = sorted(
        (len(exact), level)
        for level, exact in access_levels.ACCESS_LEVELS[kind].items()
        if wanted <= {action.lower() for action in exact}
    )
    if not levels:
        return None
    return {"kind": kind, "resource": logical_id, "access": levels[0][1], "shared": False}


def _referenced_logical_id(value: Any) -> str | None:
    """The one logical id an ARN expression names (``Fn::GetAtt [X, Arn]``, ``Ref X`` inside a join)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Fn::Join" in value:
        refs = [
            part["Ref"]
            for part in value["Fn::Join"][1]
            if isinstance(part, dict) and "Ref" in part and not str(part["Ref"]).startswith("AWS::")
        ]
        return str(refs[0]) if len(refs) == 1 else None
    return None
