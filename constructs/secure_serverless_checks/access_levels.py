"""Named access levels: the exact IAM actions each level grants, per kind of resource.

This module is the single source of truth shared by the constructs (which write IAM statements
from it) and by the perimeter analyzer (which checks that a function's actions stay within the
access level it declared). It is pure Python: no CDK import, so the analyzer runs without Node.js.

Every list names exact actions. None contains a wildcard: CDK's ``grant_*`` helpers write
``kms:GenerateDataKey*``, ``s3:GetObject*`` or ``dynamodb:Scan``; these levels never do.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

#: Kind of a reachable resource, as recorded in the perimeter metadata ("kind" field).
DYNAMODB_TABLE = "dynamodb-table"
S3_PREFIX = "s3-prefix"
KMS_KEY = "kms-key"
SQS_QUEUE = "sqs-queue"
LOG_GROUP = "log-group"
SNS_TOPIC = "sns-topic"
SECRET = "secret"  # noqa: S105 - the name of a resource kind, not a password
SSM_PARAMETER = "ssm-parameter"
LAMBDA_FUNCTION = "lambda-function"
COGNITO_USER_POOL = "cognito-user-pool"
EC2_SUBNET = "ec2-subnet"
EC2_SECURITY_GROUP = "ec2-security-group"

#: CloudFormation resource type of each kind.
RESOURCE_TYPES: Mapping[str, str] = {
    DYNAMODB_TABLE: "AWS::DynamoDB::Table",
    S3_PREFIX: "AWS::S3::Bucket",
    KMS_KEY: "AWS::KMS::Key",
    SQS_QUEUE: "AWS::SQS::Queue",
    LOG_GROUP: "AWS::Logs::LogGroup",
    SNS_TOPIC: "AWS::SNS::Topic",
    SECRET: "AWS::SecretsManager::Secret",
    SSM_PARAMETER: "AWS::SSM::Parameter",
    LAMBDA_FUNCTION: "AWS::Lambda::Function",
    COGNITO_USER_POOL: "AWS::Cognito::UserPool",
    EC2_SUBNET: "AWS::EC2::Subnet",
    EC2_SECURITY_GROUP: "AWS::EC2::SecurityGroup",
}

#: Other CloudFormation types that are a resource of a kind: TableV2 synthesizes a global table.
EQUIVALENT_TYPES: Mapping[str, str] = {"AWS::DynamoDB::GlobalTable": DYNAMODB_TABLE}


def kind_of_type(resource_type: str) -> str | None:
    """The kind of a CloudFormation resource type, or None when no kind covers it."""
    return _KIND_OF_TYPE.get(resource_type)


_KIND_OF_TYPE: Mapping[str, str] = {
    **{resource_type: kind for kind, resource_type in RESOURCE_TYPES.items()},
    **EQUIVALENT_TYPES,
}

_DYNAMODB_READ = (
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
)
# No Scan: a function reads its items by key. No streams: the table's own change feed is not
# data access by the function that owns the table.
_DYNAMODB_WRITE = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)

# The table's change feed, on its stream ARN. dynamodb:ListStreams has no resource-level
# permissions: it is in RESOURCE_LESS_ACTIONS, never in a level.
_DYNAMODB_STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")

_S3_READ = ("s3:GetObject",)
_S3_WRITE = ("s3:PutObject",)
_S3_DELETE = ("s3:DeleteObject",)

_KMS_DECRYPT = ("kms:Decrypt", "kms:DescribeKey")
_KMS_ENCRYPT = ("kms:Encrypt", "kms:GenerateDataKey")

#: access level -> exact actions, per kind. Keys are the public names of access levels.
ACCESS_LEVELS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    DYNAMODB_TABLE: {
        "read": _DYNAMODB_READ,
        "write": _DYNAMODB_WRITE,
        "read-write": _DYNAMODB_READ + _DYNAMODB_WRITE,
        "stream-read": _DYNAMODB_STREAM_READ,
    },
    S3_PREFIX: {
        "read": _S3_READ,
        "write": _S3_WRITE,
        "delete": _S3_DELETE,
        "read-write": _S3_READ + _S3_WRITE,
        "read-write-delete": _S3_READ + _S3_WRITE + _S3_DELETE,
        # Object versions of the prefix (a versioned bucket keeps old copies of every object).
        "read-versions": ("s3:GetObjectVersion",),
        # s3:ListBucket acts on the bucket ARN; the analyzer accepts it only when an s3:prefix
        # condition limits the listing to the declared prefix.
        "list": ("s3:ListBucket",),
        # The bucket's notification configuration, on the bucket ARN: what CDK's notifications
        # handler (a helper function, see helper_perimeters.py) writes at deploy time. No object.
        "configure-notifications": ("s3:GetBucketNotification", "s3:PutBucketNotification"),
    },
    KMS_KEY: {
        "decrypt": _KMS_DECRYPT,
        "encrypt": _KMS_ENCRYPT,
        "encrypt-decrypt": _KMS_DECRYPT + _KMS_ENCRYPT,
    },
    SQS_QUEUE: {
        "send": ("sqs:SendMessage",),
        "consume": (
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
        ),
    },
    LOG_GROUP: {
        "write": ("logs:CreateLogStream", "logs:PutLogEvents"),
    },
    SNS_TOPIC: {
        "publish": ("sns:Publish",),
        # A subscription pushes the topic's messages to the subscriber's endpoint (a queue it
        # consumes): the data arrives without any IAM action of the receiver, but it is declared.
        "receive": (),
    },
    SECRET: {
        "read": ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"),
    },
    SSM_PARAMETER: {
        "read": ("ssm:GetParameter", "ssm:GetParameters"),
    },
    LAMBDA_FUNCTION: {
        "invoke": ("lambda:InvokeFunction",),
    },
    COGNITO_USER_POOL: {
        # An admin route checks, on every call, that the caller is still in its group.
        "read-membership": ("cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"),
        # A write checks, on every call, that the caller is still an enabled user of the pool.
        "read-status": ("cognito-idp:AdminGetUser",),
    },
    # A function in a VPC: Lambda creates its network interfaces in these subnets, with these
    # security groups (CreateNetworkInterface needs permission on both, and on the new interface).
    EC2_SUBNET: {
        "attach-network-interface": ("ec2:CreateNetworkInterface",),
    },
    EC2_SECURITY_GROUP: {
        "attach-network-interface": ("ec2:CreateNetworkInterface",),
    },
}

#: Actions a ``wildcards`` entry of the perimeter metadata may excuse, and nothing else: those AWS
#: documents as supporting no resource-level permissions (granted on ``"*"``), and the network
#: interface actions of a function in a VPC, whose interfaces EC2 names only when Lambda creates
#: them (granted on the account's and region's ``network-interface/*``; CreateNetworkInterface is
#: also scoped to the function's subnets and security groups). The entry names the exact resource.
RESOURCE_LESS_ACTIONS: frozenset[str] = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "dynamodb:ListStreams",
        # What a function in a VPC needs to attach its network interfaces.
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",  # in AWSLambdaVPCAccessExecutionRole; SecureFunction(vpc=...) grants it
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
)


#: The network interfaces of the stack's own account and region, as the perimeter metadata and
#: cdk-nag write the ARN (intrinsics as ``<AWS::...>``): what a VPC function's interface actions name.
NETWORK_INTERFACES_WILDCARD = "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*"


def is_resource_less(action: str) -> bool:
    """True when ``action`` (any case) is one of ``RESOURCE_LESS_ACTIONS``."""
    return action.lower() in _RESOURCE_LESS_LOWER


_RESOURCE_LESS_LOWER = frozenset(action.lower() for action in RESOURCE_LESS_ACTIONS)


#: Actions on a data resource's configuration that read or write none of its data (what CDK's
#: helper functions do at deploy time). The perimeter check judges them against the declared
#: access level like any action, but does not count them as data reach of the resource (P13).
CONFIGURATION_ACTIONS: frozenset[str] = frozenset({"s3:GetBucketNotification", "s3:PutBucketNotification"})
_CONFIGURATION_LOWER = frozenset(action.lower() for action in CONFIGURATION_ACTIONS)


def is_configuration_action(action: str) -> bool:
    """True when ``action`` (any case) is one of ``CONFIGURATION_ACTIONS``."""
    return action.lower() in _CONFIGURATION_LOWER


def actions_for(kind: str, access: str) -> tuple[str, ...]:
    """Return the exact actions of ``access`` on a resource of ``kind``.

    Raises ``KeyError`` with a message naming the valid choices when either is unknown.
    """
    levels = ACCESS_LEVELS.get(kind)
    if levels is None:
        raise KeyError(f"unknown resource kind {kind!r}; expected one of {sorted(ACCESS_LEVELS)}")
    actions = levels.get(access)
    if actions is None:
        raise KeyError(f"unknown access level {access!r} for {kind}; expected one of {sorted(levels)}")
    return actions


#: Template metadata key under which the library records a function's declared perimeter.
PERIMETER_METADATA_KEY = "SecureServerless::Perimeter"
#: Where the kit records what a CDK helper function is, inside its perimeter record (the analyzer reads
#: only version, role, reach, wildcards).
HELPER_KEY = "helper"


# --- typed access levels ---
# The public, typed names of the access levels above, for the kit's grant methods. They are
# ``StrEnum``s, so a plain string ("read") is accepted wherever a member is (tests keep each enum
# equal to its kind's keys in ACCESS_LEVELS).
class TableAccess(StrEnum):
    """Access of a function to a DynamoDB table (and the indexes it names)."""

    READ = "read"
    WRITE = "write"
    READ_WRITE = "read-write"


class PrefixAccess(StrEnum):
    """Access of a function to the objects under one key prefix of a bucket."""

    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    READ_WRITE = "read-write"
    READ_WRITE_DELETE = "read-write-delete"


class KeyAccess(StrEnum):
    """Use of a KMS key by a function."""

    DECRYPT = "decrypt"
    ENCRYPT = "encrypt"
    ENCRYPT_DECRYPT = "encrypt-decrypt"


class QueueAccess(StrEnum):
    """Access of a function to an SQS queue."""

    SEND = "send"
    CONSUME = "consume"


#: kind -> its typed enum (tests compare each with ACCESS_LEVELS[kind]).
TYPED_LEVELS: Mapping[str, type[StrEnum]] = {
    DYNAMODB_TABLE: TableAccess,
    S3_PREFIX: PrefixAccess,
    KMS_KEY: KeyAccess,
    SQS_QUEUE: QueueAccess,
}
