"""SecurityAlarms: the article's "keep the system observable" as alarms sent to an encrypted topic.

Alarms cover the signals of the remaining risks: API 5XX and 4XX spikes (401/403 included:
broken authentication shows up there first), Lambda errors and throttles, messages landing in
dead-letter queues, DynamoDB throttles, WAF blocks, and the account-takeover and
compromised-credential risks that Cognito's threat protection detects. Every alarm notifies one KMS-encrypted,
SSL-only SNS topic that only CloudWatch alarms of this account and region may publish to.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from ._tree import node_of, path_of
from ._validation import ConfigurationError, Problems, is_token
from .compliance import acknowledge
from .encryption_key import EncryptionKey
from .secure_function import SecureFunction
from .secure_table import SecureTable
from .table_function import TableFunction

#: ``cloudwatch.Stats.SUM`` and ``.MAXIMUM`` as plain text: each read of ``Stats.*`` is a round trip to Node.js
_SUM = "Sum"
_MAXIMUM = "Maximum"

#: What a service needs on the key to publish to the encrypted topic / send to the encrypted
#: queue: exact actions, not the "kms:GenerateDataKey*" of the AWS guides.
_PUBLISH_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_DEFAULT_PERIOD = cdk.Duration.minutes(5)
#: Cognito threat protection metrics (namespace AWS/Cognito, dimensions UserPoolId and RiskLevel).
THREAT_PROTECTION_METRICS = ("AccountTakeoverRisk", "CompromisedCredentialRisk")
#: Risk levels that raise an alarm: Cognito's threat protection rates each request low, medium or high.
ALARMED_RISK_LEVELS = ("medium", "high")


def risk_metric(
    user_pool: cognito.IUserPool, metric_name: str, risk_level: str, period: cdk.Duration
) -> cloudwatch.Metric:
    """Requests of one risk level in which threat protection detected ``metric_name``."""
    return cloudwatch.Metric(
        namespace="AWS/Cognito",
        metric_name=metric_name,
        dimensions_map={"UserPoolId": user_pool.user_pool_id, "RiskLevel": risk_level},
        statistic=_SUM,
        period=period,
        label=f"{metric_name} {risk_level}",
    )


def _id_part(text: str) -> str:
    """``"notes-api"`` -> ``"NotesApi"``: a fragment usable in a construct id."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def watched_id(construct: IConstruct) -> str:
    """A stable id prefix for alarms about ``construct``: its path below its stack, without "Resource".

    ``Stack/Notes/Function/Resource`` -> ``NotesFunction``. Construct ids are a public contract,
    so the alarm ids (and logical ids) stay the same from one synth to the next.
    """
    stack_path = path_of(cdk.Stack.of(construct))
    relative = path_of(construct).removeprefix(stack_path).strip("/")
    return "".join(_id_part(part) for part in relative.split("/") if part != "Resource")


