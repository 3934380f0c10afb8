"""The kit's helper pass: one Node.js -> Python call per synth, the same result as an aspect on every construct.

``register_compliance_checks`` (``declare_app_helper_perimeters``) and ``SecureBucket.add_event_notification``
(``declare_helper_perimeters``) put the ``HelperPerimeters`` aspect on one childless construct, not on the
app or the stack: CDK then calls into Python once per synth instead of once per construct. These tests
hold it to what the whole-tree aspect did: every stack reached (created before or after the
registration, nested in plain constructs, in a nested ``cdk.Stage`` through its own registration), the
same templates and perimeter records, the same refusals, and nothing left in the assembly's tree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct

from cdk_support import new_app
from secure_serverless import Invocation, PrefixAccess, SecureBucket, TableFunction
from secure_serverless._errors_first import kit_message
from secure_serverless._tree import is_plain_resource, resource_type, resources_by_logical_id
from secure_serverless._validation import ConfigurationError
from secure_serverless.helper_perimeters import (
    MARKER_ID,
    HelperPerimeters,
    declare_app_helper_perimeters,
)
from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
PK = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)


@pytest.fixture
def visits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The type of every node CDK hands to HelperPerimeters.visit."""
    seen: list[str] = []
    original = HelperPerimeters.visit

    def counting(self: HelperPerimeters, node: Any) -> None:
        seen.append(type(node).__name__)
        original(self, node)

    monkeypatch.setattr(HelperPerimeters, "visit", counting)
    yield seen


def _notified_bucket(stack: cdk.Stack) -> None:
    """A kit bucket whose prefix notifies a kit function: CDK's notifications handler is the helper."""
    thumbs = TableFunction(
        stack, "Thumbs", code=CODE, handler="index.handler", partition_key=PK, invocation=Invocation.ASYNCHRONOUS
    )
    images = SecureBucket(stack, "Images")
    images.grant_prefix(thumbs.function, prefix="images/", access=PrefixAccess.READ)
    from aws_cdk import aws_s3_notifications as s3n

    images.add_event_notification(
        s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(thumbs.function), s3.NotificationKeyFilter(prefix="images/")
    )


def _helpers(stack: cdk.Stack) -> None:
    """Every helper the pass declares: notifications handler, BucketDeployment, AwsCustomResource provider."""
    _notified_bucket(stack)
    site = SecureBucket(stack, "Site")
    s3_deployment.BucketDeployment(
        stack,
        "Docs",
        sources=[s3_deployment.Source.data("index.html", "<h1>docs</h1>")],
        destination_bucket=site,
        destination_key_prefix="docs/",
    )
    cr.AwsCustomResource(
        stack,
        "Lookup",
        on_create=cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": "/app/flag"},
            physical_resource_id=cr.PhysicalResourceId.of("flag"),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
    )
    for number in range(20):  # constructs the whole-tree aspect visited one by one
        sqs.Queue(stack, f"Filler{number}", enforce_ssl=True)


def _synth(register: Callable[[cdk.App], None], outdir: Path) -> cdk.cx_api.CloudAssembly:
    app = new_app(outdir=str(outdir))
    register(app)
    _helpers(cdk.Stack(app, "First"))
    _helpers(cdk.Stack(Construct(app, "Group"), "Second"))  # a stack nested in a plain construct
    return app.synth()


def _whole_tree(app: cdk.App) -> None:
    cdk.Aspects.of(app).add(HelperPerimeters())  # what register_compliance_checks added until round 3


def _declared(template: dict[str, Any]) -> dict[str, Any]:
    return {
        logical_id: resource["Metadata"][PERIMETER_METADATA_KEY]
        for logical_id, resource in template["Resources"].items()
        if PERIMETER_METADATA_KEY in resource.get("Metadata", {})
        and "helper" in resource["Metadata"][PERIMETER_METADATA_KEY]
    }


def test_one_call_per_synth_and_the_same_assembly_as_the_whole_tree_aspect(visits: list[str], tmp_path: Path) -> None:
    passed = _synth(declare_app_helper_perimeters, tmp_path / "pass")
    calls_of_the_pass = list(visits)
    visits.clear()
    whole = _synth(_whole_tree, tmp_path / "whole")

    assert calls_of_the_pass == ["_HelperMarker"]
    assert len(visits) > 150 and visits.count("Stack") == 2  # every construct of both stacks, one call each
    assert len(passed.stacks) == 2
    for stack in passed.stacks:
        assert stack.template == whole.get_stack_by_name(stack.stack_name).template, stack.stack_name
        # the notifications handler, the BucketDeployment handler and the AwsCustomResource provider
        assert len(_declared(stack.template)) == 3, stack.stack_name
    files = sorted(p.relative_to(tmp_path / "pass") for p in (tmp_path / "pass").glob("*.json"))
    assert files == sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").glob("*.json"))
    for name in files:  # templates, manifest, tree.json: byte for byte
        assert (tmp_path / "pass" / name).read_text() == (tmp_path / "whole" / name).read_text(), name


def test_the_marker_leaves_no_trace_in_the_tree(tmp_path: Path) -> None:
    app = new_app(outdir=str(tmp_path))
    declare_app_helper_perimeters(app)
    declare_app_helper_perimeters(app)  # idempotent: one marker
    assert [c.node.id for c in app.node.children] == [MARKER_ID]
    sqs.Queue(cdk.Stack(app, "Only"), "Queue", enforce_ssl=True)
    app.synth()
    assert app.node.try_find_child(MARKER_ID) is None
    assert MARKER_ID not in (tmp_path / "tree.json").read_text()


