"""What the local gateway serves, as ``template`` reads it from a synthesized template: the
resource tree and its routes, each method's authorizer, models, validation and integration, the
stage, the API's gateway responses and the web ACL's emulated rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .waf_rate import WafRateRule

#: API Gateway's hard payload limit for REST APIs: 10 MB (413 REQUEST_TOO_LARGE above it).
API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024
#: The AWS managed common rule set's SizeRestrictions_BODY blocks bodies over 8 KB.
WAF_BODY_SIZE_LIMIT_BYTES = 8 * 1024
WAF_COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
WAF_BODY_SIZE_RULE = "SizeRestrictions_BODY"


class GatewayTemplateError(ValueError):
    """The template holds a REST API the local gateway cannot serve faithfully."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the local API gateway cannot serve this template:\n{lines}")


@dataclass(frozen=True)
class Throttle:
    """A token bucket's limits: ``rate`` requests per second, ``burst`` the bucket size."""

    rate: float
    burst: int


#: API Gateway's default account-level limit per Region, shared by every API of the account.
ACCOUNT_THROTTLE = Throttle(rate=10_000.0, burst=5_000)


@dataclass(frozen=True)
class CognitoAuthorizer:
    logical_id: str
    name: str
    header: str
    #: IdentityValidationExpression: a regex the token's ``aud`` (or ``client_id``) must match.
    validation_expression: str | None


@dataclass(frozen=True)
class Model:
    name: str
    schema: Mapping[str, Any]
    validate: Any = field(compare=False, repr=False)


@dataclass(frozen=True)
class MockIntegration:
    """A MOCK integration (the CORS preflight): status, literal headers, CORS origin choice."""

    status: int
    headers: Mapping[str, str]
    #: Origins for which ``override_header`` is set to the request's Origin (CDK's multi-origin
    #: preflight template); empty when the template sets no override.
    override_origins: tuple[str, ...] = ()
    override_header: str | None = None
    body: str = ""


@dataclass(frozen=True)
class Route:
    """One method of one resource, as API Gateway evaluates it."""

    method_id: str
    resource_id: str
    resource_path: str
    http_method: str
    authorization_type: str
    authorizer: CognitoAuthorizer | None
    scopes: tuple[str, ...]
    validate_body: bool
    validate_parameters: bool
    models: Mapping[str, Model]
    #: ``{"method.request.querystring.limit": False, ...}``; True means required.
    request_parameters: Mapping[str, bool]
    #: The logical id of the function an AWS_PROXY integration invokes.
    function_id: str | None
    mock: MockIntegration | None


@dataclass
class ResourceNode:
    resource_id: str
    path: str
    literal: dict[str, ResourceNode] = field(default_factory=dict)
    parameter: tuple[str, ResourceNode] | None = None
    greedy: tuple[str, ResourceNode] | None = None
    methods: dict[str, Route] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayResponseSpec:
    response_type: str
    status_code: int | None
    templates: Mapping[str, str]
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class StageSpec:
    logical_id: str
    name: str
    variables: Mapping[str, str] | None
    #: Stage default method throttling ("/*/*"); each method gets its own bucket of these limits.
    default_throttle: Throttle | None
    #: Method-level overrides, keyed by (resource path, HTTP method).
    method_throttles: Mapping[tuple[str, str], Throttle]
    #: AccessLogSetting.Format, rendered by the local gateway into its access log (logging).
    access_log_format: str | None = None


@dataclass(frozen=True)
class ApiDefinition:
    rest_api_id: str
    name: str
    root: ResourceNode
    routes: tuple[Route, ...]
    stage: StageSpec
    gateway_responses: Mapping[str, GatewayResponseSpec]
    binary_media_types: tuple[str, ...]
    #: Bodies larger than this are blocked by the associated web ACL (None: no such rule).
    waf_body_limit: int | None
    web_acl_id: str | None
    #: The web ACL's emulated rate-based rules (``waf_rate``).
    waf_rate_rules: tuple[WafRateRule, ...] = ()
