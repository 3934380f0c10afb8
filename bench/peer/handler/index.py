"""The peer app's Lambda handler: a placeholder, the benchmark only synthesizes it."""


def handler(event, context):
    return {"statusCode": 200, "body": "{}"}
