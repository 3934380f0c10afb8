"""SecureTopic: an SNS topic owned by one service, encrypted with its key, TLS only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._grants import cfn_of, declare_owner, key_of
from ._validation import Problems
from .encryption_key import EncryptionKey, owned_key

if TYPE_CHECKING:
    from .secure_function import SecureFunction


class SecureTopic(sns.TopicBase):
    """An SNS topic of one service: KMS-encrypted with that service's key, TLS only.

    It is an ``sns.ITopic`` (a ``TopicBase`` over its inner ``topic``): ``add_subscription``,
    ``targets.SnsTopic``, ``metric_*`` take it. ``topic.grant_publish(fn)`` or ``fn.produce_to(topic)``
    grant exactly ``sns:Publish`` (and the key through SNS only) and record it; a function of
    another service needs ``fn.produce_to(topic, share_reason=...)``. Subscriptions carry their own
    dead-letter queue (``SqsSubscription(queue, dead_letter_queue=...)``).

    :param owner: the kit function whose service owns the topic. Default: the first kit function
        granted the topic.
    :param encryption_key: an ``EncryptionKey`` or a ``kms.IKey`` defined in the app. Default: the
        owner's key; without an owner, a new EncryptionKey.
    :param display_name: Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        owner: SecureFunction | None = None,
        encryption_key: EncryptionKey | kms.IKey | None = None,
        display_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        if encryption_key is not None:
            key_of(encryption_key, problems, "encryption_key")
        problems.raise_if_any()
        self._encryption_key: EncryptionKey | kms.IKey = owned_key(self, encryption_key, owner)
        self.topic = sns.Topic(
            self, "Resource", master_key=key_of(self._encryption_key), enforce_ssl=True, display_name=display_name
        )
        self.owner = owner
        declare_owner(owner, resource=cfn_of(self.topic), what=f"the topic {self.topic.node.path}")

    # ------------------------------------------------------------------ sns.ITopic
    @property
    def topic_arn(self) -> str:
        return self.topic.topic_arn

    @property
    def topic_name(self) -> str:
        return self.topic.topic_name

    @property
    def master_key(self) -> EncryptionKey | kms.IKey:
        return self._encryption_key

    @property
    def fifo(self) -> bool:
        return self.topic.fifo

    @property
    def content_based_deduplication(self) -> bool:
        return self.topic.content_based_deduplication

    @property
    def _auto_create_policy(self) -> bool:
        return True

    def add_to_resource_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        return self.topic.add_to_resource_policy(statement)
