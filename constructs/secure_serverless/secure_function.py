"""SecureFunction: a Lambda function inside its own perimeter.

Its own role (no AWS managed policy, exact actions on exact ARNs), its own encrypted log group
with retention, a CMK for its environment, X-Ray active, the recursive-loop guard on, an encrypted
dead-letter queue when it is invoked asynchronously, and the declared perimeter recorded in the
template. Its access changes only through the kit's grant methods (``SecureTable.grant``,
``SecureBucket.grant_prefix``, ``EncryptionKey.grant``, ``SecureFunction.grant_invoke``, ...): any
other grant that reaches its role fails the synth, naming the kit method (see ``_perimeter_role``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct, Node

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import KeyAccess, QueueAccess

from ._control_plane_reach import declare_control_plane_reach
from ._grants import cfn_of, claim, key_of, kit_function_of, register_kit_type
from ._log_retention import MINIMUM_LOG_RETENTION, checked_retention, record_short_retention
from ._perimeter_intent import PerimeterDeclaration
from ._perimeter_role import ForeignGrantValidation, PerimeterRole
from ._tree import path_of
from ._validation import Problems
from .cdk_compat import lambda_runtime
from .compliance import acknowledge, iam5_resource
from .encryption_key import EncryptionKey
from .powertools import POWERTOOLS_VERSION, powertools_layer

if TYPE_CHECKING:
    from .secure_table import SecureTable

_XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
_XRAY_REASON = (
    "X-Ray trace ingestion (PutTraceSegments, PutTelemetryRecords) supports no resource-level "
    "permissions: AWS documents Resource '*' as the only form."
)
# What Lambda needs to attach a function to a VPC (the content of AWSLambdaVPCAccessExecutionRole
# minus its logs statements, which the function's own log-group statement covers), scoped where
# IAM allows it (issue 25; checkov CKV_AWS_111 flags write actions on "*"):
# - the Describe actions support no resource-level permissions: "*";
# - CreateNetworkInterface needs permission on the subnet, the security group and the new
#   interface: the function's own subnets and security groups by ARN, and the interface as below;
# - the interface actions on interfaces EC2 names only when Lambda creates them: the account's and
#   region's network-interface/* (not "*": no other service, account or region).
_VPC_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
_VPC_INTERFACE_ACTIONS = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
]
_VPC_ACTIONS = sorted(_VPC_DESCRIBE_ACTIONS + _VPC_INTERFACE_ACTIONS)
_VPC_DESCRIBE_REASON = (
    "Lambda reads the function's network interfaces and subnets with ec2:DescribeNetworkInterfaces and "
    "ec2:DescribeSubnets, which support no resource-level permissions: AWS documents Resource '*' as the only form."
)
_VPC_INTERFACE_REASON = (
    "Lambda creates, deletes and assigns addresses to the function's network interfaces; EC2 names an "
    "interface only when it creates it, so the role names this account's and region's network-interface/* "
    "(not '*'). Creating one also needs permission on its subnet and security group, which the role grants "
    "on the function's own subnets and security groups only."
)
_VPC_REASON = (
    "Lambda creates and deletes the function's network interfaces in the VPC with these EC2 actions; "
    "the Describe actions support no resource-level permissions and Lambda documents Resource '*' for all of them."
)
_SYNC_DLQ_REASON = (
    "This function is invoked synchronously (API Gateway proxy integration, RequestResponse or an event source "
    "mapping): Lambda sends only asynchronous invocations to a dead-letter queue, so a DLQ here could never "
    "receive a message. Failures reach the caller, the function's error metric and its alarm instead."
)
_SQS_ESM_REASON = (
    "An SQS event source mapping supports no on-failure destination: a message that fails maxReceiveCount times "
    "moves to the queue's own dead-letter queue (its RedrivePolicy), which is where failures go."
)
_STREAM_FAILURES_REASON = (
    "This queue is the on-failure destination of the function's stream event source mappings (the end of the "
    "failure path for batches that failed every retry); it has no dead-letter queue of its own."
)
_DLQ_RULES = ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "PCI.DSS.321-LambdaDLQ")


class Invocation(enum.Enum):
    """How a function is invoked, which decides whether a dead-letter queue can ever fire."""

    #: API Gateway, ``RequestResponse`` calls, event source mappings: failures go back to the caller.
    SYNCHRONOUS = "synchronous"
    #: S3, SNS, EventBridge, ``Event`` calls: failed events go to the function's dead-letter queue.
    ASYNCHRONOUS = "asynchronous"


class SecureFunction(lambda_.FunctionBase):
    """A Python 3.14 arm64 Lambda function with its own role, key and log group.

    It is an ``aws_lambda.IFunction`` (a ``FunctionBase`` over its inner ``function``), so any CDK
    API takes it: ``targets.LambdaFunction(fn)``, ``apigateway.LambdaIntegration(fn)``,
    ``fn.metric_errors()``, ``fn.add_event_source(...)``, a Step Functions ``LambdaInvoke``. As an
    ``iam.IGrantable`` its grants go through the kit's one grant pipeline: kit grants and CDK grants
    that map onto an access level are written exactly and recorded in its perimeter; any other
    grant fails the synth with a message naming the kit method to use.

    :param code: the function's code asset (required), e.g. ``lambda_.Code.from_asset("lambdas/x")``.
    :param handler: ``module.function`` (required).
    :param invocation: how the function is invoked (required): ``Invocation.ASYNCHRONOUS`` gives it
        an encrypted dead-letter queue; ``Invocation.SYNCHRONOUS`` gives it none (it could never
        fire) and records why.
    :param description: function description. Default: none.
    :param memory_size: MiB, 128..10240. Default: 256.
    :param timeout: 1 s..15 min. Default: 10 seconds.
    :param environment: environment variables, encrypted at rest with the function's key.
        Default: only the Powertools variables.
    :param service_name: ``POWERTOOLS_SERVICE_NAME``. Default: the construct id in lower case.
    :param metrics_namespace: ``POWERTOOLS_METRICS_NAMESPACE``. Default: "SecureServerlessKit".
    :param encryption_key: the key for the environment, log group and DLQ: an ``EncryptionKey`` or
        any ``kms.IKey`` defined in the app (an imported key is refused: its policy cannot be
        checked). Default: a new EncryptionKey.
    :param log_retention: a ``logs.RetentionDays``. Default: ONE_YEAR. Shorter needs
        ``short_log_retention_reason``.
    :param short_log_retention_reason: why a retention below one year is acceptable; recorded in
        the cloud assembly as the acknowledgment ``SecureServerless-ShortLogRetention``.
        Default: none (a shorter retention is a synth error).
    :param application_log_level: a ``lambda_.ApplicationLogLevel``. Default: INFO.
    :param reserved_concurrent_executions: cap on concurrency. Default: unreserved (a hard
        default fails to deploy on accounts whose concurrency quota is 10 or 50).
    :param powertools: add the AWS-managed Powertools layer. Default: True.
    :param powertools_version: the Powertools release whose AWS-managed layer is used, resolved at
        deploy time from AWS's public SSM parameter for that exact version. Default:
        ``POWERTOOLS_VERSION``, the version the handlers are tested with.
    :param layers: extra layers. Default: none.
    :param dead_letter_queue_retention: how long failed async events are kept, 1 min..14 days
        (asynchronous functions only). Default: 14 days.
    :param vpc: run the function in this VPC. Default: no VPC. The ENI actions Lambda needs are
        written exactly (no AWS managed policy).
    :param vpc_subnets: subnets in ``vpc``. Default: the VPC's private (or isolated) subnets.
    :param security_groups: security groups of the function. Default: one new group with no
        inbound rule (CDK's default).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        invocation: Invocation,
        description: str | None = None,
        memory_size: int = 256,
        timeout: cdk.Duration | None = None,
        environment: Mapping[str, str] | None = None,
        service_name: str | None = None,
        metrics_namespace: str = "SecureServerlessKit",
        encryption_key: EncryptionKey | kms.IKey | None = None,
        log_retention: logs.RetentionDays = MINIMUM_LOG_RETENTION,
        short_log_retention_reason: str | None = None,
        application_log_level: lambda_.ApplicationLogLevel = lambda_.ApplicationLogLevel.INFO,
        reserved_concurrent_executions: int | None = None,
        powertools: bool = True,
        powertools_version: str = POWERTOOLS_VERSION,
        layers: Sequence[lambda_.ILayerVersion] = (),
        dead_letter_queue_retention: cdk.Duration | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or cdk.Duration.seconds(10)
        problems = Problems(path_of(self))
        if not isinstance(invocation, Invocation):
            problems.add("invocation", invocation, "use Invocation.SYNCHRONOUS or Invocation.ASYNCHRONOUS")
        problems.check_range("memory_size", memory_size, 128, 10240, "MiB")
        problems.check_range("timeout", timeout.to_seconds(), 1, 900, "seconds")
        if dead_letter_queue_retention is not None:
            if invocation is Invocation.SYNCHRONOUS:
                problems.add(
                    "dead_letter_queue_retention",
                    dead_letter_queue_retention.to_human_string(),
                    "a synchronously invoked function has no dead-letter queue; remove the option",
                )
            problems.check_range(
                "dead_letter_queue_retention", dead_letter_queue_retention.to_seconds(), 60, 1209600, "seconds"
            )
        if not isinstance(application_log_level, lambda_.ApplicationLogLevel):
            problems.add(
                "application_log_level",
                application_log_level,
                "use a lambda_.ApplicationLogLevel member, e.g. lambda_.ApplicationLogLevel.INFO",
            )
        if reserved_concurrent_executions is not None:
            problems.check_range("reserved_concurrent_executions", reserved_concurrent_executions, 1, 10000)
        if "." not in handler:
            problems.add("handler", handler, "use the form 'module.function', e.g. 'app.handler'")
        reserved = sorted(k for k in (environment or {}) if k.startswith("AWS_") or k.startswith("_"))
        if reserved:
            problems.add("environment", reserved, "names starting with AWS_ or _ are reserved by Lambda; rename them")
        if vpc is None and (vpc_subnets is not None or security_groups):
            problems.add("vpc", None, "vpc_subnets and security_groups need a vpc; pass vpc= or remove them")
        if encryption_key is not None:
            key_of(encryption_key, problems, "encryption_key")  # refuses an imported key
        retention = checked_retention(problems, log_retention, short_log_retention_reason)
        problems.raise_if_any()

        self.invocation = invocation
        self.encryption_key: EncryptionKey | kms.IKey = encryption_key or EncryptionKey(self, "Key")
        self.key: kms.IKey = key_of(self.encryption_key)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=retention,
            encryption_key=self.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        record_short_retention(self.log_group, retention, short_log_retention_reason)
        self.dead_letter_queue: sqs.Queue | None = None
        if invocation is Invocation.ASYNCHRONOUS:
            self.dead_letter_queue = sqs.Queue(
                self,
                "DeadLetterQueue",
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=self.key,
                data_key_reuse=cdk.Duration.minutes(5),
                enforce_ssl=True,
                retention_period=dead_letter_queue_retention or cdk.Duration.days(14),
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            acknowledge(
                self.dead_letter_queue,
                "Serverless-SQSRedrivePolicy",
                "This queue is the dead-letter queue of a Lambda function (DeadLetterConfig.TargetArn); it is "
                "the end of the failure path, so it has no redrive policy to a further queue of its own.",
            )

        # A customer-managed policy rather than the role's default (inline) policy: NIST 800-53,
        # HIPAA and PCI packs flag inline policies. The role drops the statements CDK adds on its
        # own while the function is built (the kit writes exact ones) and refuses foreign grants.
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Perimeter of {path_of(self)}: exact actions on this function's own resources",
        )
        self._role = PerimeterRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {path_of(self)} only: exact actions on exact ARNs",
            managed_policies=[self.policy],
        )
        self.role.use_kit_policy(self.policy)
        self.role.kit_function = self
        all_layers = list(layers)
        if powertools:
            all_layers.insert(0, powertools_layer(self, "PowertoolsLayer", powertools_version))
        with self.role.building():
            self.function = lambda_.Function(
                self,
                "Resource",
                code=code,
                handler=handler,
                description=description,
                runtime=lambda_runtime(),
                architecture=lambda_.Architecture.ARM_64,
                memory_size=memory_size,
                timeout=timeout,
                role=self.role,
                environment={
                    "POWERTOOLS_SERVICE_NAME": service_name or construct_id.lower(),
                    "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace,
                    **(environment or {}),
                },
                environment_encryption=self.key,
                log_group=self.log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                application_log_level_v2=application_log_level,
                system_log_level_v2=lambda_.SystemLogLevel.WARN,
                tracing=lambda_.Tracing.ACTIVE,
                dead_letter_queue=self.dead_letter_queue,
                recursive_loop=lambda_.RecursiveLoop.TERMINATE,
                reserved_concurrent_executions=reserved_concurrent_executions,
                layers=all_layers,
                vpc=vpc,
                vpc_subnets=vpc_subnets,
                security_groups=list(security_groups) if security_groups else None,
            )
        self.perimeter = PerimeterDeclaration(cfn_of(self.function), cfn_of(self.role))
        self._allow_own_resources(in_vpc=vpc is not None)
        if vpc is not None:
            self._allow_network_interfaces(vpc, vpc_subnets)
        if invocation is Invocation.SYNCHRONOUS:
            for rule in _DLQ_RULES:
                acknowledge(self.function, rule, _SYNC_DLQ_REASON)
            # The same reason for third-party scanners that read template metadata (checkov).
            cfn_of(self.function).add_metadata(
                "checkov", {"skip": [{"id": "CKV_AWS_116", "comment": _SYNC_DLQ_REASON}]}
            )
        self.role.seal()
        self.function.node.add_validation(ForeignGrantValidation(path_of(self), self.role))

    # ------------------------------------------------------------------ IGrantable, IFunction
    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The function's role: kit grants on it are exact and recorded, other grants fail the synth."""
        return self._role

    @property
    def role(self) -> PerimeterRole:
        """The function's execution role (a ``PerimeterRole``: foreign grants fail the synth)."""
        return self._role

    @property
    def permissions_node(self) -> Node:
        return self.node

    @property
    def architecture(self) -> lambda_.Architecture:
        return self.function.architecture

    @property
    def tenancy_config(self) -> lambda_.TenancyConfig | None:
        return self.function.tenancy_config

    @property
    def _can_create_permissions(self) -> bool:
        return True

    @property
    def resource_arns_for_grant_invoke(self) -> list[str]:
        return self.function.resource_arns_for_grant_invoke

    @property
    def is_bound_to_vpc(self) -> bool:
        return self.function.is_bound_to_vpc

    @property
    def connections(self) -> ec2.Connections:
        return self.function.connections

    # ------------------------------------------------------------------ permissions
    def allow(
        self,
        *,
        kind: str,
        resource: cdk.CfnResource,
        access: str,
        resource_arns: Sequence[str],
        share_reason: str | None = None,
        indexes: tuple[str, ...] = (),
        prefix: str | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> iam.Grant:
        """The kit's one grant primitive: exact actions of an access level on exact ARNs, declared.

        The resource-level grant methods (``SecureTable.grant``, ``SecureBucket.grant_prefix``,
        ``EncryptionKey.grant``, ``SecureFunction.grant_invoke``) use it; call it yourself only for a
        resource the kit does not wrap (e.g. an ``sqs.Queue`` of your own).

        :param kind: a kind from ``secure_serverless_checks.access_levels`` (e.g. ``DYNAMODB_TABLE``).
        :param resource: the L1 resource reached (its logical id goes into the perimeter record).
        :param access: an access level of that kind, e.g. "read" or ``TableAccess.READ_WRITE``.
        :param resource_arns: the exact ARNs (table and index ARNs, object-prefix ARN, ...).
        :param share_reason: the resource is deliberately reached by other functions too, and why.
        """
        actions = self.perimeter.declare(
            kind=kind,
            resource=resource,
            access=str(access),
            share_reason=share_reason,
            indexes=indexes,
            prefix=prefix,
        )
        with self.role.kit_grant():
            return iam.Grant.add_to_principal(
                grantee=self.role,
                actions=sorted(actions),
                resource_arns=list(resource_arns),
                conditions=dict(conditions) if conditions else None,
            )

    def add_event_source(self, source: lambda_.IEventSource) -> None:
        """CDK's ``add_event_source``; an ``S3EventSource`` on a SecureBucket's inner bucket is refused.

        ``S3EventSource`` takes a concrete ``s3.Bucket`` (CDK's Python binding refuses a SecureBucket
        with a TypeError); passing the SecureBucket's inner ``.bucket`` instead would skip the kit's
        check of whose prefix the events carry. ``S3EventSourceV2(secure_bucket, ...)`` takes any
        ``IBucket`` and goes through ``SecureBucket.add_event_notification`` (checked, declared).
        """
        from ._s3_event_sources import refuse_inner_bucket_source

        refuse_inner_bucket_source(self, source)
        super().add_event_source(source)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` invoke this function (``lambda:InvokeFunction`` on its ARN only).

        A kit function as grantee gets the reach declared in its perimeter; any other principal
        gets CDK's own grant (an identity statement, or a resource policy for a service principal).
        """
        caller = kit_function_of(grantee)
        if caller is None:
            return self.function.grant_invoke(grantee)
        return caller.allow(
            kind=access_levels.LAMBDA_FUNCTION,
            resource=cfn_of(self.function),
            access="invoke",
            resource_arns=[self.function.function_arn],
        )

    def declare_control_plane_reach(
        self, *, actions: Sequence[str], resources: Sequence[IConstruct | str], reason: str
    ) -> iam.Grant:
        """Grant and declare control-plane actions (IAM, STS, Lambda code and configuration, resource
        policies...) on exact resources; the perimeter check (P17) refuses any other.

        :param actions: exact control-plane actions, e.g. ``["lambda:UpdateFunctionConfiguration"]``.
        :param resources: constructs of the app (their ARN is granted, their logical id declared) or
            literal ARNs without wildcards. Never ``*``, the function itself or its own role.
        :param reason: why the function needs it, for the reviewer (at least 20 characters); shown in
            the perimeter matrix.
        """
        return declare_control_plane_reach(self, actions=actions, resources=resources, reason=reason)

    def consume_queue(self, queue: sqs.IQueue, *, share_reason: str | None = None, **options: Any) -> iam.Grant | None:
        """Make ``queue`` an event source of this function (exact consume actions, declared).

        The queue's owner (``SecureQueue(owner=...)``, else its first kit grantee) may consume it
        as is; another service consumes it on purpose with ``share_reason``, recorded on both
        sides (the queue and its key, used through SQS only).

        :param share_reason: why this function consumes a queue another service owns. Default:
            none (consuming another service's queue is then a synth error).
        :param options: ``lambda_event_sources.SqsEventSource`` options (batch_size, ...).
        """
        from aws_cdk import aws_lambda_event_sources as event_sources  # only apps with event sources load it

        grant = self._produce_or_consume(queue, "consume", share_reason)
        with self.role.building():
            self.function.add_event_source(event_sources.SqsEventSource(queue, **options))
        if getattr(cfn_of(queue), "redrive_policy", None) is not None:
            acknowledge(
                self._newest_event_source_mapping(), "Serverless-LambdaEventSourceMappingDestination", _SQS_ESM_REASON
            )
        return grant

    def _newest_event_source_mapping(self) -> lambda_.EventSourceMapping:
        mappings = [c for c in self.function.node.children if isinstance(c, lambda_.EventSourceMapping)]
        return mappings[-1]

    def _stream_failure_queue(self) -> sqs.Queue:
        """This function's queue for stream batches that failed every retry (one per function)."""
        existing = self.node.try_find_child("StreamFailures")
        if isinstance(existing, sqs.Queue):
            return existing
        queue = sqs.Queue(
            self,
            "StreamFailures",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            data_key_reuse=cdk.Duration.minutes(5),
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(queue, rule, _STREAM_FAILURES_REASON)
        self.allow(
            kind=access_levels.SQS_QUEUE,
            resource=cfn_of(queue),
            access=QueueAccess.SEND,
            resource_arns=[queue.queue_arn],
        )
        return queue

    def receive_from(
        self,
        topic: sns.ITopic,
        *,
        queue: sqs.IQueue,
        share_reason: str | None = None,
        **subscription_options: Any,
    ) -> None:
        """Subscribe ``queue`` (a queue this function consumes) to ``topic``: SNS-to-SQS fan-out.

        The topic's messages reach this function's service through the subscription: the flow is
        declared on both sides (``receive`` on the topic in this function's perimeter; the topic's
        owner's entry marked shared), with ``share_reason`` when another service owns the topic.
        Options (``raw_message_delivery``, ``dead_letter_queue``, ``filter_policy``...) go to
        ``subscriptions.SqsSubscription``. Consume the queue with ``consume_queue``.

        :param share_reason: why this service receives a topic another service owns. Default: none
            (receiving another service's topic is then a synth error naming the data path).
        """
        from aws_cdk import aws_sns_subscriptions as subscriptions

        from ._grants import claim_ownership

        cfn_topic = cfn_of(topic)
        reason = claim_ownership(
            self, resource=cfn_topic, what=f"the topic {topic.node.path}", share_reason=share_reason
        )
        self.perimeter.declare(kind=access_levels.SNS_TOPIC, resource=cfn_topic, access="receive", share_reason=reason)
        topic.add_subscription(subscriptions.SqsSubscription(queue, **subscription_options))

    def produce_to(self, target: sqs.IQueue | sns.ITopic, *, share_reason: str | None = None) -> iam.Grant | None:
        """Let this function send to ``target`` (an SQS queue) or publish to it (an SNS topic).

        Exact actions (``sqs:SendMessage`` / ``sns:Publish``) and, for an encrypted queue or
        topic, encrypt-decrypt on its key through that service only; recorded in the perimeter.
        CDK's ``queue.grant_send_messages(fn)`` / ``topic.grant_publish(fn)`` land here too, but
        cannot carry ``share_reason``: use this call for a queue or topic another service owns.

        :param share_reason: why this function writes to another service's queue or topic.
            Default: none (a cross-service write is then a synth error).
        """
        is_topic = hasattr(target, "topic_arn")  # jsii interfaces are not runtime-checkable protocols
        return self._produce_or_consume(target, "publish" if is_topic else "send", share_reason)

    def _produce_or_consume(
        self, target: sqs.IQueue | sns.ITopic, level: str, share_reason: str | None
    ) -> iam.Grant | None:
        from ._cdk_grants import grant_on

        cfn_target = cfn_of(target)
        kind = access_levels.SNS_TOPIC if level == "publish" else access_levels.SQS_QUEUE
        grant = grant_on(self, cfn_target, kind, level, share_reason=share_reason)
        key = target.master_key if level == "publish" else target.encryption_master_key  # type: ignore[union-attr]
        if key is not None:
            key_use = KeyAccess.DECRYPT if level == "consume" else KeyAccess.ENCRYPT_DECRYPT
            if not self.perimeter.covers(
                cfn_of(key_of(key)), access_levels.actions_for(access_levels.KMS_KEY, key_use)
            ):
                claim(
                    self, key, key_use, via_services=["sns" if level == "publish" else "sqs"], share_reason=share_reason
                )
        return grant

    def consume_table_stream(self, table: SecureTable, *, share_reason: str | None = None, **options: Any) -> iam.Grant:
        """Make ``table``'s stream an event source of this function (stream-read, declared).

        :param share_reason: why this function follows the stream of a table another service
            owns (recorded on both sides). Default: none (another service's stream is then a
            synth error).
        :param options: ``lambda_event_sources.DynamoEventSource`` options; ``starting_position``
            defaults to LATEST, ``retry_attempts`` to 3, and ``on_failure`` to this function's
            own encrypted queue ``StreamFailures`` (created once, the function may only send to it).
        """
        from aws_cdk import aws_lambda_event_sources as event_sources  # only apps with event sources load it

        grant = table.grant_stream_read(self, share_reason=share_reason)
        options.setdefault("starting_position", lambda_.StartingPosition.LATEST)
        # Without a retry limit a failing batch is retried until its records expire (blocking the
        # shard) and never reaches a failure destination.
        options.setdefault("retry_attempts", 3)
        if "on_failure" not in options:
            options["on_failure"] = event_sources.SqsDlq(self._stream_failure_queue())
        with self.role.building():
            self.function.add_event_source(event_sources.DynamoEventSource(table.table, **options))
        return grant

    def _allow_own_resources(self, *, in_vpc: bool) -> None:
        self.allow(
            kind=access_levels.LOG_GROUP,
            resource=cfn_of(self.log_group),
            access="write",
            resource_arns=[self.log_group.log_group_arn],
        )
        if self.dead_letter_queue is not None:
            self.allow(
                kind=access_levels.SQS_QUEUE,
                resource=cfn_of(self.dead_letter_queue),
                access=QueueAccess.SEND,
                resource_arns=[self.dead_letter_queue.queue_arn],
            )
        # Decrypt: the environment; encrypt: messages to the KMS-encrypted dead-letter queue.
        claim(self, self.encryption_key, KeyAccess.ENCRYPT_DECRYPT)
        self._allow_resourceless(_XRAY_ACTIONS, _XRAY_REASON)
        if in_vpc:
            self._allow_resourceless(_VPC_DESCRIBE_ACTIONS, _VPC_DESCRIBE_REASON)
        reasons = [_XRAY_REASON] + ([_VPC_DESCRIBE_REASON] if in_vpc else [])
        acknowledge(self.policy, iam5_resource("*"), "; ".join(reasons))

    def _allow_network_interfaces(self, vpc: ec2.IVpc, vpc_subnets: ec2.SubnetSelection | None) -> None:
        """The interface actions, scoped to this function's subnets, security groups and account."""
        stack = cdk.Stack.of(self)
        selection = vpc_subnets or ec2.SubnetSelection()
        subnets = vpc.select_subnets(
            subnet_type=selection.subnet_type,
            subnet_group_name=selection.subnet_group_name,
            availability_zones=selection.availability_zones,
            one_per_az=selection.one_per_az,
            subnet_filters=selection.subnet_filters,
            subnets=selection.subnets,
        ).subnets
        groups = self.function.connections.security_groups
        owned = [(s, access_levels.EC2_SUBNET, "subnet", s.subnet_id) for s in subnets] + [
            (g, access_levels.EC2_SECURITY_GROUP, "security-group", g.security_group_id) for g in groups
        ]
        if any(not isinstance(construct.node.default_child, cdk.CfnResource) for construct, *_ in owned):
            # An imported VPC or security group: no resource of the app to name; the previous form.
            self._allow_resourceless(_VPC_INTERFACE_ACTIONS, _VPC_REASON)
            acknowledge(self.policy, iam5_resource("*"), _VPC_REASON)
            return
        for construct, kind, resource_type, resource_id in owned:
            self.allow(
                kind=kind,
                resource=cfn_of(construct),
                access="attach-network-interface",
                resource_arns=[stack.format_arn(service="ec2", resource=resource_type, resource_name=resource_id)],
                share_reason="every function of the network uses it; it holds no data",
            )
        interfaces = stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
        with self.role.kit_grant():
            iam.Grant.add_to_principal(grantee=self.role, actions=_VPC_INTERFACE_ACTIONS, resource_arns=[interfaces])
        self.perimeter.explain_wildcard(
            actions=_VPC_INTERFACE_ACTIONS,
            resource=access_levels.NETWORK_INTERFACES_WILDCARD,
            reason=_VPC_INTERFACE_REASON,
        )
        acknowledge(self.policy, iam5_resource(access_levels.NETWORK_INTERFACES_WILDCARD), _VPC_INTERFACE_REASON)

    def _allow_resourceless(self, actions: list[str], reason: str) -> None:
        with self.role.kit_grant():
            iam.Grant.add_to_principal(grantee=self.role, actions=actions, resource_arns=["*"])
        self.perimeter.explain_wildcard(actions=actions, resource="*", reason=reason)

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

    @property
    def function_name(self) -> str:
        return self.function.function_name


register_kit_type("function", SecureFunction)
