"""SecureQueue: an SQS queue owned by one service, encrypted with its key, TLS only, with a dead-letter queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._grants import cfn_of, declare_owner, key_of
from ._validation import Problems
from .compliance import acknowledge
from .encryption_key import EncryptionKey, owned_key

if TYPE_CHECKING:
    from .secure_function import SecureFunction

_DLQ_REASON = (
    "This queue is the dead-letter queue of a SecureQueue (its RedrivePolicy names it): it is the end of the "
    "failure path, so it has no redrive policy to a further queue of its own."
)


class SecureQueue(sqs.QueueBase):
    """An SQS queue of one service: KMS-encrypted with that service's key, TLS only, with a DLQ.

    It is an ``sqs.IQueue`` (a ``QueueBase`` over its inner ``queue``), so CDK takes it anywhere
    (``SqsSubscription``, ``SqsEventSource``, ``targets.SqsQueue``). Grants to kit functions land in
    the kit's grant pipeline: ``queue.grant_send_messages(fn)`` or ``fn.produce_to(queue)`` to
    send, ``fn.consume_queue(queue)`` to consume; a function of another service needs
    ``share_reason`` (``produce_to`` / ``consume_queue``), recorded on both sides.

    :param owner: the kit function whose service owns the queue (declared at construction, so
        the order of grants does not matter). Default: the first kit function granted the queue.
    :param encryption_key: the key of the queue and its dead-letter queue: an ``EncryptionKey``
        or a ``kms.IKey`` defined in the app. Default: the owner's key; without an owner, a new
        EncryptionKey.
    :param visibility_timeout: at least the consumer's timeout. Default: 30 seconds.
    :param retention_period: 1 minute..14 days. Default: 4 days (SQS's default).
    :param max_receive_count: receives before a message moves to the dead-letter queue, 1..1000.
        Default: 3.
    :param dead_letter_queue_retention: 1 minute..14 days. Default: 14 days.
    :param removal_policy: Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        owner: SecureFunction | None = None,
        encryption_key: EncryptionKey | kms.IKey | None = None,
        visibility_timeout: cdk.Duration | None = None,
        retention_period: cdk.Duration | None = None,
        max_receive_count: int = 3,
        dead_letter_queue_retention: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        problems.check_range("max_receive_count", max_receive_count, 1, 1000)
        for option, value in (
            ("retention_period", retention_period),
            ("dead_letter_queue_retention", dead_letter_queue_retention),
        ):
            if value is not None:
                problems.check_range(option, value.to_seconds(), 60, 1209600, "seconds")
        if visibility_timeout is not None:
            problems.check_range("visibility_timeout", visibility_timeout.to_seconds(), 0, 43200, "seconds")
        if encryption_key is not None:
            key_of(encryption_key, problems, "encryption_key")
        problems.raise_if_any()

        self._encryption_key: EncryptionKey | kms.IKey = owned_key(self, encryption_key, owner)
        key = key_of(self._encryption_key)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=cdk.Duration.minutes(5),
            enforce_ssl=True,
            retention_period=dead_letter_queue_retention or cdk.Duration.days(14),
            removal_policy=removal_policy,
        )
        acknowledge(self.dead_letter_queue, "Serverless-SQSRedrivePolicy", _DLQ_REASON)
        self.queue = sqs.Queue(
            self,
            "Resource",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=cdk.Duration.minutes(5),
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            retention_period=retention_period,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=max_receive_count),
            removal_policy=removal_policy,
        )
        self.owner = owner
        declare_owner(owner, resource=cfn_of(self.queue), what=f"the queue {self.queue.node.path}")

    # ------------------------------------------------------------------ sqs.IQueue
    @property
    def queue_arn(self) -> str:
        return self.queue.queue_arn

    @property
    def queue_url(self) -> str:
        return self.queue.queue_url

    @property
    def queue_name(self) -> str:
        return self.queue.queue_name

    @property
    def encryption_master_key(self) -> EncryptionKey | kms.IKey:
        return self._encryption_key

    @property
    def encryption_type(self) -> sqs.QueueEncryption:
        return sqs.QueueEncryption.KMS

    @property
    def fifo(self) -> bool:
        return self.queue.fifo

    @property
    def _auto_create_policy(self) -> bool:
        return True

    def add_to_resource_policy(self, statement: iam.PolicyStatement) -> iam.AddToResourcePolicyResult:
        return self.queue.add_to_resource_policy(statement)
