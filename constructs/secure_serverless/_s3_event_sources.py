"""S3 event sources on kit buckets: the one CDK call that cannot take a SecureBucket, and its kit call.

``aws_lambda_event_sources.S3EventSource`` is typed for a concrete ``s3.Bucket``: CDK's Python
binding refuses a ``SecureBucket`` (an ``IBucket``) with a TypeError before the kit runs. Its inner
``.bucket`` would be accepted, but its notifications would then bypass
``SecureBucket.add_event_notification``, which checks whose prefix the events carry and declares
CDK's notifications handler. So the kit refuses that form, naming the calls that do the same thing
through the kit: ``S3EventSourceV2`` (CDK's own event source for any ``IBucket``) or
``bucket.add_event_notification``.
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import IConstruct

from ._validation import ConfigurationError

#: What to write instead: the same notification, through the kit's checked path.
S3_EVENT_SOURCE_FIX = (
    "use sources.S3EventSourceV2(<secure bucket>, events=[...], filters=[s3.NotificationKeyFilter(prefix=...)]) "
    "with the SecureBucket itself (not its .bucket), or <secure bucket>.add_event_notification(event, "
    "s3n.LambdaDestination(<function>), s3.NotificationKeyFilter(prefix=...)): both go through "
    "SecureBucket.add_event_notification, which checks whose prefix the events carry"
)


def refuse_inner_bucket_source(function: IConstruct, source: lambda_.IEventSource) -> None:
    """Raise when ``source`` is an ``S3EventSource`` on the inner bucket of a SecureBucket."""
    from .secure_bucket import SecureBucket

    if not isinstance(source, event_sources.S3EventSource):
        return
    holder = source.bucket.node.scope
    if isinstance(holder, SecureBucket) and holder.bucket.node.path == source.bucket.node.path:
        raise ConfigurationError(
            function.node.path,
            [
                f"S3EventSource({holder.node.path}.bucket) bypasses the kit: the notifications of the SecureBucket's "
                f"inner bucket skip the check of whose prefix the events carry; {S3_EVENT_SOURCE_FIX}"
            ],
        )
