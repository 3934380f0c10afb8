"""Cross-region replication of a SecureBucket to a bucket of its own key in a second region.

Two sides, in two stacks of one app:

- ``BucketReplica`` in a stack pinned to the second region (``env=cdk.Environment(region=...)``):
  a SecureBucket (private, TLS-only, versioned, access-logged) encrypted with its own
  EncryptionKey, under the name and key alias of a ``ReplicaTarget``;
- ``replicate_bucket(source, target=...)`` in the source stack, which may stay
  environment-agnostic: the replication rule (every object, delete markers, SSE-KMS objects
  re-encrypted under the replica's key) and a replication role with exact actions.

The source stack cannot reference the replica stack (CloudFormation references do not cross
regions), so both sides name the replica by the target's deterministic bucket name and key alias
(the account id is filled in at deploy time). Deploy the replica stack first
(``source_stack.add_dependency(replica_stack)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._grants import cfn_of
from ._service_role import service_role
from ._validation import ConfigurationError, Problems
from .compliance import acknowledge, iam5_resource
from .encryption_key import EncryptionKey
from .regulated_findings import acknowledge_access_log_bucket_findings, acknowledge_bucket_not_replicated
from .secure_bucket import SecureBucket

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{2,30}$")
_REPLICA_REASON = (
    "This bucket is itself the cross-region replica of the source bucket; replicating the replica again would "
    "only add a third copy. Versioning, RETAIN and TLS-only access are on."
)


@dataclass(frozen=True)
class ReplicaTarget:
    """Where a bucket replicates to: a region and a name prefix, shared by both stacks.

    :param region: the replica's region, e.g. "eu-central-1" (not the source's region).
    :param name_prefix: 3..31 lower-case letters, digits or '-'; the replica bucket is named
        ``<name_prefix>-<account id>-<region>`` and its key alias is ``<name_prefix>-replica``.
    """

    region: str
    name_prefix: str

    def __post_init__(self) -> None:
        problems = []
        if not _REGION.match(self.region):
            problems.append(f"region={self.region!r}: give an AWS region name, e.g. 'eu-central-1'")
        if not _NAME_PREFIX.match(self.name_prefix):
            problems.append(
                f"name_prefix={self.name_prefix!r}: use 3 to 31 lower-case letters, digits or '-' "
                "(it starts the replica bucket's name)"
            )
        if problems:
            raise ConfigurationError("ReplicaTarget", problems)

    @property
    def bucket_name(self) -> str:
        return f"{self.name_prefix}-{cdk.Aws.ACCOUNT_ID}-{self.region}"

    @property
    def key_alias(self) -> str:
        return f"{self.name_prefix}-replica"

    def bucket_arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:s3:::{self.bucket_name}"

    def key_alias_arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:kms:{self.region}:{cdk.Aws.ACCOUNT_ID}:alias/{self.key_alias}"


class BucketReplica(Construct):
    """The destination bucket and its own key, in a stack pinned to ``target.region``.

    :param target: the replica's region and name prefix (required).
    :param removal_policy: bucket and key on stack deletion. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: ReplicaTarget,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        problems = Problems(self.node.path)
        if stack.region != target.region:
            problems.add(
                "target.region",
                target.region,
                f"the stack's region is {stack.region if not cdk.Token.is_unresolved(stack.region) else 'not set'}; "
                "put BucketReplica in a stack with env=cdk.Environment(region=target.region)",
            )
        problems.raise_if_any()
        self.target = target
        self.key = EncryptionKey(
            self,
            "Key",
            alias=target.key_alias,
            description=f"Key of the cross-region replica bucket {target.name_prefix}",
            allow_cloudwatch_logs=False,
            removal_policy=removal_policy,
        )
        self.secure_bucket = SecureBucket(self, "Bucket", encryption_key=self.key, removal_policy=removal_policy)
        cfn_of(self.secure_bucket.bucket).add_property_override("BucketName", target.bucket_name)
        acknowledge_bucket_not_replicated(self.secure_bucket, reason=_REPLICA_REASON)
        acknowledge_access_log_bucket_findings(self.secure_bucket)


def replicate_bucket(source: SecureBucket, *, target: ReplicaTarget) -> iam.Role:
    """Replicate every object of ``source`` (and delete markers) to ``target``; returns the role S3 uses.

    The role may read the source's object versions and replication configuration, decrypt with the
    source key through S3 of the source's region, write replicas to the target bucket, and encrypt
    with the replica's key (found by its alias) through S3 of the target region: nothing else.
    """
    stack = cdk.Stack.of(source)
    if not cdk.Token.is_unresolved(stack.region) and stack.region == target.region:
        raise ConfigurationError(
            source.node.path,
            [f"target.region={target.region!r}: is the source bucket's own region; choose a second region"],
        )
    role = service_role(
        source, "ReplicationRole", service="s3.amazonaws.com", description=f"S3 replication of {source.node.path} only"
    )
    replica_objects = f"{target.bucket_arn()}/*"
    # Attached through the policy's Roles, not the role's ManagedPolicyArns: the bucket names the role,
    # the policy names the bucket, so the role must not depend on the policy.
    policy = iam.ManagedPolicy(
        source,
        "ReplicationPolicy",
        roles=[role],
        description=f"Cross-region replication of {source.node.path} to {target.name_prefix} in {target.region}",
        statements=[
            iam.PolicyStatement(
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"], resources=[source.bucket_arn]
            ),
            iam.PolicyStatement(
                actions=[
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[f"{source.bucket_arn}/*"],
            ),
            iam.PolicyStatement(
                actions=["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                resources=[replica_objects],
            ),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[source.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=[f"arn:{cdk.Aws.PARTITION}:kms:{target.region}:{cdk.Aws.ACCOUNT_ID}:key/*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{target.region}.amazonaws.com"},
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{target.key_alias}"},
                },
            ),
        ],
    )
    bucket_id = stack.resolve(stack.get_logical_id(cfn_of(source.bucket)))
    acknowledge(
        policy,
        iam5_resource(f"<{bucket_id}.Arn>/*"),
        "Replication reads every object version of this one bucket: IAM expresses 'every object' with a "
        "trailing '*'; the actions are the three replication reads, nothing else.",
    )
    acknowledge(
        policy,
        iam5_resource(f"arn:<AWS::Partition>:s3:::{target.name_prefix}-<AWS::AccountId>-{target.region}/*"),
        "Replication writes every replicated object into the one replica bucket: IAM expresses 'every object' "
        "with a trailing '*'; the actions are ReplicateObject, ReplicateDelete and ReplicateTags only.",
    )
    acknowledge(
        policy,
        iam5_resource(f"arn:<AWS::Partition>:kms:{target.region}:<AWS::AccountId>:key/*"),
        "The replica's key lives in another region's stack, so its key id cannot be referenced here; the "
        f"statement is limited to the key whose alias is alias/{target.key_alias} (kms:ResourceAliases) and to "
        f"use through S3 in {target.region} (kms:ViaService).",
    )
    acknowledge_access_log_bucket_findings(source)
    cfn_bucket = cfn_of(source.bucket)
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
        role=role.role_arn,
        rules=[
            s3.CfnBucket.ReplicationRuleProperty(
                id="EveryObjectToTheSecondRegion",
                status="Enabled",
                priority=1,
                filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
                delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Enabled"),
                source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
                    sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(status="Enabled")
                ),
                destination=s3.CfnBucket.ReplicationDestinationProperty(
                    bucket=target.bucket_arn(),
                    encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                        replica_kms_key_id=target.key_alias_arn()
                    ),
                ),
            )
        ],
    )
    return role
