"""ServiceDashboard: one CloudWatch dashboard to look at the service (the article's last word).

Rows, top to bottom: the API (requests, latency, 4XX/5XX), the WAF (allowed and blocked
requests, per rule), each function (invocations, errors, throttles, duration), each table
(throttled reads and writes) and the user pool (sign-ins, throttles, and the risks its threat
protection detected). Plain ``aws_cloudwatch``: docs/observability.md says why no library.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ._validation import Problems, is_token
from .monitoring import THREAT_PROTECTION_METRICS, risk_metric
from .secure_function import SecureFunction
from .secure_table import SecureTable
from .table_function import TableFunction

#: ``cloudwatch.Stats.SUM`` and ``.MAXIMUM`` as plain text: each read of ``Stats.*`` is a round trip to Node.js
_SUM = "Sum"
_MAXIMUM = "Maximum"

_WIDTH = 24  # a dashboard row is 24 units wide


class ServiceDashboard(Construct):
    """A CloudWatch dashboard of a service; add its parts with the ``add_*`` methods.

    Attributes: ``dashboard`` (the ``cloudwatch.Dashboard``).

    :param dashboard_name: the dashboard's name. Default: a name CloudFormation generates.
    :param period: the period of every graph, 1 minute..1 day in whole minutes. Default: 5 minutes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str | None = None,
        period: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.period = period or cdk.Duration.minutes(5)
        problems = Problems(self.node.path)
        seconds = self.period.to_seconds()
        if not is_token(seconds) and (seconds % 60 or not 60 <= seconds <= 86400):
            problems.add("period", self.period.to_human_string(), "use whole minutes between 1 minute and 1 day")
        problems.raise_if_any()
        self.dashboard = cloudwatch.Dashboard(
            self, "Resource", dashboard_name=dashboard_name, default_interval=cdk.Duration.hours(3)
        )

    def _row(self, title: str, widgets: Sequence[cloudwatch.IWidget]) -> None:
        self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"## {title}", width=_WIDTH, height=1))
        self.dashboard.add_widgets(*widgets)

    def _graph(self, title: str, metrics: Sequence[cloudwatch.IMetric], width: int) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)

    def add_api(self, api: apigateway.IRestApi, stage_name: str) -> None:
        """Requests, latency (p50, p99) and 4XX/5XX responses of one stage of a REST API."""
        dimensions = {"ApiName": api.rest_api_name, "Stage": stage_name}

        def metric(name: str, statistic: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=name,
                dimensions_map=dimensions,
                statistic=statistic,
                period=self.period,
                label=label,
            )

        self._row(
            f"API {stage_name}",
            [
                self._graph("Requests", [metric("Count", _SUM, "requests")], 6),
                self._graph(
                    "Latency (ms)",
                    [
                        metric("Latency", "p50", "p50"),
                        metric("Latency", "p99", "p99"),
                        metric("IntegrationLatency", "p99", "integration p99"),
                    ],
                    6,
                ),
                self._graph(
                    "4XX and 5XX responses",
                    [
                        metric("4XXError", _SUM, "4XX (401 and 403 included)"),
                        metric("5XXError", _SUM, "5XX"),
                    ],
                    12,
                ),
            ],
        )

    def add_web_acl(self, web_acl_name: str, *, rule_names: Sequence[str] = (), region: str | None = None) -> None:
        """Allowed and blocked requests of a regional web ACL, in total and per rule."""
        region = region or cdk.Stack.of(self).region  # read once, not once per metric

        def metric(name: str, rule: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/WAFV2",
                metric_name=name,
                dimensions_map={"WebACL": web_acl_name, "Region": region, "Rule": rule},
                statistic=_SUM,
                period=self.period,
                label=f"{name} {rule}",
            )

        self._row(
            "WAF",
            [
                self._graph(
                    "Allowed and blocked", [metric("AllowedRequests", "ALL"), metric("BlockedRequests", "ALL")], 12
                ),
                self._graph("Blocked per rule", [metric("BlockedRequests", rule) for rule in rule_names], 12),
            ],
        )

    def add_function(self, function: lambda_.IFunction | SecureFunction | TableFunction, *, title: str) -> None:
        """Invocations, errors, throttles and duration (p50, p99, maximum) of one function."""
        if isinstance(function, TableFunction):
            function = function.function
        if isinstance(function, SecureFunction):
            function = function.function
        period = self.period
        self._row(
            f"Function {title}",
            [
                self._graph(
                    "Invocations, errors, throttles",
                    [
                        function.metric_invocations(statistic=_SUM, period=period),
                        function.metric_errors(statistic=_SUM, period=period),
                        function.metric_throttles(statistic=_SUM, period=period),
                    ],
                    12,
                ),
                self._graph(
                    "Duration (ms)",
                    [
                        function.metric_duration(statistic="p50", period=period, label="p50"),
                        function.metric_duration(statistic="p99", period=period, label="p99"),
                        function.metric_duration(statistic=_MAXIMUM, period=period, label="max"),
                    ],
                    12,
                ),
            ],
        )

    def add_table(self, table: dynamodb.ITable | SecureTable | TableFunction, *, title: str) -> None:
        """Throttled reads and writes of one DynamoDB table."""
        if isinstance(table, TableFunction):
            table = table.table
        if isinstance(table, SecureTable):
            table = table.table
        self._row(
            f"Table {title}",
            [
                self._graph(
                    "Throttle events",
                    [
                        table.metric("ReadThrottleEvents", statistic=_SUM, period=self.period),
                        table.metric("WriteThrottleEvents", statistic=_SUM, period=self.period),
                    ],
                    _WIDTH,
                )
            ],
        )

    def add_user_pool(self, user_pool: cognito.IUserPool, client: cognito.IUserPoolClient) -> None:
        """Sign-ins and their throttles through ``client``, and the risks threat protection detected."""
        dimensions = {"UserPool": user_pool.user_pool_id, "UserPoolClient": client.user_pool_client_id}

        def activity(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/Cognito",
                metric_name=name,
                dimensions_map=dimensions,
                statistic=_SUM,
                period=self.period,
                label=name,
            )

        self._row(
            "Sign-in",
            [
                self._graph("Sign-ins", [activity("SignInSuccesses"), activity("TokenRefreshSuccesses")], 8),
                self._graph("Throttled sign-ins", [activity("SignInThrottles")], 8),
                self._graph(
                    "Threat protection: risky requests",
                    [
                        risk_metric(user_pool, name, level, self.period)
                        for name in THREAT_PROTECTION_METRICS
                        for level in ("high", "medium")
                    ],
                    8,
                ),
            ],
        )
