"""Powertools for AWS Lambda (Python): the AWS-managed layer, its ARN and version in one place."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: Account that publishes the Powertools layers in every commercial region.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
#: Layer version of AWSLambdaPowertoolsPythonV3-python314-arm64. Version 36 publishes Powertools
#: 3.31.1; the handlers use only APIs present there (the tests run against the PyPI pin in
#: requirements-dev.txt). Before bumping, check the content with
#: ``aws lambda get-layer-version-by-arn --arn <arn>``.
POWERTOOLS_LAYER_VERSION = 36
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python314-arm64"


def powertools_layer_arn(version: int = POWERTOOLS_LAYER_VERSION) -> str:
    """ARN of the AWS-managed Powertools layer in the stack's region (a token until deploy)."""
    return (
        f"arn:{cdk.Aws.PARTITION}:lambda:{cdk.Aws.REGION}:{POWERTOOLS_LAYER_ACCOUNT}"
        f":layer:{POWERTOOLS_LAYER_NAME}:{version}"
    )


def powertools_layer(
    scope: Construct, construct_id: str, version: int = POWERTOOLS_LAYER_VERSION
) -> lambda_.ILayerVersion:
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, powertools_layer_arn(version))
