"""Everyday CDK compositions around kit services, from the wheel, under the pinned ``cdk synth``.

``compositions_app.py`` holds every composition in ONE app (one stack each) with
``register_compliance_checks(app)`` (cdk-nag AwsSolutions + Serverless and the perimeter check);
one ``cdk synth`` per test session proves them all: exit 0, no cdk-nag or perimeter finding, and
the perimeter matrix shows each CDK call landed as the exact kit access level. ``leaks_app.py``
builds each composition carrying another service's data, in one more process: each must be refused
with a message that names the path (A's data -> ... -> B) and the fix. A composition may have more
than one leak variant (``EXTRA_VARIANTS``: a BucketDeployment into another service's prefix, and one
from another service's objects).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from consumer_support import ConsumerVenv

from secure_serverless_checks.perimeter import analyze, load_path

HERE = Path(__file__).resolve().parent
#: Compositions synthesized by ``cdk synth``.
PASSING = [
    "QueuePair",
    "TopicPublish",
    "BucketNotification",
    "SharedStream",
    "FanOut",
    "Schedule",
    "StepFunctionsTable",
    "ApiIntegration",
    "S3ToLambda",
    "SharedStreamFanOut",
    "QueueWithKitKey",
    "InvokeOther",
    "OwnStreamEventSource",
    "CustomResourceSsm",
    "BucketDeployment",
]
#: leak variant -> the composition it varies (when the variant's name is not the composition's).
EXTRA_VARIANTS = {"BucketDeploymentSource": "BucketDeployment"}

#: composition -> rows (function logical-id prefix, resource logical-id prefix, access) its matrix must show.
LANDED = {
    "QueuePair": [
        ("OrdersFunction", "OrderEvents", "send"),
        ("ShippingFunction", "OrderEvents", "consume"),
        ("ShippingFunction", "OrdersKey", "decrypt"),
    ],
    "TopicPublish": [("OrdersFunction", "OrderTopic", "publish")],
    "BucketNotification": [("BucketNotificationsHandler", "Files", "configure-notifications")],
    "SharedStream": [
        ("ShippingFunction", "OrdersTable", "stream-read"),
        ("ShippingFunction", "ShippingFunctionStreamFailures", "send"),
    ],
    "FanOut": [("OrdersFunction", "OrderTopic", "publish"), ("ShippingFunction", "ShippingInbox", "consume")],
    "Schedule": [("ReportFunction", "ReportFunctionLogGroup", "write")],
    "StepFunctionsTable": [("OrdersFunction", "OrdersTable", "read-write")],
    "ApiIntegration": [("NotesFunction", "NotesTable", "read-write")],
    "S3ToLambda": [
        ("BucketNotificationsHandler", "Images", "configure-notifications"),
        ("ThumbsFunction", "Images", "read"),
    ],
    "SharedStreamFanOut": [
        ("ShippingFunction", "OrdersTable", "stream-read"),
        ("BillingFunction", "OrdersTable", "stream-read"),
    ],
    "QueueWithKitKey": [("OrdersFunction", "Plain", "send"), ("OrdersFunction", "QueueKey", "encrypt-decrypt")],
    "InvokeOther": [("OrdersFunction", "ShippingFunction", "invoke")],
    "OwnStreamEventSource": [("OrdersFunction", "OrdersTable", "stream-read"), ("OrdersFunction", "Failures", "send")],
    "CustomResourceSsm": [("AWS679f53fac002430cb0da5b7982bd2287", "Release", "read")],
    "BucketDeployment": [
        ("CustomCDKBucketDeployment", "Site", "write"),
        ("CustomCDKBucketDeployment", "Site", "delete"),
        ("CustomCDKBucketDeployment", "Site", "list"),
        ("CustomCDKBucketDeployment", "arn:", "asset-source"),
        ("UploadsFunction", "Site", "read-write"),
    ],
}

#: leak variant -> texts its refusal must contain (the path's ends and the fix).
REFUSED = {
    "QueuePair": ["QueuePair/Orders/Function's data -> the queue", "-> QueuePair/Shipping/Function", "share_reason"],
    "TopicPublish": [
        "TopicPublish/Orders/Function's data -> the topic",
        "-> TopicPublish/Shipping/Function",
        "produce_to(topic, share_reason",
    ],
    "BucketNotification": [
        "BucketNotification/Uploads/Function's data -> BucketNotification/Files/incoming/ -> BucketNotification/Scanner/Function",
        "share_reason",
    ],
    "SharedStream": [
        "SharedStream/Orders/Function's data -> the table",
        "-> SharedStream/Shipping/Function",
        "share_reason",
    ],
    "ApiIntegration": [
        "ApiIntegration/Orders/Function's data -> the table",
        "-> ApiIntegration/Notes/Function",
        "share_reason",
    ],
    "S3ToLambda": [
        "S3ToLambda/Uploads/Function's data -> S3ToLambda/Images/images/ -> S3ToLambda/Thumbs/Function",
        "share_reason",
    ],
    "SharedStreamFanOut": [
        "SharedStreamFanOut/Orders/Function's data -> the table",
        "-> SharedStreamFanOut/Billing/Function",
        "share_reason",
    ],
    "QueueWithKitKey": [
        "QueueWithKitKey/Orders/Function's data -> the queue",
        "-> QueueWithKitKey/Shipping/Function",
        "produce_to(queue, share_reason",
    ],
    "InvokeOther": ["lambda:InvokeFunction", "InvokeOther/Orders/Function", "SecureFunction.grant_invoke"],
    "OwnStreamEventSource": [
        "OwnStreamEventSource/Orders/Function's data -> the table",
        "-> OwnStreamEventSource/Shipping/Function",
        "share_reason",
    ],
    # CDK helpers have no perimeter that reaches a service's data: refused on that very reach
    "CustomResourceSsm": [
        "P13 shared-resource: CustomResourceSsm/AWS679f53fac002430cb0da5b7982bd2287",
        "OrdersTable",
        "is also reached by OrdersFunction",
        "share_reason",
    ],
    # the deployment's handler writes into Orders' prefix: refused as a second reacher of it
    "BucketDeployment": [
        "P13 shared-resource: BucketDeployment/CustomCDKBucketDeployment",
        "(objects under 'orders/') is also reached by OrdersFunction",
        "share_reason",
    ],
    # the deployment publishes Orders' objects under the site prefix: the deploy-time source is the path
    "BucketDeploymentSource": [
        "P20 undeclared-data-flow",
        "OrdersFunction",
        "/orders/export.zip -> [deploy-time source of BucketDeployment Deploy",
        "-> CustomCDKBucketDeployment",
        "/site/",
        "share_reason",
    ],
    # refused by the data-flow graph (P20): the path through the subscription or the state machine
    "FanOut": ["P20 undeclared-data-flow", "[subscription", "-> [", "share_reason"],
    "StepFunctionsTable": ["P20 undeclared-data-flow", "Machine", "-> [", "share_reason"],
    # the target's dead-letter queue carries B's undelivered events into A's queue, which A consumes
    "Schedule": [
        "P20 undeclared-data-flow",
        "ReportFunction",
        "[dead-letter queue of ReportFunction",
        "as target of rule Nightly",
        "-> OrdersFunction",
        "share_reason",
    ],
}


def _consumer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the kit comes from the wheel
    env["CDK_DISABLE_STACK_TRACE"] = "1"
    return env


@pytest.fixture(scope="module")
def composed(consumer: ConsumerVenv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``cdk synth`` of every passing composition (one stack each), the CLI as a user runs it."""
    folder = Path(tmp_path_factory.mktemp("compositions"))
    shutil.copy(HERE / "compositions_app.py", folder / "compositions_app.py")
    (folder / "cdk.json").write_text(json.dumps({"app": f"{consumer.python} compositions_app.py"}))
    env = _consumer_env() | {"COMPOSITIONS": ",".join(PASSING)}
    result = subprocess.run(
        ["cdk", "synth", "--quiet", "--output", "cdk.out"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    outdir = folder / "cdk.out"
    report_file = outdir / "validation-report.json"
    return {
        "result": result,
        "outdir": outdir,
        "validation": json.loads(report_file.read_text()) if report_file.exists() else None,
        "perimeter": analyze(load_path(outdir)) if (outdir / "manifest.json").exists() else None,
    }


@pytest.fixture(scope="module")
def leaks(consumer: ConsumerVenv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = Path(tmp_path_factory.mktemp("leaks"))
    for name in ("compositions_app.py", "leaks_app.py"):
        shutil.copy(HERE / name, folder / name)
    result = subprocess.run(
        [str(consumer.python), "leaks_app.py", str(folder / "out")],
        cwd=folder,
        capture_output=True,
        text=True,
        env=_consumer_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    verdicts: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return verdicts


def test_every_composition_synthesizes_under_cdk_synth_with_every_check(composed: dict[str, Any]) -> None:
    result = composed["result"]
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    templates = {p.name.removesuffix(".template.json") for p in composed["outdir"].glob("*.template.json")}
    assert templates == set(PASSING)


def test_cdk_nag_has_no_open_finding(composed: dict[str, Any]) -> None:
    """cdk-nag writes no report when nothing fires; a report must list no violation."""
    validation = composed["validation"]
    violations = [v for plugin in (validation or {}).get("pluginReports", []) for v in plugin.get("violations", [])]
    assert violations == [], json.dumps(violations)[:3000]


def test_the_perimeter_check_passes_on_the_whole_assembly(composed: dict[str, Any]) -> None:
    report = composed["perimeter"]
    assert report is not None
    assert report.ok, report.to_text()[-4000:]


@pytest.mark.parametrize("composition", sorted(LANDED))
def test_the_cdk_calls_landed_as_exact_kit_access(composed: dict[str, Any], composition: str) -> None:
    report = composed["perimeter"]
    rows = [
        (f.function, r.resource, r.access.split("/"))
        for f in report.matrix
        if f.template == composition
        for r in f.reach
    ]
    for function, resource, access in LANDED[composition]:
        assert any(f.startswith(function) and r.startswith(resource) and access in a for f, r, a in rows), (
            function,
            resource,
            access,
            rows,
        )


def _template(composed: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(json.loads((composed["outdir"] / f"{name}.template.json").read_text()))


def _statements(template: dict[str, Any], function_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and logical_id.startswith(function_prefix)
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_cdk_queue_grant_writes_the_kit_actions_not_cdks(composed: dict[str, Any]) -> None:
    """queue.grant_send_messages(fn): sqs:SendMessage only, and the queue key through SQS only (no ReEncrypt*)."""
    template = _template(composed, "QueueWithKitKey")
    statements = _statements(template, "OrdersFunctionPolicy")
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert "sqs:SendMessage" in actions
    assert not {"sqs:GetQueueAttributes", "kms:ReEncrypt*", "kms:GenerateDataKey*"} & actions
    key_statements = [s for s in statements if "QueueKey" in json.dumps(s["Resource"])]
    assert key_statements and all(
        "sqs." in json.dumps(s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", ""))
        for s in key_statements
    ), key_statements


def test_plain_cdk_takes_kit_functions_and_tables(composed: dict[str, Any]) -> None:
    """targets.LambdaFunction, LambdaIntegration and a DynamoGetItem task took the kit constructs."""
    schedule = _template(composed, "Schedule")
    assert any(
        r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "events.amazonaws.com"
        for r in schedule["Resources"].values()
    )
    machine = _template(composed, "StepFunctionsTable")
    policies = json.dumps([r for r in machine["Resources"].values() if r["Type"] == "AWS::IAM::Policy"])
    assert "dynamodb:GetItem" in policies and "OrdersTable" in policies


def test_the_notifications_handler_perimeter_names_its_construct_and_buckets(composed: dict[str, Any]) -> None:
    template = _template(composed, "S3ToLambda")
    (handler,) = [
        r
        for k, r in template["Resources"].items()
        if k.startswith("BucketNotificationsHandler") and r["Type"] == "AWS::Lambda::Function"
    ]
    declared = handler["Metadata"]["SecureServerless::Perimeter"]
    assert declared["helper"]["construct"].startswith("S3ToLambda/BucketNotificationsHandler")
    assert declared["helper"]["configures"] == ["S3ToLambda/Images"]
    role = next(
        r
        for k, r in template["Resources"].items()
        if k.startswith("BucketNotificationsHandler") and r["Type"] == "AWS::IAM::Role"
    )
    assert "ManagedPolicyArns" not in role["Properties"]


def test_the_bucket_deployment_handler_reaches_only_what_its_deployment_configures(composed: dict[str, Any]) -> None:
    """Its asset object and the site prefix, exact actions, no managed policy; recorded with the construct path."""
    template = _template(composed, "BucketDeployment")
    resources = template["Resources"]
    (handler,) = [
        r
        for k, r in resources.items()
        if k.startswith("CustomCDKBucketDeployment") and r["Type"] == "AWS::Lambda::Function"
    ]
    declared = handler["Metadata"]["SecureServerless::Perimeter"]
    assert declared["helper"]["construct"].startswith("BucketDeployment/Custom::CDKBucketDeployment")
    assert declared["helper"]["configures"] == ["BucketDeployment/Deploy"]
    assert [d.split("/", 1)[1] for d in declared["helper"]["destinations"]] == ["site/"]
    (source,) = declared["asset_sources"]
    assert source["resource"].startswith("arn:<AWS::Partition>:s3:::cdk-") and source["resource"].endswith(".zip")
    role = next(
        r for k, r in resources.items() if k.startswith("CustomCDKBucketDeployment") and r["Type"] == "AWS::IAM::Role"
    )
    assert "ManagedPolicyArns" not in role["Properties"]
    (policy,) = [
        r for k, r in resources.items() if k.startswith("CustomCDKBucketDeployment") and r["Type"] == "AWS::IAM::Policy"
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert actions == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
    text = json.dumps(statements)
    assert '"/site/*"' in text and '"/*"' not in text and "uploads" not in text


@pytest.mark.parametrize("variant", sorted(REFUSED))
def test_the_leak_variant_is_refused_naming_the_path_and_the_fix(leaks: dict[str, Any], variant: str) -> None:
    verdict = leaks[f"leak:{variant}"]
    assert verdict["ok"] is False, f"{variant}: another service's data went through unrefused"
    for text in REFUSED[variant]:
        assert text in verdict["error"], (text, verdict["error"][-3000:])


def test_every_composition_has_a_leak_variant() -> None:
    assert {EXTRA_VARIANTS.get(variant, variant) for variant in REFUSED} == set(PASSING)
    assert set(EXTRA_VARIANTS) <= set(REFUSED)
