"""The peer app's Lambda handler: a placeholder, the benchmark only synthesizes it."""

from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return {"statusCode": 200, "body": "{}"}
