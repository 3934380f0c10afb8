"""The rules the analyzer enforces, with stable codes.

Codes are a public contract: tests, docs and anyone filtering the JSON output rely on them.
Add new rules at the end; never renumber.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One kind of violation: a stable code, a short name, what it protects against and how to
    fix it (``fix``, shown in SARIF output)."""

    code: str
    name: str
    summary: str
    fix: str = ""


MISSING_PERIMETER = Rule(
    "P01",
    "missing-perimeter",
    "The function has no SecureServerless::Perimeter metadata, so nothing it reaches is declared.",
    "Build the function with the kit's SecureFunction (or TableFunction), which records its perimeter, or add SecureServerless::Perimeter metadata listing what it reaches.",
)
INVALID_PERIMETER = Rule(
    "P02",
    "invalid-perimeter",
    "The perimeter metadata is malformed or contradicts the template (unknown kind or access level, "
    "a resource that is not in the template or of another type, another role, a wildcard without reason).",
    "Correct the metadata entry named in the message (see docs/perimeter-metadata.md); an invalid entry declares nothing.",
)
ROLE_NOT_IN_TEMPLATE = Rule(
    "P03",
    "role-not-in-template",
    "The function's role is imported or written as a literal ARN: its policies cannot be checked.",
    "Create the function's role in the same cloud assembly so its policies can be read.",
)
SHARED_ROLE = Rule(
    "P04",
    "shared-role",
    "Two functions use one role: each gets the other's reach, so neither perimeter is isolated.",
    "Give every function (and every other compute service) its own role.",
)
AWS_MANAGED_POLICY = Rule(
    "P05",
    "aws-managed-policy",
    "An AWS managed policy is attached to the role; its content is not in the template and is broader "
    "than the function needs.",
    "Replace the AWS managed policy with the exact statements the function needs.",
)
EXTERNAL_POLICY = Rule(
    "P06",
    "external-policy",
    "A customer managed policy from outside the template is attached to the role; its content cannot be checked.",
    "Define the managed policy in the assembly, or write its statements into the role's policy.",
)
UNDECLARED_REACH = Rule(
    "P07",
    "undeclared-reach",
    "The role can act on a resource the function does not declare.",
    "Remove the grant, or declare the resource (for kit functions: grant it with the kit's grant methods, see docs/library-grants.md).",
)
ACCESS_EXCEEDED = Rule(
    "P08",
    "access-exceeded",
    "An action on a declared resource is not one of the exact actions of the declared access level.",
    "Grant only the actions of the declared access level, or declare the access level that lists the action.",
)
UNDECLARED_INDEX = Rule(
    "P09",
    "undeclared-index",
    "A DynamoDB index ARN names an index the function does not declare.",
    "Declare the index under 'indexes', or remove the index ARN from the policy.",
)
OUTSIDE_PREFIX = Rule(
    "P10",
    "outside-prefix",
    "An S3 object ARN lies outside the object key prefix the function declares.",
    "Name objects under the declared prefix only (<bucket arn>/<prefix>*); limit s3:ListBucket with an s3:prefix condition.",
)
WILDCARD_ACTION = Rule(
    "P11",
    "wildcard-action",
    "An action with a wildcard (or NotAction) that the metadata does not record under 'wildcards'.",
    "Write the exact actions; a wildcard action is never excused.",
)
WILDCARD_RESOURCE = Rule(
    "P12",
    "wildcard-resource",
    "A wildcard resource ('*', '<table>/index/*', an S3 pattern broader than the declared prefix, "
    "NotResource) that the metadata does not record under 'wildcards'.",
    "Name the exact resources; only actions without resource-level permissions may be recorded under 'wildcards' on '*'.",
)
SHARED_RESOURCE = Rule(
    "P13",
    "shared-resource",
    "A data resource (table, bucket prefix, queue, topic, key) is reached by two functions that do not "
    "both declare it shared.",
    "Give each function its own resource, or declare it 'shared: true' with a share_reason in every function that reaches it.",
)
UNRESOLVED_RESOURCE = Rule(
    "P14",
    "unresolved-resource",
    "The analyzer cannot resolve a statement to definite principals, actions and resources (an intrinsic "
    "it cannot evaluate, a parameter, an unknown import, an ARN it does not understand, a nested stack "
    "whose template is missing); it is reported rather than assumed safe.",
    "Write the value without intrinsics the analyzer cannot resolve: name resources with Ref/Fn::GetAtt, actions and effects as literals.",
)

OUT_OF_SCOPE = Rule(
    "P15",
    "out-of-scope",
    "A warning, not a violation: the template uses something the analyzer does not evaluate (a condition, "
    "a permissions boundary, a VPC endpoint policy); reach is judged without it.",
    "Nothing to fix for the check; review the construct named by hand (docs/perimeter.md, 'Out of scope').",
)
REACH_OUTSIDE_IAM = Rule(
    "P16",
    "reach-outside-iam",
    "The function reaches data without its role: an access key or a secret value in its environment, "
    "or a file system another function mounts too.",
    "Pass no credentials or secret values in environment variables (read a declared secret at run time) "
    "and give each function its own file system access point.",
)

CONTROL_PLANE = Rule(
    "P17",
    "control-plane-reach",
    "The role may act on the control plane (IAM, STS, Lambda code and configuration, services that run "
    "code with a passed role): a published privilege-escalation method, or a change to the function's own "
    "role, trust or code, which makes every perimeter meaningless.",
    "Remove the action. A function that must manage other resources declares it with "
    "SecureFunction.declare_control_plane_reach(actions=..., resources=..., reason=...) on exact resources; "
    "its own role, trust policy and code can never be declared.",
)
WIDE_TRUST = Rule(
    "P18",
    "wide-trust",
    "The function's role trusts more than the Lambda service (the account root, another principal, '*', "
    "another service, a federated identity): whoever it trusts can become the function.",
    "Let the role's trust policy name only the service principal lambda.amazonaws.com.",
)
OPAQUE_TEMPLATE = Rule(
    "P19",
    "opaque-template",
    "The template uses a feature whose result the analyzer cannot see (Fn::Transform / AWS::Include inside "
    "a role, policy, function or resource policy, a module, a StackSet, a Service Catalog product, a private "
    "registry type, a custom resource with an external provider handed a role or data resource).",
    "Write the resource out in the template (synthesize what the transform, module or product produces), "
    "or keep roles and data resources away from what the analyzer cannot read.",
)
UNDECLARED_DATA_FLOW = Rule(
    "P20",
    "undeclared-data-flow",
    "Data of one service reaches another service's principal by a path that is not declared on both sides: "
    "an event source mapping, a pipe, a subscription, a log subscription, replication or an export, a state "
    "machine, a code package, a table import, a dynamic reference, overlapping file system access points, "
    "a bucket ACL (the path is named step by step).",
    "Declare the flow on both sides (the owner declares the data 'shared' with a share_reason, and so does the "
    "receiving service), or remove the step that carries the data (docs/perimeter.md, 'Data flow').",
)

#: Rules reported as warnings: shown in the report, never failing the check.
WARNING_RULES = frozenset({"P15"})

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
    OUT_OF_SCOPE,
    REACH_OUTSIDE_IAM,
    CONTROL_PLANE,
    WIDE_TRUST,
    OPAQUE_TEMPLATE,
    UNDECLARED_DATA_FLOW,
)
