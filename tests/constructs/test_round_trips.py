"""What the kit reads or writes once instead of on every use (round 3 of issue 26), still correct.

Each Python -> Node.js request costs a round trip on jsii's pipe. The kit writes a function's
perimeter record once (produced when the template is rendered) and reads facts that never change
(a construct's path, node, L1 resource, root) once per Python object. These tests hold the results
to what reading every time gave, and check the record holds what was declared after the function
was built.
"""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from cdk_support import new_app
from secure_serverless import Invocation, SecureTable, TableAccess, TableFunction
from secure_serverless._grants import cfn_of
from secure_serverless._tree import node_of, path_of
from secure_serverless_checks.access_levels import PERIMETER_METADATA_KEY

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
PK = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)


def _record(stack: cdk.Stack, service: TableFunction) -> dict[str, Any]:
    logical_id = stack.get_logical_id(cfn_of(service.function.function))
    resource = Template.from_stack(stack).to_json()["Resources"][logical_id]
    return resource["Metadata"][PERIMETER_METADATA_KEY]  # type: ignore[no-any-return]


def test_the_record_is_written_once_and_holds_every_later_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[str] = []
    original = cdk.CfnResource.add_metadata

    def counting(self: cdk.CfnResource, key: str, value: Any) -> None:
        if key == PERIMETER_METADATA_KEY:
            writes.append(key)
        original(self, key, value)

    monkeypatch.setattr(cdk.CfnResource, "add_metadata", counting)
    stack = cdk.Stack(new_app(), "Records")
    orders = TableFunction(
        stack, "Orders", code=CODE, handler="index.handler", partition_key=PK, invocation=Invocation.SYNCHRONOUS
    )
    built = copy.deepcopy(orders.function.perimeter.to_metadata())
    audit = SecureTable(stack, "Audit", partition_key=PK)
    audit.grant(orders.function, TableAccess.READ)  # declared after the function was built
    record = _record(stack, orders)

    assert writes == [PERIMETER_METADATA_KEY]  # one write for the function's whole life
    audit_id = stack.get_logical_id(cfn_of(audit))
    assert audit_id not in [entry["resource"] for entry in built["reach"]]
    audit_entry = next(entry for entry in record["reach"] if entry["resource"] == audit_id)
    assert {"kind": "dynamodb-table", "access": "read", "shared": False}.items() <= audit_entry.items()
    assert record["reach"][: len(built["reach"])] == built["reach"]
    assert record == orders.function.perimeter.to_metadata()


def test_facts_read_once_equal_what_cdk_says() -> None:
    stack = cdk.Stack(new_app(), "Facts")
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    default = queue.node.default_child  # a JavaScript-created object: a new Python proxy on each read
    assert default is not None
    for construct in (stack, queue, default):
        assert path_of(construct) == construct.node.path
        assert path_of(construct) == path_of(construct)
        assert node_of(construct).id == construct.node.id
    assert cfn_of(queue) is cfn_of(queue)  # found once per construct object
    assert cfn_of(queue).node.path == "Facts/Queue/Resource"


def test_a_construct_without_a_resource_is_still_refused_each_time() -> None:
    stack = cdk.Stack(new_app(), "Empty")
    imported = sqs.Queue.from_queue_arn(stack, "Imported", "arn:aws:sqs:eu-west-1:123456789012:q")
    for _ in range(2):  # nothing is remembered for a construct that has no L1 resource
        with pytest.raises(Exception, match="imported or has no CloudFormation resource"):
            cfn_of(imported)
