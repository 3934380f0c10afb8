"""Kit grant methods on a grantee that is not a kit function: the same exact actions, nothing declared."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from cdk_support import as_list, policy_statements, template
from secure_serverless import EncryptionKey, KeyAccess, PrefixAccess, SecureBucket, SecureTable, TableAccess
from secure_serverless_checks.access_levels import ACCESS_LEVELS


@pytest.fixture(scope="module")
def statements() -> list[dict[str, Any]]:
    def build(stack: cdk.Stack) -> None:
        plain = lambda_.Function(
            stack, "Plain", code=lambda_.Code.from_inline("x"), handler="a.b", runtime=lambda_.Runtime.PYTHON_3_14
        )
        table = SecureTable(stack, "T", partition_key=dynamodb.Attribute(name="k", type=dynamodb.AttributeType.STRING))
        table.grant(plain, TableAccess.READ)
        SecureBucket(stack, "B").grant_prefix(plain, prefix="p/", access=PrefixAccess.WRITE)
        EncryptionKey(stack, "K").grant(plain, KeyAccess.DECRYPT, via_services=["sqs"])

    return policy_statements(template(build))


def test_a_plain_function_gets_the_exact_actions_of_each_access_level(statements: list[dict[str, Any]]) -> None:
    actions = [sorted(as_list(s["Action"])) for s in statements]
    assert sorted(ACCESS_LEVELS["dynamodb-table"]["read"]) in actions
    assert sorted(ACCESS_LEVELS["s3-prefix"]["write"]) in actions
    assert not any("dynamodb:Scan" in a or any("*" in x for x in a) for a in actions)


def test_a_plain_function_gets_the_key_use_through_the_named_service_only(statements: list[dict[str, Any]]) -> None:
    via = [s for s in statements if "Condition" in s]
    assert len(via) == 1 and "sqs." in str(via[0]["Condition"]["StringEquals"]["kms:ViaService"])
