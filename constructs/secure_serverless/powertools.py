"""Powertools for AWS Lambda (Python): the AWS-managed layer of exactly the version the tests run.

One pin: ``POWERTOOLS_VERSION`` is the version ``requirements-dev.txt`` installs for the handler
tests (a test compares the two). The deployed layer is resolved from that semantic version at
deploy time through the public SSM parameter AWS publishes for every release,
``/aws/service/powertools/python/<arch>/<python>/<version>``, whose value is the layer's ARN in
the stack's region. The template holds a CloudFormation dynamic reference
(``{{resolve:ssm:...}}``), so synthesis needs no AWS account and a deploy fails loudly if AWS
never published that version, instead of silently deploying another one.
"""

from __future__ import annotations

import re
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: The Powertools release the handlers are tested on (requirements-dev.txt) and deployed with.
POWERTOOLS_VERSION: Final = "3.37.0"
#: The only combination SecureFunction deploys (Python 3.14 on arm64).
POWERTOOLS_ARCHITECTURE: Final = "arm64"
POWERTOOLS_PYTHON: Final = "python3.14"
#: ``/aws/service/powertools/python/<arch>/<python>/<version>``: AWS's public parameter naming the layer ARN.
POWERTOOLS_PARAMETER_PREFIX: Final = "/aws/service/powertools/python"
_SEMVER = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


def powertools_parameter_name(
    version: str = POWERTOOLS_VERSION,
    *,
    architecture: str = POWERTOOLS_ARCHITECTURE,
    python: str = POWERTOOLS_PYTHON,
) -> str:
    """The public SSM parameter whose value is the layer ARN of ``version``.

    ``ValueError`` when ``version`` is not a semantic version such as "3.37.0" ("latest" is
    refused on purpose: it would deploy whatever AWS published last, not the tested release).
    """
    if not isinstance(version, str) or not _SEMVER.fullmatch(version):
        raise ValueError(
            f"Powertools version must be a release such as {POWERTOOLS_VERSION!r} (got {version!r}):"
            " pin the exact version requirements-dev.txt installs"
        )
    return f"{POWERTOOLS_PARAMETER_PREFIX}/{architecture}/{python}/{version}"


def powertools_layer_arn(version: str = POWERTOOLS_VERSION) -> str:
    """The layer ARN as a CloudFormation dynamic reference, resolved by CloudFormation at deploy time."""
    reference = cdk.CfnDynamicReference(cdk.CfnDynamicReferenceService.SSM, powertools_parameter_name(version))
    return reference.to_string()


def powertools_layer(scope: Construct, construct_id: str, version: str = POWERTOOLS_VERSION) -> lambda_.ILayerVersion:
    """The AWS-managed Powertools layer of ``version`` (default: the tested ``POWERTOOLS_VERSION``)."""
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, powertools_layer_arn(version))
