"""NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1: what remains equals docs/compliance.md."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from cdk_support import ROOT, nag_report
from secure_serverless import (
    ApiGatewayAccountLogging,
    EncryptionKey,
    Invocation,
    IsolatedNetwork,
    SecureBucket,
    SecureFunction,
    SecureRestApi,
    SecureTable,
    SecureUserPool,
    SecurityAlarms,
    TableBackup,
    TableFunction,
)
from secure_serverless.compliance import EXTENDED_PACKS

PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")


def _api(stack: cdk.Stack) -> None:
    pool = SecureUserPool(stack, "Pool")
    function = SecureFunction(stack, "Fn", code=CODE, handler="index.handler", invocation=Invocation.SYNCHRONOUS)
    SecureRestApi(stack, "Construct", user_pool=pool.user_pool).add_route("GET", "/items", function.function)


def _network(stack: cdk.Stack) -> None:
    IsolatedNetwork(stack, "Construct", s3_endpoint=False).allow_table(SecureTable(stack, "Table", partition_key=PK))


BUILDS: dict[str, Callable[[cdk.Stack], object]] = {
    "EncryptionKey": lambda stack: EncryptionKey(stack, "Construct"),
    "SecureTable": lambda stack: SecureTable(stack, "Construct", partition_key=PK),
    "SecureBucket": lambda stack: SecureBucket(stack, "Construct"),
    "SecureFunction": lambda stack: SecureFunction(
        stack, "Construct", code=CODE, handler="index.handler", invocation=Invocation.ASYNCHRONOUS
    ),
    "TableFunction": lambda stack: TableFunction(
        stack, "Construct", code=CODE, handler="index.handler", partition_key=PK, invocation=Invocation.ASYNCHRONOUS
    ),
    "SecureUserPool": lambda stack: SecureUserPool(stack, "Construct"),
    "SecureRestApi": _api,
    "ApiGatewayAccountLogging": lambda stack: ApiGatewayAccountLogging(stack, "Construct"),
    "SecurityAlarms": lambda stack: SecurityAlarms(stack, "Construct"),
    "IsolatedNetwork": _network,
    "TableBackup": lambda stack: TableBackup(
        stack, "Construct", tables=[SecureTable(stack, "Table", partition_key=PK)]
    ),
}


def _documented() -> dict[str, set[str]]:
    documented: dict[str, set[str]] = {name: set() for name in BUILDS}
    text = (ROOT / "docs" / "compliance.md").read_text()
    for construct, rule in re.findall(r"^\| (\w+) \| `([A-Za-z0-9.]+-[A-Za-z0-9]+)` \|", text, re.MULTILINE):
        documented.setdefault(construct, set()).add(rule)
    return documented


@pytest.mark.parametrize("construct", sorted(BUILDS))
def test_remaining_extended_findings_are_the_documented_ones(construct: str, tmp_path: Path) -> None:
    report = nag_report(BUILDS[construct], tmp_path, packs=EXTENDED_PACKS)
    found = {finding.rule for finding in report.findings if finding.path.startswith("Test/Construct/")}
    assert found == _documented()[construct]
