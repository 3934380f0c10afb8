"""The peer app's Lambda handler: a placeholder, the benchmark only synthesizes it."""


def handler(event, context):  # noqa: ANN001, ANN201, ARG001 - Lambda's signature
    return {"statusCode": 200, "body": "{}"}