class SecurityAlarms(Construct):
    """CloudWatch alarms for security signals, all notifying one encrypted, SSL-only SNS topic.

    The topic (``self.topic``) is encrypted with ``encryption_key``; the key policy lets
    CloudWatch (``cloudwatch.amazonaws.com``) use the key with kms:Decrypt and
    kms:GenerateDataKey only on behalf of alarms of this account and region (``aws:SourceAccount``,
    ``aws:SourceArn``), and the topic policy lets those alarms publish and denies any request
    without TLS. Every alarm treats missing data as not breaching (no traffic is not an incident),
    alarms when one period reaches its threshold, and notifies the topic.

    Add alarms with ``watch_api``, ``watch_function``, ``watch_queue``, ``watch_table``,
    ``watch_web_acl`` and ``watch_user_pool``; they land in ``self.alarms``. Alarm ids start with the watched construct's
    path below its stack (``watched_id``) unless ``id_prefix`` is given.

    :param alarm_email: an address to subscribe to the topic (it must confirm the subscription
        from the e-mail AWS sends). Its failed deliveries go to a dead-letter queue encrypted
        with the same key. Default: no subscription (subscribe a pager or chat tool yourself).
    :param encryption_key: the key of the topic (and of the subscription's dead-letter queue).
        Default: a new EncryptionKey.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_email: str | None = None,
        encryption_key: EncryptionKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(path_of(self))
        if alarm_email is not None and not is_token(alarm_email) and not _EMAIL.match(alarm_email):
            problems.add("alarm_email", alarm_email, "use one e-mail address like 'security@example.com'")
        problems.raise_if_any()

        stack = cdk.Stack.of(self)
        self.alarms: list[cloudwatch.Alarm] = []
        self.encryption_key = encryption_key or EncryptionKey(
            self, "Key", description=f"Key of the security alarm topic {path_of(self)}"
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Security alarms",
            master_key=self.encryption_key.key,
            enforce_ssl=True,
        )
        alarms_of_this_account = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        from_alarms_here = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": alarms_of_this_account},
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_alarms_here,
            )
        )
        self.encryption_key.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublishToEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=list(_PUBLISH_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" means this key
                conditions=from_alarms_here,
            )
        )
        self._action = cloudwatch_actions.SnsAction(self.topic)

        self.subscription_dead_letter_queue: sqs.Queue | None = None
        if alarm_email is not None:
            self.subscription_dead_letter_queue = self._subscription_dead_letter_queue()
            self.topic.add_subscription(
                subscriptions.EmailSubscription(alarm_email, dead_letter_queue=self.subscription_dead_letter_queue)
            )

    def _subscription_dead_letter_queue(self) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "SubscriptionDeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.encryption_key.key,
            data_key_reuse=cdk.Duration.minutes(5),
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # SNS encrypts what it moves to the queue with the queue's key. Who may send is decided by
        # the queue policy CDK adds (sns.amazonaws.com, aws:SourceArn = this topic exactly). The key
        # statement can only name topics of this account and region: the exact topic ARN would make
        # the key depend on the topic, which depends on the key (a circular dependency).
        stack = cdk.Stack.of(self)
        self.encryption_key.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowSnsToEncryptForTheSubscriptionDeadLetterQueue",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=list(_PUBLISH_KEY_ACTIONS),
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="sns", resource="*", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME
                        )
                    },
                },
            )
        )
        reason = (
            "This queue is the dead-letter queue of the alarm topic's e-mail subscription (the subscription's "
            "RedrivePolicy.deadLetterTargetArn); it is the end of the failure path, so it has no dead-letter "
            "queue or redrive policy of its own."
        )
        acknowledge(queue, "AwsSolutions-SQS3", reason)
        acknowledge(queue, "Serverless-SQSRedrivePolicy", reason)
        return queue

    # ------------------------------------------------------------------ alarms
    def _alarm(
        self,
        construct_id: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
    ) -> cloudwatch.Alarm:
        if node_of(self).try_find_child(construct_id) is not None:
            raise ConfigurationError(
                path_of(self),
                [
                    f"alarm id {construct_id!r} exists already: each construct is watched once; pass id_prefix to tell two apart"
                ],
            )
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm

    @staticmethod
    def _check_thresholds(problems: Problems, **thresholds: float) -> None:
        for option, value in thresholds.items():
            if is_token(value):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                problems.add(option, value, "must be a number greater than 0")

    @staticmethod
    def _check_period(problems: Problems, period: cdk.Duration) -> None:
        seconds = period.to_seconds()
        if is_token(seconds):
            return
        if seconds % 60 or not 60 <= seconds <= 86400:
            problems.add("period", period.to_human_string(), "use whole minutes between 1 minute and 1 day")

    def watch_api(
        self,
        api: apigateway.IRestApi,
        stage_name: str,
        *,
        server_error_threshold: float = 1,
        client_error_threshold: float = 50,
        period: cdk.Duration | None = None,
        id_prefix: str | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarm on 5XX and 4XX responses of one stage of a REST API.

        401 and 403 responses of a REST API are counted in 4XXError: a spike there is the first
        sign of credential stuffing or a broken client.

        :param stage_name: the stage to watch (CloudWatch dimension ``Stage``).
        :param server_error_threshold: 5XX responses per period that raise the alarm. Default: 1.
        :param client_error_threshold: 4XX responses per period that raise the alarm. Default: 50.
        :param period: 1 minute..1 day, whole minutes. Default: 5 minutes.
        :param id_prefix: start of the alarm ids. Default: ``watched_id(api) + stage`` (e.g.
            ``NotesApiProd``); the alarms are ``<prefix>ServerErrors`` and ``<prefix>ClientErrors``.
        """
        period = period or _DEFAULT_PERIOD
        problems = Problems(path_of(self))
        self._check_thresholds(
            problems, server_error_threshold=server_error_threshold, client_error_threshold=client_error_threshold
        )
        self._check_period(problems, period)
        if id_prefix is None and (not stage_name or is_token(stage_name)):
            problems.add("stage_name", stage_name, "give the stage name as text, or pass id_prefix for the alarm ids")
        problems.raise_if_any()
        prefix = id_prefix or f"{watched_id(api)}{_id_part(stage_name)}"
        dimensions = {"ApiName": api.rest_api_name, "Stage": stage_name}

        def metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map=dimensions,
                statistic=_SUM,
                period=period,
            )

        return [
            self._alarm(
                f"{prefix}ServerErrors",
                metric=metric("5XXError"),
                threshold=server_error_threshold,
                description=f"API {stage_name} stage answered 5XX: a function or integration fails "
                "(look at the access log and the function's errors).",
            ),
            self._alarm(
                f"{prefix}ClientErrors",
                metric=metric("4XXError"),
                threshold=client_error_threshold,
                description=f"API {stage_name} stage answered many 4XX, including 401/403: possible credential "
                "stuffing, token abuse or a broken client (look at the access log's status and caller fields).",
            ),
        ]

    def watch_function(
        self,
        function: lambda_.IFunction | SecureFunction | TableFunction,
        *,
        error_threshold: float = 1,
        throttle_threshold: float = 1,
        period: cdk.Duration | None = None,
        id_prefix: str | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarm on a function's errors and throttles, and on messages in its dead-letter queue.

        :param function: a Lambda function, a SecureFunction or a TableFunction. A function with a
            dead-letter queue (every SecureFunction has one) also gets ``watch_queue`` on it.
        :param error_threshold: invocation errors per period that raise the alarm. Default: 1.
        :param throttle_threshold: throttled invocations per period that raise the alarm. Default: 1.
        :param period: 1 minute..1 day, whole minutes. Default: 5 minutes.
        :param id_prefix: start of the alarm ids. Default: ``watched_id`` of the Lambda function
            (``NotesFunction`` for a TableFunction "Notes"); the alarms are ``<prefix>Errors``,
            ``<prefix>Throttles`` and ``<prefix>DeadLetterQueueMessages``.
        """
        if isinstance(function, TableFunction):
            function = function.function
        if isinstance(function, SecureFunction):
            function = function.function
        period = period or _DEFAULT_PERIOD
        problems = Problems(path_of(self))
        self._check_thresholds(problems, error_threshold=error_threshold, throttle_threshold=throttle_threshold)
        self._check_period(problems, period)
        problems.raise_if_any()
        prefix = id_prefix or watched_id(function)
        name = function.node.path
        alarms = [
            self._alarm(
                f"{prefix}Errors",
                metric=function.metric_errors(statistic=_SUM, period=period),
                threshold=error_threshold,
                description=f"Function {name} failed: look at its log group (errors carry a correlation id).",
            ),
            self._alarm(
                f"{prefix}Throttles",
                metric=function.metric_throttles(statistic=_SUM, period=period),
                threshold=throttle_threshold,
                description=f"Function {name} was throttled: a traffic spike or abuse is exhausting its "
                "concurrency (check WAF blocks and the API's 4XX).",
            ),
        ]
        queue = function.dead_letter_queue if isinstance(function, lambda_.Function) else None
        if queue is not None:
            alarms.extend(self.watch_queue(queue, period=period, id_prefix=f"{prefix}DeadLetterQueue"))
        return alarms

    def watch_queue(
        self,
        queue: sqs.IQueue,
        *,
        visible_messages_threshold: float = 1,
        period: cdk.Duration | None = None,
        id_prefix: str | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarm when messages wait in a (dead-letter) queue: each one is a failed event.

        :param visible_messages_threshold: messages visible (maximum over the period) that raise
            the alarm. Default: 1 (any message in a dead-letter queue needs a look).
        :param period: 1 minute..1 day, whole minutes. Default: 5 minutes.
        :param id_prefix: start of the alarm id. Default: ``watched_id(queue)``; the alarm is
            ``<prefix>Messages``.
        """
        period = period or _DEFAULT_PERIOD
        problems = Problems(path_of(self))
        self._check_thresholds(problems, visible_messages_threshold=visible_messages_threshold)
        self._check_period(problems, period)
        problems.raise_if_any()
        prefix = id_prefix or watched_id(queue)
        return [
            self._alarm(
                f"{prefix}Messages",
                metric=queue.metric_approximate_number_of_messages_visible(statistic=_MAXIMUM, period=period),
                threshold=visible_messages_threshold,
                description=f"Queue {queue.node.path} holds failed events: inspect them, fix the cause, redrive.",
            )
        ]

    def watch_table(
        self,
        table: dynamodb.ITable | SecureTable | TableFunction,
        *,
        throttle_threshold: float = 1,
        period: cdk.Duration | None = None,
        id_prefix: str | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarm on throttled reads and writes of a DynamoDB table.

        One alarm on ReadThrottleEvents + WriteThrottleEvents (missing values count as 0, so a
        period with only write throttles still alarms).

        :param table: a DynamoDB table, a SecureTable or a TableFunction (its table).
        :param throttle_threshold: throttle events per period that raise the alarm. Default: 1.
        :param period: 1 minute..1 day, whole minutes. Default: 5 minutes.
        :param id_prefix: start of the alarm id. Default: ``watched_id`` of the DynamoDB table
            (``NotesTable`` for a TableFunction "Notes"); the alarm is ``<prefix>Throttles``.
        """
        if isinstance(table, TableFunction):
            table = table.table
        if isinstance(table, SecureTable):
            table = table.table
        period = period or _DEFAULT_PERIOD
        problems = Problems(path_of(self))
        self._check_thresholds(problems, throttle_threshold=throttle_threshold)
        self._check_period(problems, period)
        problems.raise_if_any()
        prefix = id_prefix or watched_id(table)
        throttles = cloudwatch.MathExpression(
            expression="FILL(reads, 0) + FILL(writes, 0)",
            using_metrics={
                "reads": table.metric("ReadThrottleEvents", statistic=_SUM, period=period),
                "writes": table.metric("WriteThrottleEvents", statistic=_SUM, period=period),
            },
            label="Read and write throttle events",
            period=period,
        )
        return [
            self._alarm(
                f"{prefix}Throttles",
                metric=throttles,
                threshold=throttle_threshold,
                description=f"Table {table.node.path} throttled requests: a function is flooding it (runaway "
                "loop or abuse) or its capacity is too low.",
            )
        ]

    def watch_web_acl(
        self,
        web_acl_name: str,
        *,
        region: str | None = None,
        blocked_threshold: float = 100,
        period: cdk.Duration | None = None,
        id_prefix: str | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarm on requests blocked by a regional WAF web ACL (all its rules together).

        :param web_acl_name: the web ACL's name (CloudWatch dimension ``WebACL``).
        :param region: the ``Region`` dimension. Default: the stack's region.
        :param blocked_threshold: blocked requests per period that raise the alarm. Default: 100.
        :param period: 1 minute..1 day, whole minutes. Default: 5 minutes.
        :param id_prefix: start of the alarm id. Default: the web ACL name in PascalCase plus
            "WebAcl" (a name that is an unresolved token needs ``id_prefix``); the alarm is
            ``<prefix>BlockedRequests``.
        """
        period = period or _DEFAULT_PERIOD
        problems = Problems(path_of(self))
        self._check_thresholds(problems, blocked_threshold=blocked_threshold)
        self._check_period(problems, period)
        if id_prefix is None and (not web_acl_name or is_token(web_acl_name)):
            problems.add("web_acl_name", web_acl_name, "give the name as text, or pass id_prefix for the alarm id")
        problems.raise_if_any()
        prefix = id_prefix or f"{_id_part(web_acl_name)}WebAcl"
        metric = cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions_map={
                "WebACL": web_acl_name,
                "Region": region or cdk.Stack.of(self).region,
                "Rule": "ALL",
            },
            statistic=_SUM,
            period=period,
        )
        return [
            self._alarm(
                f"{prefix}BlockedRequests",
                metric=metric,
                threshold=blocked_threshold,
                description=f"WAF web ACL {web_acl_name} blocked many requests: an attack or a scan is under way "
                "(the WAF log group shows which rule matched).",
            )
        ]

    def watch_user_pool(
        self,
        user_pool: cognito.IUserPool,
        *,
        risk_threshold: float = 1,
        period: cdk.Duration | None = None,
        id_prefix: str | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarm on the risks Cognito's threat protection detects: account takeover, compromised credentials.

        One alarm per risk on its medium and high risk levels together (missing values count as
        0). The metrics exist only with threat protection on (the Plus feature plan).

        :param risk_threshold: risky requests per period that raise the alarm. Default: 1.
        :param period: 1 minute..1 day, whole minutes. Default: 5 minutes.
        :param id_prefix: start of the alarm ids. Default: ``watched_id(user_pool)``; the alarms
            are ``<prefix>AccountTakeoverRisk`` and ``<prefix>CompromisedCredentialRisk``.
        """
        period = period or _DEFAULT_PERIOD
        problems = Problems(path_of(self))
        self._check_thresholds(problems, risk_threshold=risk_threshold)
        self._check_period(problems, period)
        problems.raise_if_any()
        prefix = id_prefix or watched_id(user_pool)
        alarms = []
        for name in THREAT_PROTECTION_METRICS:
            levels = {level: risk_metric(user_pool, name, level, period) for level in ALARMED_RISK_LEVELS}
            risky = cloudwatch.MathExpression(
                expression=" + ".join(f"FILL({level}, 0)" for level in levels),
                using_metrics=dict(levels),
                label=f"{name} (medium and high)",
                period=period,
            )
            alarms.append(
                self._alarm(
                    f"{prefix}{name}",
                    metric=risky,
                    threshold=risk_threshold,
                    description=f"Cognito threat protection detected {name} on user pool {user_pool.node.path}: "
                    "look at the user pool's user activity (event history), reset the users' passwords, "
                    "sign them out globally.",
                )
            )
        return alarms

    @property
    def topic_arn(self) -> str:
        return self.topic.topic_arn
