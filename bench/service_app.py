"""The scaling app: N ``TableFunction`` services behind one Cognito-protected ``SecureRestApi``.

Each service is what a user adds when the app grows: a table, a function with its own role, key,
log group, and two routes (a read and a validated write). Code is inline so no asset hashing
blurs the per-service cost of the constructs and the checks.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from secure_serverless import Invocation, SecureRestApi, SecureUserPool, TableAccess, TableFunction

STACK_NAME = "BenchServices"
_CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': '{}'}\n"
_ITEM_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200}},
    "required": ["title"],
    "additionalProperties": False,
}


def build_services_app(app: cdk.App, *, services: int) -> cdk.Stack:
    """Add one stack with ``services`` TableFunction services and their routes to ``app``."""
    stack = cdk.Stack(app, STACK_NAME)
    users = SecureUserPool(stack, "Users")
    api = SecureRestApi(stack, "Api", user_pool=users.user_pool)
    for number in range(services):
        service = TableFunction(
            stack,
            f"Service{number}",
            code=lambda_.Code.from_inline(_CODE),
            handler="index.handler",
            partition_key=dynamodb.Attribute(name="itemId", type=dynamodb.AttributeType.STRING),
            access=TableAccess.READ_WRITE,
            invocation=Invocation.SYNCHRONOUS,
        )
        api.add_route("GET", f"/service{number}/{{itemId}}", service.function)
        api.add_route("PUT", f"/service{number}/{{itemId}}", service.function, request_schema=_ITEM_SCHEMA)
    return stack
