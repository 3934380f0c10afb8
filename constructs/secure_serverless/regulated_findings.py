"""What the regulated packs ask that the kit acknowledges instead of building, and why.

NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 each flag a few settings that would buy no
protection here, or that cannot be built in an environment-agnostic stack. Each helper records
the acknowledgment on the resource the finding is about, with the reason; docs/compliance.md
lists them and a test keeps that list equal to the assembly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from .compliance import acknowledge

if TYPE_CHECKING:
    from .rest_api import SecureRestApi
    from .secure_bucket import SecureBucket

_REGULATED_PACKS = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")

_CACHE_REASON = (
    "Caching is off on purpose: every method returns per-user data behind the Cognito authorizer, and an API "
    "Gateway cache keyed without the caller's identity would serve one user's response to another. With "
    "caching off there is no cache to encrypt."
)
_CLIENT_CERTIFICATE_REASON = (
    "A client certificate authenticates API Gateway to an HTTP backend; every integration of this API is a "
    "Lambda proxy integration, which API Gateway invokes through the Lambda API with IAM (SigV4 over TLS) and "
    "which never sees or checks a client certificate."
)
_ACCESS_LOG_ENCRYPTION_REASON = (
    "This is the server-access-log bucket: S3 server access log delivery writes only to target buckets whose "
    "default encryption is SSE-S3 (SSE-KMS targets are not supported), so it is encrypted with SSE-S3; the data "
    "bucket it logs uses SSE-KMS with its own key."
)
_REPLICATION_REASON = (
    "Cross-region replication needs a destination bucket and KMS key in a second region, i.e. a second stack "
    "pinned to an explicit region; this stack is environment-agnostic (deployable to any account and region) "
    "and defines none. Versioning with noncurrent-version retention, RETAIN and TLS-only access protect the "
    "objects against deletion and overwrite; a regional outage is not covered."
)


def _acknowledge_in_every_regulated_pack(scope: IConstruct, rule: str, reason: str) -> None:
    for pack in _REGULATED_PACKS:
        acknowledge(scope, f"{pack}-{rule}", reason)


def acknowledge_api_findings(api: SecureRestApi) -> None:
    """The stage's cache (off, per-user data) and client-certificate (Lambda proxy) findings."""
    _acknowledge_in_every_regulated_pack(api.stage, "APIGWCacheEnabledAndEncrypted", _CACHE_REASON)
    _acknowledge_in_every_regulated_pack(api.stage, "APIGWSSLEnabled", _CLIENT_CERTIFICATE_REASON)


_LOG_REPLICATION_REASON = (
    "This is the server-access-log bucket of a kit bucket: request records kept for audit in the bucket's region. "
    "The kit replicates data buckets, not their access logs; losing a region loses that region's request history, "
    "not data."
)


def acknowledge_bucket_findings(bucket: SecureBucket, *, replication_reason: str = _REPLICATION_REASON) -> None:
    """Replication of the bucket (and of its own access-log bucket), and the log bucket's SSE-S3.

    :param replication_reason: why the bucket is not replicated. Default: the environment-agnostic
        reason above; say your own when your stack has another. A bucket that is replicated
        (``replicate_bucket``) needs only ``acknowledge_access_log_bucket_findings``.
    """
    acknowledge_bucket_not_replicated(bucket, reason=replication_reason)
    acknowledge_access_log_bucket_findings(bucket, replication_reason=replication_reason)


def acknowledge_bucket_not_replicated(bucket: SecureBucket, *, reason: str) -> None:
    """The bucket itself (not its access logs) has no replication rule, for ``reason``."""
    _acknowledge_in_every_regulated_pack(bucket.bucket, "S3BucketReplicationEnabled", reason)


def acknowledge_access_log_bucket_findings(
    bucket: SecureBucket, *, replication_reason: str = _LOG_REPLICATION_REASON
) -> None:
    """The findings of the access-log bucket a SecureBucket created: SSE-S3, and no replication."""
    log_bucket = bucket.access_logs_bucket
    if isinstance(log_bucket, s3.Bucket) and log_bucket.node.scope is bucket:
        _acknowledge_in_every_regulated_pack(log_bucket, "S3BucketReplicationEnabled", replication_reason)
        _acknowledge_in_every_regulated_pack(log_bucket, "S3DefaultEncryptionKMS", _ACCESS_LOG_ENCRYPTION_REASON)
