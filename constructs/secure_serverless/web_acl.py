"""SecureWebAcl: the kit's WAF web ACL for a REST API stage, its rules and its logging.

Rules, in evaluation order (lower priority first):

- ``RateLimitPerIp`` (0): every request, per source IP per 5 minutes; blocks above ``rate_limit``.
- ``RateLimitUnauthenticatedPerIp`` (1): requests without a well-formed bearer token
  (``WELL_FORMED_BEARER_PATTERN``; CORS preflights excepted), per IP per 5 minutes: garbage
  tokens do not spend the stage's throttle budget before the Cognito authorizer refuses them.
- ``RateLimitTokenPerIp`` (2): requests WITH a well-formed token, per IP per minute: a forged
  token of the right shape cannot empty a method's throttle from one address.
- ``BodySizeLimit`` (3, only when ``max_body_bytes`` is above 8 KB): blocks larger bodies (and
  bodies beyond the inspection limit) and sets the common rule set's 8 KB rule to Count.
- The AWS managed rule groups ``WAF_MANAGED_RULE_GROUPS`` (IP reputation, common, known bad inputs).

The web ACL logs to an encrypted, retained log group named ``aws-waf-logs-...`` (WAF requires the
prefix), with the Authorization header redacted. ``SecureRestApi`` builds the same web ACL
(``build_web_acl``) for its stage; use ``SecureWebAcl`` for a stage or API of your own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from secure_serverless_checks.waf_limits import (
    WAF_COMMON_BODY_SIZE_BYTES,
    WAF_COMMON_BODY_SIZE_RULE,
    WAF_MAX_BODY_INSPECTION_BYTES,
)

from ._log_retention import MINIMUM_LOG_RETENTION, checked_retention, record_short_retention
from ._validation import Problems, is_token
from .encryption_key import EncryptionKey

__all__ = [
    "WAF_LOG_GROUP_PREFIX",
    "WAF_MANAGED_RULE_GROUPS",
    "WELL_FORMED_BEARER_PATTERN",
    "SecureWebAcl",
    "WebAclParts",
    "build_web_acl",
    "web_acl_option_problems",
]

#: A well-formed Cognito token, raw or after "Bearer ": a JWT whose header and payload are JSON
#: objects (base64url "eyJ...") and whose signature is RS256 with a 2048-bit key or larger (342+
#: base64url characters). The WAF cannot verify a signature; it tells garbage from what might be
#: a token. Anyone can send this shape, so it only keeps garbage on the lower budget.
WELL_FORMED_BEARER_PATTERN = r"^([Bb][Ee][Aa][Rr][Ee][Rr] +)?eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{342,}$"
#: AWS managed rule groups of the web ACL, in evaluation order after the kit's own rules.
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def web_acl_option_problems(
    problems: Problems,
    *,
    rate_limit: Any,
    unauthenticated_rate_limit: Any,
    token_rate_limit: Any,
    max_body_bytes: Any,
    prefix: str = "",
) -> None:
    """Add every problem of the web ACL's options to ``problems``.

    ``prefix`` names the rate options as the caller's API does (``SecureRestApi`` calls them
    ``waf_rate_limit``, ``waf_unauthenticated_rate_limit`` and ``waf_token_rate_limit``).
    """
    rate_option, unauthenticated_option = f"{prefix}rate_limit", f"{prefix}unauthenticated_rate_limit"
    problems.check_range(rate_option, rate_limit, 100, 2_000_000_000, "requests per 5 minutes")
    problems.check_range(
        unauthenticated_option, unauthenticated_rate_limit, 10, 2_000_000_000, "requests per 5 minutes"
    )
    if (
        isinstance(rate_limit, int)
        and isinstance(unauthenticated_rate_limit, int)
        and not is_token(rate_limit)
        and not is_token(unauthenticated_rate_limit)
        and unauthenticated_rate_limit >= rate_limit
    ):
        problems.add(
            unauthenticated_option,
            unauthenticated_rate_limit,
            f"must be below {rate_option} ({rate_limit}): unauthenticated traffic gets the lower budget",
        )
    problems.check_range(f"{prefix}token_rate_limit", token_rate_limit, 10, 2_000_000_000, "requests per minute")
    problems.check_range(
        "max_body_bytes", max_body_bytes, WAF_COMMON_BODY_SIZE_BYTES, WAF_MAX_BODY_INSPECTION_BYTES, "bytes"
    )


def _well_formed_token() -> wafv2.CfnWebACL.StatementProperty:
    """Requests whose Authorization header has the shape of a Cognito token (signature unchecked)."""
    return wafv2.CfnWebACL.StatementProperty(
        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "authorization"}),
            regex_string=WELL_FORMED_BEARER_PATTERN,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def _without_well_formed_token() -> wafv2.CfnWebACL.StatementProperty:
    """Requests, other than CORS preflights, whose Authorization header is no well-formed bearer token."""
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(
            statements=[
                wafv2.CfnWebACL.StatementProperty(
                    not_statement=wafv2.CfnWebACL.NotStatementProperty(
                        statement=wafv2.CfnWebACL.StatementProperty(
                            regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                    single_header={"Name": "authorization"}
                                ),
                                regex_string=WELL_FORMED_BEARER_PATTERN,
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        )
                    )
                ),
                wafv2.CfnWebACL.StatementProperty(
                    not_statement=wafv2.CfnWebACL.NotStatementProperty(
                        statement=wafv2.CfnWebACL.StatementProperty(
                            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
                                positional_constraint="EXACTLY",
                                search_string="OPTIONS",
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        )
                    )
                ),
            ]
        )
    )


@dataclass(frozen=True)
class WebAclParts:
    """What ``build_web_acl`` created: the web ACL, its plain-text name, its log group and logging."""

    web_acl: wafv2.CfnWebACL
    name: str
    log_group: logs.LogGroup
    logging: wafv2.CfnLoggingConfiguration
    #: the rules' names, in order (reading ``web_acl.rules`` back costs a Node.js round trip per field)
    rule_names: tuple[str, ...]


def build_web_acl(
    scope: Construct,
    *,
    name: str,
    log_group_name: str,
    rate_limit: int,
    unauthenticated_rate_limit: int,
    token_rate_limit: int,
    max_body_bytes: int,
    encryption_key: EncryptionKey,
    log_retention: logs.RetentionDays,
    short_log_retention_reason: str | None,
    associate_with: str | None = None,
    web_acl_id: str = "WebAcl",
) -> WebAclParts:
    """Build the kit's web ACL, its log group and logging as children of ``scope`` (options already valid).

    ``associate_with``: the ARN of a resource (an API Gateway stage) to associate the web ACL
    with (child ``WebAclAssociation``). The children's ids (``WebAcl``, ``WebAclAssociation``,
    ``WafLogs``, ``WafLogging``) are a public contract: ``SecureRestApi`` builds them directly
    under itself, where they have always been, so existing stacks keep their resources.
    """
    stack = cdk.Stack.of(scope)

    def visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
        )

    block = wafv2.CfnWebACL.RuleActionProperty(block={})
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=0,
            action=block,
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=rate_limit, evaluation_window_sec=300
                )
            ),
            visibility_config=visibility("RateLimitPerIp"),
        ),
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitUnauthenticatedPerIp",
            priority=1,
            action=block,
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=unauthenticated_rate_limit,
                    evaluation_window_sec=300,
                    scope_down_statement=_without_well_formed_token(),
                )
            ),
            visibility_config=visibility("RateLimitUnauthenticatedPerIp"),
        ),
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitTokenPerIp",
            priority=2,
            action=block,
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=token_rate_limit,
                    evaluation_window_sec=60,
                    scope_down_statement=_well_formed_token(),
                )
            ),
            visibility_config=visibility("RateLimitTokenPerIp"),
        ),
    ]
    own_body_limit = max_body_bytes > WAF_COMMON_BODY_SIZE_BYTES
    if own_body_limit:
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="BodySizeLimit",
                priority=3,
                action=block,
                statement=wafv2.CfnWebACL.StatementProperty(
                    size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                        # A body beyond the inspection limit is too large by definition.
                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                            body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                        ),
                        comparison_operator="GT",
                        size=max_body_bytes,
                        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                    )
                ),
                visibility_config=visibility("BodySizeLimit"),
            )
        )
    for priority, group in enumerate(WAF_MANAGED_RULE_GROUPS, start=len(rules)):
        overrides = None
        if own_body_limit and group == "AWSManagedRulesCommonRuleSet":
            # BodySizeLimit replaces the group's 8 KB rule, which would block valid bodies.
            overrides = [
                wafv2.CfnWebACL.RuleActionOverrideProperty(
                    name=WAF_COMMON_BODY_SIZE_RULE, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                )
            ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group, rule_action_overrides=overrides
                    )
                ),
                visibility_config=visibility(group),
            )
        )
    association_config = None
    if own_body_limit:
        steps_of_16_kb = -(-max_body_bytes // (16 * 1024))
        association_config = wafv2.CfnWebACL.AssociationConfigProperty(
            request_body={
                "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                    default_size_inspection_limit=f"KB_{16 * steps_of_16_kb}"
                )
            }
        )
    web_acl = wafv2.CfnWebACL(
        scope,
        web_acl_id,
        name=name,
        description=f"Secure Serverless Kit web ACL of {scope.node.path}",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=rules,
        visibility_config=visibility(name),
        association_config=association_config,
    )
    if associate_with is not None:
        wafv2.CfnWebACLAssociation(
            scope, "WebAclAssociation", resource_arn=associate_with, web_acl_arn=web_acl.attr_arn
        )
    log_group = logs.LogGroup(
        scope,
        "WafLogs",
        log_group_name=log_group_name,
        retention=log_retention,
        encryption_key=encryption_key.key,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    record_short_retention(log_group, log_retention, short_log_retention_reason)
    logging = wafv2.CfnLoggingConfiguration(
        scope,
        "WafLogging",
        resource_arn=web_acl.attr_arn,
        # The log group ARN without the ":*" suffix of its Arn attribute, as WAF expects.
        log_destination_configs=[
            stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=log_group_name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
        # The Cognito token is a bearer credential: never write it to the WAF logs.
        redacted_fields=[wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"})],
    )
    logging.node.add_dependency(log_group)
    return WebAclParts(
        web_acl=web_acl,
        name=name,
        log_group=log_group,
        logging=logging,
        rule_names=tuple(str(rule.name) for rule in rules),
    )


class SecureWebAcl(Construct):
    """A REGIONAL WAF web ACL with the kit's rate, body-size and managed rules, logged and encrypted.

    The rules are those of ``SecureRestApi``'s web ACL (see the module docstring); ``SecureRestApi``
    builds one for its stage by itself (``waf=True``). Use this construct to protect another
    regional resource (a stage of your own ``RestApi``): ``acl.associate(stage.stage_arn)``.

    Attributes: ``web_acl`` (the ``CfnWebACL``, child ``Resource``), ``web_acl_name`` (plain text,
    for alarms and dashboards), ``web_acl_arn``, ``log_group``, ``encryption_key``.

    :param rate_limit: requests per source IP per 5 minutes before the web ACL blocks that IP,
        100..2,000,000,000. Default: 1000.
    :param unauthenticated_rate_limit: requests without a well-formed bearer token (CORS preflights
        excepted) per source IP per 5 minutes, 10..``rate_limit - 1``. Default: 100.
    :param token_rate_limit: requests with a well-formed bearer token per source IP per minute,
        at least 10; keep it below the protected stage's burst. Default: 50 (half of
        ``SecureRestApi``'s default burst).
    :param max_body_bytes: the largest request body the web ACL lets through, 8192..65536.
        Default: 8192 (the AWS common rule set's ``SizeRestrictions_BODY``).
    :param encryption_key: the key of the WAF log group. Default: a new EncryptionKey.
    :param log_retention: a ``logs.RetentionDays`` for the WAF log group. Default: ONE_YEAR.
        Shorter needs ``short_log_retention_reason``.
    :param short_log_retention_reason: why a retention below one year is acceptable; recorded on
        the log group. Default: none (a shorter retention is an error).
    :param web_acl_name: the web ACL's name. Default: a unique name from the construct path.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rate_limit: int = 1000,
        unauthenticated_rate_limit: int = 100,
        token_rate_limit: int = 50,
        max_body_bytes: int = WAF_COMMON_BODY_SIZE_BYTES,
        encryption_key: EncryptionKey | None = None,
        log_retention: logs.RetentionDays = MINIMUM_LOG_RETENTION,
        short_log_retention_reason: str | None = None,
        web_acl_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self.node.path)
        retention = checked_retention(problems, log_retention, short_log_retention_reason)
        web_acl_option_problems(
            problems,
            rate_limit=rate_limit,
            unauthenticated_rate_limit=unauthenticated_rate_limit,
            token_rate_limit=token_rate_limit,
            max_body_bytes=max_body_bytes,
        )
        problems.raise_if_any()
        self.encryption_key = encryption_key or EncryptionKey(self, "Key")
        parts = build_web_acl(
            self,
            name=web_acl_name or cdk.Names.unique_resource_name(self, max_length=120, separator="-"),
            log_group_name=WAF_LOG_GROUP_PREFIX + cdk.Names.unique_resource_name(self, max_length=400, separator="-"),
            rate_limit=rate_limit,
            unauthenticated_rate_limit=unauthenticated_rate_limit,
            token_rate_limit=token_rate_limit,
            max_body_bytes=max_body_bytes,
            encryption_key=self.encryption_key,
            log_retention=retention,
            short_log_retention_reason=short_log_retention_reason,
            web_acl_id="Resource",
        )
        self.web_acl = parts.web_acl
        self.web_acl_name = parts.name
        self.log_group = parts.log_group
        self.max_body_bytes = max_body_bytes

    @property
    def web_acl_arn(self) -> str:
        return self.web_acl.attr_arn

    def associate(self, resource_arn: str, *, construct_id: str = "Association") -> wafv2.CfnWebACLAssociation:
        """Associate the web ACL with a regional resource (an API Gateway stage ARN)."""
        return wafv2.CfnWebACLAssociation(self, construct_id, resource_arn=resource_arn, web_acl_arn=self.web_acl_arn)
