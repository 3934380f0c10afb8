"""Every way a CDK user grants a kit function access, in a consumer app built from the wheel.

Each path either takes effect and shows up in the perimeter matrix, or fails the synth with a
message naming the kit method to use. No path may exit 0 with the grant missing (which is what
CDK's ``without_policy_updates()`` role did before). One consumer process builds one small app per
path, so the whole table costs one jsii start-up.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from consumer_support import ConsumerVenv

APP = textwrap.dedent(
    """
    import json, sys, traceback
    from pathlib import Path
    import aws_cdk as cdk
    from aws_cdk import aws_dynamodb as dynamodb, aws_iam as iam, aws_kms as kms, aws_lambda as lambda_
    from aws_cdk import aws_lambda_event_sources as sources, aws_s3 as s3, aws_secretsmanager as secrets
    from aws_cdk import aws_sns as sns, aws_sqs as sqs
    from secure_serverless import (
        EncryptionKey, Invocation, KeyAccess, PrefixAccess, SecureBucket, SecureQueue, SecureTable, TableAccess, TableFunction,
        register_compliance_checks,
    )
    from secure_serverless_checks.perimeter import analyze, load_path

    CODE = lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n")
    PK = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
    REASON = "The reporting service reads orders for the nightly revenue summary."

    def service(stack, name, **options):
        return TableFunction(stack, name, code=CODE, handler="index.handler", partition_key=PK,
                             invocation=Invocation.SYNCHRONOUS, **options)

    def statement():
        return iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=["*"])

    CASES = {
        # ---- plain CDK paths: must fail the synth, naming the kit method
        "cdk-table-grant": lambda s, mine, other: other.table.table.grant_read_data(mine.lambda_function),
        "cdk-table-grant-own": lambda s, mine, other: mine.table.table.grant_read_write_data(mine.lambda_function),
        "cdk-grants-facade": lambda s, mine, other: other.table.table.grants.read_data(mine.lambda_function),
        "add-to-role-policy": lambda s, mine, other: mine.lambda_function.add_to_role_policy(statement()),
        "role-add-to-policy": lambda s, mine, other: mine.function.role.add_to_policy(statement()),
        "role-add-to-principal-policy": lambda s, mine, other: mine.function.role.add_to_principal_policy(statement()),
        "attach-inline-policy": lambda s, mine, other: mine.function.role.attach_inline_policy(
            iam.Policy(s, "Extra", statements=[statement()])),
        "policy-with-roles": lambda s, mine, other: iam.Policy(s, "Extra", statements=[statement()],
                                                               roles=[mine.function.role]),
        "add-managed-policy": lambda s, mine, other: mine.function.role.add_managed_policy(
            iam.ManagedPolicy.from_aws_managed_policy_name("AmazonDynamoDBReadOnlyAccess")),
        "cdk-bucket-grant": lambda s, mine, other: SecureBucket(s, "Files").bucket.grant_read(mine.lambda_function),
        "cdk-kit-bucket-grant": lambda s, mine, other: SecureBucket(s, "Files").grant_read(mine.function),
        "cdk-queue-grant-cross-service": lambda s, mine, other: SecureQueue(
            s, "Owned", owner=other.function).grant_send_messages(mine.function),
        "cdk-key-grant": lambda s, mine, other: EncryptionKey(s, "Extra").key.grant_decrypt(mine.lambda_function),
        "cdk-queue-grant": lambda s, mine, other: sqs.Queue(s, "Q", enforce_ssl=True).grant_send_messages(mine.function),
        "cdk-topic-grant": lambda s, mine, other: sns.Topic(s, "T").grant_publish(mine.function),
        "cdk-secret-grant": lambda s, mine, other: secrets.Secret(s, "S").grant_read(mine.function),
        "cdk-grant-invoke": lambda s, mine, other: other.lambda_function.grant_invoke(mine.lambda_function),
        "cdk-sqs-event-source": lambda s, mine, other: mine.lambda_function.add_event_source(
            sources.SqsEventSource(sqs.Queue(s, "Q", enforce_ssl=True))),
        "cdk-stream-event-source": lambda s, mine, other: mine.lambda_function.add_event_source(
            sources.DynamoEventSource(mine.table.table, starting_position=lambda_.StartingPosition.LATEST)),
        "l1-policy-escape": lambda s, mine, other: iam.CfnPolicy(
            s, "Raw", policy_name="raw", roles=[mine.function.role.role_name],
            policy_document={"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": other.table.table_arn}]}),
        "kit-cross-service": lambda s, mine, other: other.table.grant_read_data(mine.function),
        "acknowledged-perimeter-violation": lambda s, mine, other: (
            CASES["l1-policy-escape"](s, mine, other),
            [cdk.Validations.of(f).acknowledge(cdk.Acknowledgment(
                id=f"SecureServerlessPerimeter::{rule}", reason="an attempt to silence the proof of isolation"))
             for f in (mine, other) for rule in ("P07-undeclared-reach", "P13-shared-resource")],
        ),
        # ---- kit paths (and CDK grants the kit's pipeline lands): must take effect and show up in the matrix
        "kit-own-table": lambda s, mine, other: mine.table.grant(mine.function, TableAccess.READ),
        "kit-shared-table": lambda s, mine, other: other.table.grant_read_data(mine.function, share_reason=REASON),
        "kit-bucket-prefix": lambda s, mine, other: SecureBucket(s, "Files").grant_prefix(
            mine.function, prefix="orders/", access=PrefixAccess.READ_WRITE),
        "kit-key": lambda s, mine, other: EncryptionKey(s, "Extra").grant(mine.function, KeyAccess.DECRYPT),
        "kit-grant-invoke": lambda s, mine, other: other.function.grant_invoke(mine.function),
        "kit-own-stream": lambda s, mine, other: mine.function.consume_table_stream(mine.table),
    }

    def run(name, build, outdir):
        app = cdk.App(outdir=str(outdir))
        register_compliance_checks(app, packs=())
        stack = cdk.Stack(app, "Consumer")
        table_options = {"stream": dynamodb.StreamViewType.NEW_IMAGE} if "stream" in name else {}
        mine = service(stack, "Reporting", table_options=table_options)
        other = service(stack, "Orders")
        try:
            build(stack, mine, other)
            app.synth()
        except Exception as error:  # the verdict is the message (and the validation report, if any)
            report_file = Path(outdir) / "validation-report.json"
            details = report_file.read_text() if report_file.exists() else ""
            return {"ok": False, "error": str(error) + details}
        report = analyze(load_path(outdir))
        rows = [
            {"function": f.function, "resource": r.resource, "kind": r.kind, "access": r.access,
             "actions": list(r.actions)}
            for f in report.matrix for r in f.reach
        ]
        return {"ok": True, "violations": [v.to_line() for v in report.violations], "rows": rows}

    out = Path(sys.argv[1])
    results = {name: run(name, build, out / name) for name, build in CASES.items()}
    print(json.dumps(results))
    """
)

#: path -> the kit method its failure message must name.
MUST_FAIL = {
    "cdk-table-grant": "SecureTable.grant",
    "cdk-table-grant-own": "SecureTable.grant",
    "cdk-grants-facade": "SecureTable.grant",
    "add-to-role-policy": "SecureTable.grant",
    "role-add-to-policy": "SecureTable.grant",
    "role-add-to-principal-policy": "SecureTable.grant",
    "attach-inline-policy": "SecureTable.grant",
    "policy-with-roles": "SecureTable.grant",
    "add-managed-policy": "the managed policy",
    "cdk-bucket-grant": "SecureBucket.grant_prefix",
    "cdk-kit-bucket-grant": "SecureBucket.grant_prefix",
    "cdk-queue-grant-cross-service": "fn.produce_to(queue, share_reason=...)",
    "cdk-secret-grant": "SecureFunction.allow",
    "cdk-grant-invoke": "SecureFunction.grant_invoke",
    "cdk-stream-event-source": "SecureFunction.consume_table_stream",
    "l1-policy-escape": "SecureServerlessPerimeter",
    "kit-cross-service": "share_reason",
    "acknowledged-perimeter-violation": "the perimeter check cannot be acknowledged",
}
#: path -> (resource logical id prefix, access) that must appear in the Reporting function's matrix.
MUST_WORK = {
    "kit-own-table": ("ReportingTable", "read"),
    "kit-shared-table": ("OrdersTable", "read"),
    "kit-bucket-prefix": ("Files", "read-write"),
    "kit-key": ("Extra", "decrypt"),
    "kit-grant-invoke": ("OrdersFunction", "invoke"),
    "kit-own-stream": ("ReportingTable", "stream-read"),
    # CDK's own grants that land in the kit's pipeline as the access level that covers them
    "cdk-key-grant": ("Extra", "decrypt"),
    "cdk-queue-grant": ("Q", "send"),
    "cdk-topic-grant": ("T", "publish"),
    "cdk-sqs-event-source": ("Q", "consume"),
}


@pytest.fixture(scope="module")
def verdicts(consumer: ConsumerVenv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = Path(tmp_path_factory.mktemp("grant-paths"))
    result = consumer.run(APP, folder / "app", str(folder / "out"))
    assert result.returncode == 0, result.stderr[-4000:]
    verdicts: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return verdicts


def test_every_path_is_covered(verdicts: dict[str, Any]) -> None:
    assert set(verdicts) == set(MUST_FAIL) | set(MUST_WORK)


@pytest.mark.parametrize("path", sorted(MUST_FAIL))
def test_plain_cdk_grant_fails_the_synth_naming_the_kit_method(verdicts: dict[str, Any], path: str) -> None:
    verdict = verdicts[path]
    assert verdict["ok"] is False, f"{path} synthesized: the grant would be unrecorded ({verdict})"
    assert MUST_FAIL[path] in verdict["error"], verdict["error"][-2000:]


@pytest.mark.parametrize("path", sorted(MUST_WORK))
def test_kit_grant_takes_effect_and_shows_in_the_matrix(verdicts: dict[str, Any], path: str) -> None:
    verdict = verdicts[path]
    assert verdict["ok"] is True, verdict.get("error", "")[-2000:]
    assert verdict["violations"] == []
    resource, access = MUST_WORK[path]
    rows = [r for r in verdict["rows"] if r["function"].startswith("ReportingFunction")]
    assert any(r["resource"].startswith(resource) and access in r["access"].split("/") for r in rows), rows


def test_a_shared_table_is_reached_by_both_and_passes_only_because_both_declare_it(verdicts: dict[str, Any]) -> None:
    """The perimeter check fails (P13) unless every function reaching a data resource declares it shared."""
    verdict = verdicts["kit-shared-table"]
    reached_by = {
        r["function"].split("Function")[0] for r in verdict["rows"] if r["resource"].startswith("OrdersTable")
    }
    assert reached_by == {"Reporting", "Orders"}
    assert verdict["violations"] == []