def _log_retention(stack: cdk.Stack) -> None:
    lambda_.Function(
        stack,
        "Plain",
        code=CODE,
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
        log_retention=logs.RetentionDays.ONE_WEEK,
    )


def test_a_stack_created_after_the_registration_deep_in_the_tree_is_refused(visits: list[str]) -> None:
    app = new_app()
    declare_app_helper_perimeters(app)
    sqs.Queue(cdk.Stack(app, "Clean"), "Queue", enforce_ssl=True)
    deep = cdk.Stack(Construct(Construct(app, "Team"), "Apps"), "Late")
    _log_retention(deep)
    s3.Bucket(deep, "Scratch", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    with pytest.raises((ConfigurationError, RuntimeError)) as raised:
        app.synth()
    message = str(raised.value)
    assert "invalid configuration (2 problem(s))" in message
    # the errors-first hook finds the kit's message first, as for any error raised in a jsii callback
    first = kit_message(raised.value)
    assert first is not None and first.startswith("Team/Apps/Late: invalid configuration (2 problem(s))"), first
    assert "Team/Apps/Late/Plain: log_retention=" in message
    assert "Team/Apps/Late/Scratch: auto_delete_objects=True" in message
    assert visits == ["_HelperMarker"]


def test_a_nested_stage_gets_its_own_pass_from_the_bucket(tmp_path: Path, visits: list[str]) -> None:
    """CDK synthesizes a nested Stage with its own aspects: the bucket registers the pass there."""
    app = new_app(outdir=str(tmp_path))
    declare_app_helper_perimeters(app)
    stage = cdk.Stage(app, "Prod")
    stack = cdk.Stack(stage, "Media")
    _notified_bucket(stack)
    assembly = app.synth()
    template = assembly.get_nested_assembly(stage.artifact_id).get_stack_by_name(stack.stack_name).template
    (declared,) = _declared(template).values()
    assert declared["helper"]["configures"] == ["Prod/Media/Images"]
    assert visits == ["_HelperMarker", "_HelperMarker"]  # the stage's, then the app's (which has no stack)


def test_resource_types_are_read_once_per_generated_class_and_per_plain_resource() -> None:
    stack = cdk.Stack(new_app(), "Types")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    plain = cdk.CfnResource(stack, "Plain", type="Custom::Anything")
    custom = cdk.CustomResource(
        stack, "Custom", service_token="arn:aws:lambda:::function:x", resource_type="Custom::Other"
    )

    class MyQueue(sqs.CfnQueue):
        pass

    mine = MyQueue(stack, "Mine")
    cfn_role = role.node.default_child
    custom_cfn = custom.node.default_child
    assert isinstance(cfn_role, iam.CfnRole) and isinstance(custom_cfn, cdk.CfnResource)
    for resource in (cfn_role, plain, custom_cfn, mine):
        assert resource_type(resource) == resource.cfn_resource_type
    assert [is_plain_resource(r) for r in (cfn_role, plain, custom_cfn, mine)] == [False, True, True, False]
    found = resources_by_logical_id(stack, stack.node.find_all())
    assert {k: v.node.path for k, v in found.items()} == {
        stack.resolve(stack.get_logical_id(r)): r.node.path for r in (cfn_role, plain, custom_cfn, mine)
    }


def test_the_pass_changes_nothing_in_a_stack_without_helpers(tmp_path: Path) -> None:
    def build(register: Callable[[cdk.App], None], outdir: Path) -> str:
        app = new_app(outdir=str(outdir))
        register(app)
        stack = cdk.Stack(app, "Plain")
        TableFunction(
            stack, "Orders", code=CODE, handler="index.handler", partition_key=PK, invocation=Invocation.SYNCHRONOUS
        )
        app.synth()
        return json.dumps(json.loads((outdir / "Plain.template.json").read_text()), sort_keys=True)

    assert build(declare_app_helper_perimeters, tmp_path / "a") == build(lambda app: None, tmp_path / "b")


@pytest.fixture
def aspect_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every ``visit`` call Node.js makes into Python (any aspect in Python)."""
    import jsii._kernel as kernel

    seen: list[str] = []
    original = kernel._handle_callback

    def counting(k: Any, callback: Any) -> Any:
        invoke = getattr(callback, "invoke", None)
        if invoke is not None and invoke.method == "visit":
            seen.append(invoke.method)
        return original(k, callback)

    monkeypatch.setattr(kernel, "_handle_callback", counting)
    yield seen


def test_the_perimeter_off_reason_is_recorded_in_every_stack_in_the_same_pass(
    aspect_calls: list[str], tmp_path: Path
) -> None:
    from secure_serverless.compliance import PERIMETER_CHECK_OFF_KEY, register_compliance_checks

    reason = "A throwaway sandbox app with no data; its functions reach nothing of another team."
    app = new_app(outdir=str(tmp_path))
    register_compliance_checks(app, packs=(), perimeter=False, perimeter_off_reason=reason)
    first = cdk.Stack(app, "First")
    second = cdk.Stack(Construct(app, "Group"), "Second")
    for stack in (first, second):
        for number in range(10):
            sqs.Queue(stack, f"Queue{number}", enforce_ssl=True)
    assembly = app.synth()

    for stack in (first, second):
        recorded = [
            entry.data
            for entry in assembly.get_stack_artifact(stack.artifact_id).find_metadata_by_type(PERIMETER_CHECK_OFF_KEY)
        ]
        assert recorded == [reason], stack.node.path
    assert len(aspect_calls) == 1  # one call for the whole app, not one per construct
