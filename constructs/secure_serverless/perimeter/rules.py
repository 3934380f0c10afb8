"""The rules the analyzer enforces, with stable codes.

Codes are a public contract: tests, docs and anyone filtering the JSON output rely on them.
Add new rules at the end; never renumber.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One kind of violation: a stable code, a short name and what it protects against."""

    code: str
    name: str
    summary: str


MISSING_PERIMETER = Rule(
    "P01",
    "missing-perimeter",
    "The function has no SecureServerless::Perimeter metadata, so nothing it reaches is declared.",
)
INVALID_PERIMETER = Rule(
    "P02",
    "invalid-perimeter",
    "The perimeter metadata is malformed or contradicts the template (unknown kind or access level, "
    "a resource that is not in the template or of another type, another role, a wildcard without reason).",
)
ROLE_NOT_IN_TEMPLATE = Rule(
    "P03",
    "role-not-in-template",
    "The function's role is imported or written as a literal ARN: its policies cannot be checked.",
)
SHARED_ROLE = Rule(
    "P04",
    "shared-role",
    "Two functions use one role: each gets the other's reach, so neither perimeter is isolated.",
)
AWS_MANAGED_POLICY = Rule(
    "P05",
    "aws-managed-policy",
    "An AWS managed policy is attached to the role; its content is not in the template and is broader "
    "than the function needs.",
)
EXTERNAL_POLICY = Rule(
    "P06",
    "external-policy",
    "A customer managed policy from outside the template is attached to the role; its content cannot be checked.",
)
UNDECLARED_REACH = Rule(
    "P07",
    "undeclared-reach",
    "The role can act on a resource the function does not declare.",
)
ACCESS_EXCEEDED = Rule(
    "P08",
    "access-exceeded",
    "An action on a declared resource is not one of the exact actions of the declared access level.",
)
UNDECLARED_INDEX = Rule(
    "P09",
    "undeclared-index",
    "A DynamoDB index ARN names an index the function does not declare.",
)
OUTSIDE_PREFIX = Rule(
    "P10",
    "outside-prefix",
    "An S3 object ARN lies outside the object key prefix the function declares.",
)
WILDCARD_ACTION = Rule(
    "P11",
    "wildcard-action",
    "An action with a wildcard (or NotAction) that the metadata does not record under 'wildcards'.",
)
WILDCARD_RESOURCE = Rule(
    "P12",
    "wildcard-resource",
    "A wildcard resource ('*', '<table>/index/*', an S3 pattern broader than the declared prefix, "
    "NotResource) that the metadata does not record under 'wildcards'.",
)
SHARED_RESOURCE = Rule(
    "P13",
    "shared-resource",
    "A data resource (table, bucket prefix, queue, topic, key) is reached by two functions that do not "
    "both declare it shared.",
)
UNRESOLVED_RESOURCE = Rule(
    "P14",
    "unresolved-resource",
    "The analyzer cannot tell which resource a statement names (Fn::ImportValue, a parameter, an ARN "
    "it does not understand); it is reported rather than assumed safe.",
)

RULES: tuple[Rule, ...] = (
    MISSING_PERIMETER,
    INVALID_PERIMETER,
    ROLE_NOT_IN_TEMPLATE,
    SHARED_ROLE,
    AWS_MANAGED_POLICY,
    EXTERNAL_POLICY,
    UNDECLARED_REACH,
    ACCESS_EXCEEDED,
    UNDECLARED_INDEX,
    OUTSIDE_PREFIX,
    WILDCARD_ACTION,
    WILDCARD_RESOURCE,
    SHARED_RESOURCE,
    UNRESOLVED_RESOURCE,
)
