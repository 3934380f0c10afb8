"""cdk-nag findings the kit never lets an acknowledgment excuse, each with why and the fix.

An acknowledgment is a reviewed exception: "this finding is acceptable here, because ...". Some
findings break the architecture itself (an unauthenticated route that changes data, a function
role with an AWS managed policy, a public bucket, every action of a service); no reason makes
them acceptable, so ``python -m secure_serverless_checks.acknowledgments`` fails on any acknowledgment
of them, whatever its reason. Pure Python: it inspects the synthesized template resource of the
construct each acknowledged finding is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Resource = Mapping[str, Any]

#: HTTP methods that change data; "ANY" includes them.
DATA_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY"})


@dataclass(frozen=True)
class NeverAcknowledge:
    """A rule (by id pattern, without the pack qualifier) that no acknowledgment may excuse."""

    name: str
    rule: re.Pattern[str]
    why: str
    fix: str
    #: When set, the rule is forbidden only on resources for which this returns True.
    applies: Callable[[Resource], bool] | None = None
    #: What ``applies`` selects, for messages ("on a data-changing method").
    scope: str = ""

    def matches(self, rule_id: str, resource: Resource | None) -> bool:
        if not self.rule.fullmatch(rule_id):
            return False
        if self.applies is None:
            return True
        return resource is not None and self.applies(resource)


def _is_data_changing_method(resource: Resource) -> bool:
    if resource.get("Type") != "AWS::ApiGateway::Method":
        return False
    method = resource.get("Properties", {}).get("HttpMethod")
    return isinstance(method, str) and method.upper() in DATA_CHANGING_METHODS


def _is_lambda_role(resource: Resource) -> bool:
    if resource.get("Type") != "AWS::IAM::Role":
        return False
    trust = resource.get("Properties", {}).get("AssumeRolePolicyDocument", {})
    return "lambda.amazonaws.com" in repr(trust)


NEVER_ACKNOWLEDGE: tuple[NeverAcknowledge, ...] = (
    NeverAcknowledge(
        name="open-data-changing-route",
        rule=re.compile(r"AwsSolutions-(APIG4|COG4)"),
        scope="on a method that changes data (POST, PUT, PATCH, DELETE, ANY)",
        applies=_is_data_changing_method,
        why=(
            "an unauthenticated method that changes data lets anyone on the internet write or delete; the "
            "architecture puts the Cognito authorizer in front of every function that changes data"
        ),
        fix=(
            "keep the Cognito authorizer on this method (drop open_without_authorization_reason); for machine "
            "callers use a Cognito app client with the client-credentials flow and authorization_scopes"
        ),
    ),
    NeverAcknowledge(
        name="aws-managed-policy-on-function-role",
        rule=re.compile(r"AwsSolutions-IAM4(\[.*\])?"),
        scope="on a Lambda function's role",
        applies=_is_lambda_role,
        why=(
            "an AWS managed policy is not in the template and grants more than one function needs "
            "(AWSLambdaBasicExecutionRole writes to every log group of the account), so the function's "
            "perimeter can neither be proven nor isolated"
        ),
        fix=(
            "use SecureFunction (its own log group and exact actions), or replace the managed policy by "
            "statements that name the function's own resources"
        ),
    ),
    NeverAcknowledge(
        name="public-bucket",
        rule=re.compile(r"AwsSolutions-S2|[A-Za-z0-9.]+-S3Bucket(LevelPublicAccess|PublicRead|PublicWrite)Prohibited"),
        why="a bucket open to the public exposes (or accepts) every object to anyone on the internet",
        fix=(
            "keep block_public_access=BLOCK_ALL (SecureBucket's default); hand out presigned URLs, or serve "
            "through CloudFront with origin access control"
        ),
    ),
    NeverAcknowledge(
        name="every-action-of-a-service",
        rule=re.compile(r"AwsSolutions-IAM5\[Action::([A-Za-z0-9-]+:)?\*\]"),
        why=(
            "'service:*' (or '*') includes deleting the service's resources and changing who may use them; "
            "no function needs that"
        ),
        fix="grant the exact actions of an access level (allow(kind=..., access=...)) on the function's own resources",
    ),
    NeverAcknowledge(
        name="plain-http-transport",
        rule=re.compile(r"AwsSolutions-(S10|SNS3|SQS4)"),
        why="without a policy that denies requests without TLS, data can travel unencrypted",
        fix="keep the SSL-only resource policy (SecureBucket, SecurityAlarms and SecureFunction's queue set it)",
    ),
)


def forbidden(rule_id: str, resource: Resource | None) -> NeverAcknowledge | None:
    """The entry that forbids acknowledging ``rule_id`` on ``resource``, or None."""
    return next((entry for entry in NEVER_ACKNOWLEDGE if entry.matches(rule_id, resource)), None)
