"""SecureFunction: a Lambda function inside its own perimeter.

Its own role (no AWS managed policy, exact actions on exact ARNs), its own encrypted log group
with retention, an encrypted dead-letter queue, a CMK for its environment, X-Ray active, the
recursive-loop guard on, and the declared perimeter recorded in the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from . import access_levels
from ._log_retention import MINIMUM_LOG_RETENTION, checked_retention, record_short_retention
from ._perimeter_intent import PerimeterDeclaration
from ._validation import Problems
from .compliance import acknowledge, iam5_resource
from .encryption_key import EncryptionKey
from .powertools import POWERTOOLS_LAYER_VERSION, powertools_layer
from .secure_bucket import SecureBucket

_XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
_XRAY_REASON = (
    "X-Ray trace ingestion (PutTraceSegments, PutTelemetryRecords) supports no resource-level "
    "permissions: AWS documents Resource '*' as the only form."
)
_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


class SecureFunction(Construct):
    """A Python 3.14 arm64 Lambda function with its own role, key, log group and DLQ.

    :param code: the function's code asset (required), e.g. ``lambda_.Code.from_asset("lambdas/x")``.
    :param handler: ``module.function`` (required).
    :param description: function description. Default: none.
    :param memory_size: MiB, 128..10240. Default: 256.
    :param timeout: 1 s..15 min. Default: 10 seconds.
    :param environment: environment variables, encrypted at rest with the function's key.
        Default: only the Powertools variables.
    :param service_name: ``POWERTOOLS_SERVICE_NAME``. Default: the construct id in lower case.
    :param metrics_namespace: ``POWERTOOLS_METRICS_NAMESPACE``. Default: "SecureServerlessKit".
    :param encryption_key: the key for the environment, log group and DLQ. Default: a new key.
    :param log_retention: a ``logs.RetentionDays``. Default: ONE_YEAR. Shorter needs
        ``short_log_retention_reason``.
    :param short_log_retention_reason: why a retention below one year is acceptable; recorded in
        the cloud assembly as the acknowledgment ``SecureServerless-ShortLogRetention``.
        Default: none (a shorter retention is a synth error).
    :param application_log_level: TRACE..FATAL. Default: INFO.
    :param reserved_concurrent_executions: cap on concurrency. Default: unreserved (a hard
        default fails to deploy on accounts whose concurrency quota is 10 or 50).
    :param powertools: add the AWS-managed Powertools layer. Default: True.
    :param powertools_layer_version: version of that layer. Default: ``POWERTOOLS_LAYER_VERSION``.
    :param layers: extra layers. Default: none.
    :param dead_letter_queue_retention: how long failed async events are kept, 1 min..14 days.
        Default: 14 days.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str | None = None,
        memory_size: int = 256,
        timeout: cdk.Duration | None = None,
        environment: Mapping[str, str] | None = None,
        service_name: str | None = None,
        metrics_namespace: str = "SecureServerlessKit",
        encryption_key: EncryptionKey | None = None,
        log_retention: logs.RetentionDays = MINIMUM_LOG_RETENTION,
        short_log_retention_reason: str | None = None,
        application_log_level: str = "INFO",
        reserved_concurrent_executions: int | None = None,
        powertools: bool = True,
        powertools_layer_version: int = POWERTOOLS_LAYER_VERSION,
        layers: Sequence[lambda_.ILayerVersion] = (),
        dead_letter_queue_retention: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or cdk.Duration.seconds(10)
        dead_letter_queue_retention = dead_letter_queue_retention or cdk.Duration.days(14)
        problems = Problems(self.node.path)
        problems.check_range("memory_size", memory_size, 128, 10240, "MiB")
        problems.check_range("timeout", timeout.to_seconds(), 1, 900, "seconds")
        problems.check_range(
            "dead_letter_queue_retention", dead_letter_queue_retention.to_seconds(), 60, 1209600, "seconds"
        )
        problems.check_choice("application_log_level", application_log_level, _LOG_LEVELS)
        if reserved_concurrent_executions is not None:
            problems.check_range("reserved_concurrent_executions", reserved_concurrent_executions, 1, 10000)
        if "." not in handler:
            problems.add("handler", handler, "use the form 'module.function', e.g. 'app.handler'")
        reserved = sorted(k for k in (environment or {}) if k.startswith("AWS_") or k.startswith("_"))
        if reserved:
            problems.add("environment", reserved, "names starting with AWS_ or _ are reserved by Lambda; rename them")
        retention = checked_retention(problems, log_retention, short_log_retention_reason)
        problems.raise_if_any()

        self.encryption_key = encryption_key or EncryptionKey(self, "Key")
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=retention,
            encryption_key=self.encryption_key.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        record_short_retention(self.log_group, retention, short_log_retention_reason)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.encryption_key.key,
            data_key_reuse=cdk.Duration.minutes(5),
            enforce_ssl=True,
            retention_period=dead_letter_queue_retention,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.dead_letter_queue,
            "Serverless-SQSRedrivePolicy",
            "This queue is the dead-letter queue of a Lambda function (DeadLetterConfig.TargetArn); it is "
            "the end of the failure path, so it has no redrive policy to a further queue of its own.",
        )

        # A customer-managed policy rather than the role's default (inline) policy: NIST 800-53,
        # HIPAA and PCI packs flag inline policies. The function gets a view of the role that
        # ignores CDK's automatic grants, so every statement is the exact one written below.
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Perimeter of {self.node.path}: exact actions on this function's own resources",
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {self.node.path} only: exact actions on exact ARNs",
            managed_policies=[self.policy],
        )
        all_layers = list(layers)
        if powertools:
            all_layers.insert(0, powertools_layer(self, "PowertoolsLayer", powertools_layer_version))
        self.function = lambda_.Function(
            self,
            "Resource",
            code=code,
            handler=handler,
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=memory_size,
            timeout=timeout,
            role=self.role.without_policy_updates(),
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name or construct_id.lower(),
                "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace,
                **(environment or {}),
            },
            environment_encryption=self.encryption_key.key,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel[application_log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            dead_letter_queue=self.dead_letter_queue,
            recursive_loop=lambda_.RecursiveLoop.TERMINATE,
            reserved_concurrent_executions=reserved_concurrent_executions,
            layers=all_layers,
        )
        cfn_function = self.function.node.default_child
        cfn_role = self.role.node.default_child
        assert isinstance(cfn_function, cdk.CfnResource) and isinstance(cfn_role, cdk.CfnResource)
        self.perimeter = PerimeterDeclaration(cfn_function, cfn_role)

        self._allow_own_resources()

    # ------------------------------------------------------------------ permissions
    def allow(
        self,
        *,
        kind: str,
        resource: cdk.CfnResource,
        access: str,
        resource_arns: Sequence[str],
        shared: bool = False,
        indexes: tuple[str, ...] = (),
        prefix: str | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> iam.PolicyStatement:
        """Grant exact actions of a named access level on exact ARNs, and declare the reach.

        :param kind: a kind from ``secure_serverless.access_levels`` (e.g. ``DYNAMODB_TABLE``).
        :param resource: the L1 resource reached (its logical id goes into the perimeter record).
        :param access: an access level of that kind, e.g. "read" or "read-write".
        :param resource_arns: the exact ARNs (table and index ARNs, object-prefix ARN, ...).
        """
        actions = self.perimeter.declare(
            kind=kind, resource=resource, access=access, shared=shared, indexes=indexes, prefix=prefix
        )
        statement = iam.PolicyStatement(
            actions=sorted(actions),
            resources=list(resource_arns),
            conditions=dict(conditions) if conditions else None,
        )
        self.policy.add_statements(statement)
        return statement

    def allow_key(
        self, key: EncryptionKey, access: str, *, via_services: Sequence[str] = (), shared: bool = False
    ) -> None:
        """Let the function use ``key`` with an access level ("decrypt", "encrypt", "encrypt-decrypt").

        :param via_services: when given (e.g. ``["dynamodb"]``), the key can only be used through
            those services in this region (``kms:ViaService``), not called directly.
        :param shared: the key is deliberately used by other functions too (e.g. a bucket key, when
            several functions own disjoint prefixes of one bucket).
        """
        region = cdk.Stack.of(self).region
        conditions = (
            {"StringEquals": {"kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in via_services]}}
            if via_services
            else None
        )
        cfn_key = key.key.node.default_child
        assert isinstance(cfn_key, cdk.CfnResource)
        self.allow(
            kind=access_levels.KMS_KEY,
            resource=cfn_key,
            access=access,
            resource_arns=[key.key_arn],
            conditions=conditions,
            shared=shared,
        )

    def _allow_own_resources(self) -> None:
        cfn_log_group = self.log_group.node.default_child
        cfn_queue = self.dead_letter_queue.node.default_child
        assert isinstance(cfn_log_group, cdk.CfnResource) and isinstance(cfn_queue, cdk.CfnResource)
        self.allow(
            kind=access_levels.LOG_GROUP,
            resource=cfn_log_group,
            access="write",
            resource_arns=[self.log_group.log_group_arn],
        )
        self.allow(
            kind=access_levels.SQS_QUEUE,
            resource=cfn_queue,
            access="send",
            resource_arns=[self.dead_letter_queue.queue_arn],
        )
        # Decrypt: the environment; encrypt: messages to the KMS-encrypted dead-letter queue.
        self.allow_key(self.encryption_key, "encrypt-decrypt")
        self.policy.add_statements(iam.PolicyStatement(actions=_XRAY_ACTIONS, resources=["*"]))
        self.perimeter.explain_wildcard(actions=_XRAY_ACTIONS, resource="*", reason=_XRAY_REASON)
        acknowledge(self.policy, iam5_resource("*"), _XRAY_REASON)

    @property
    def function_arn(self) -> str:
        return self.function.function_arn


def allow_bucket_prefix(function: SecureFunction, bucket: SecureBucket, *, prefix: str, access: str) -> None:
    """Let ``function`` reach objects under ``prefix`` of ``bucket`` only, with an access level.

    Grants exact S3 object actions on ``<bucket arn>/<prefix>*`` (never the whole bucket, never
    ListBucket) and the bucket key's use through S3 only (``kms:ViaService``).
    """
    problems = Problems(f"{function.node.path} -> {bucket.node.path}")
    if not prefix or not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
        problems.add("prefix", prefix, "use a key prefix like 'files/' (no leading slash, ends with '/', no '*')")
    problems.check_choice("access", access, access_levels.ACCESS_LEVELS[access_levels.S3_PREFIX])
    problems.raise_if_any()
    cfn_bucket = bucket.bucket.node.default_child
    assert isinstance(cfn_bucket, cdk.CfnResource)
    function.allow(
        kind=access_levels.S3_PREFIX,
        resource=cfn_bucket,
        access=access,
        resource_arns=[f"{bucket.bucket_arn}/{prefix}*"],
        prefix=prefix,
    )
    stack = cdk.Stack.of(function)
    bucket_logical_id = stack.resolve(stack.get_logical_id(cfn_bucket))
    acknowledge(
        function.policy,
        iam5_resource(f"<{bucket_logical_id}.Arn>/{prefix}*"),
        f"Object actions are limited to the key prefix '{prefix}' of this one bucket: IAM can only express "
        "'every object under a prefix' with a trailing '*'. No ListBucket, no other prefix, no other bucket.",
    )
    key_access = "encrypt-decrypt" if access != "read" else "decrypt"
    # The bucket key protects every prefix of the bucket: declared shared, isolation rests on the prefixes.
    function.allow_key(bucket.encryption_key, key_access, via_services=["s3"], shared=True)
