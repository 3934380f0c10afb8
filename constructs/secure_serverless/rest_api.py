"""SecureRestApi: a REST API whose every method needs a Cognito token, behind a WAF.

The article's "API gateway as a security buffer": only users signed in to the user pool reach a
function (Cognito authorizer on every method, deny by default), bodies and parameters are
validated before a function runs, the stage is throttled, a WAF web ACL filters known-bad and
abusive traffic, every request is logged as JSON with the caller's identity, and error responses
say nothing about the API's internals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IValidation

from secure_serverless_checks.waf_limits import (
    WAF_COMMON_BODY_SIZE_BYTES,
)

from ._grants import kit_function_of
from ._log_retention import MINIMUM_LOG_RETENTION, checked_retention, record_short_retention
from ._tree import is_instance, path_of
from ._validation import Problems, has_reason, is_token, origin_problem
from .cdk_compat import APIGATEWAY_EXACT_ACCESS_LOG_ARN, FEATURE_FLAGS
from .compliance import acknowledge
from .encryption_key import EncryptionKey
from .secure_function import Invocation, SecureFunction

# The web ACL lives in web_acl.py; its names stay importable from here.
from .web_acl import (
    WAF_LOG_GROUP_PREFIX as WAF_LOG_GROUP_PREFIX,
)
from .web_acl import (
    WAF_MANAGED_RULE_GROUPS as WAF_MANAGED_RULE_GROUPS,
)
from .web_acl import (
    WELL_FORMED_BEARER_PATTERN as WELL_FORMED_BEARER_PATTERN,
)
from .web_acl import build_web_acl, web_acl_option_problems

#: Methods a route may use. OPTIONS is the CORS preflight's (``cors_allowed_origins``); ANY is
#: not offered: each method is declared, authorized and validated on its own.
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
#: Methods that carry no body: a request schema on them is a mistake.
_BODYLESS_METHODS = frozenset({"GET", "DELETE", "HEAD"})
#: The only JSON-schema draft API Gateway models support.
JSON_SCHEMA_DRAFT_04 = "http://json-schema.org/draft-04/schema#"
#: The access log record: who called (source IP, Cognito ``sub``), what, the outcome and every
#: error source (authorizer, WAF, resource policy, integration), and the X-Ray trace. Every value
#: is a JSON string, so the format itself is valid JSON (Serverless-APIGWStructuredLogging).
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "userAgent": "$context.identity.userAgent",
    "sub": "$context.authorizer.claims.sub",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "stage": "$context.stage",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationError": "$context.integration.error",
    "errorMessage": "$context.error.message",
    "errorResponseType": "$context.error.responseType",
    "authorizerError": "$context.authorizer.error",
    "authorizeError": "$context.authorize.error",
    "wafError": "$context.waf.error",
    "wafResponseCode": "$context.wafResponseCode",
    "xrayTraceId": "$context.xrayTraceId",
}
#: Gateway responses (errors API Gateway answers itself) and their generic messages. Bodies carry
#: the request id for support, never ``$context.error.message`` or validation details.
GATEWAY_RESPONSES: dict[str, tuple[apigateway.ResponseType, str]] = {
    "Default4xx": (apigateway.ResponseType.DEFAULT_4_XX, "Request failed"),
    "Default5xx": (apigateway.ResponseType.DEFAULT_5_XX, "Internal error"),
    "Unauthorized": (apigateway.ResponseType.UNAUTHORIZED, "Unauthorized"),
    "ExpiredToken": (apigateway.ResponseType.EXPIRED_TOKEN, "Unauthorized"),
    "AccessDenied": (apigateway.ResponseType.ACCESS_DENIED, "Forbidden"),
    "InvalidSignature": (apigateway.ResponseType.INVALID_SIGNATURE, "Forbidden"),
    "MissingAuthenticationToken": (apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, "Forbidden"),
    "WafFiltered": (apigateway.ResponseType.WAF_FILTERED, "Forbidden"),
    "Throttled": (apigateway.ResponseType.THROTTLED, "Too many requests"),
    "BadRequestBody": (apigateway.ResponseType.BAD_REQUEST_BODY, "Invalid request"),
    "BadRequestParameters": (apigateway.ResponseType.BAD_REQUEST_PARAMETERS, "Invalid request"),
    "RequestTooLarge": (apigateway.ResponseType.REQUEST_TOO_LARGE, "Request too large"),
}
#: Headers on every gateway response (errors API Gateway answers itself), as the handlers send
#: on theirs (``kit_common.responses.SECURITY_HEADERS``): no cache keeps an error answer to an
#: authenticated request, and no browser sniffs a JSON error into something it renders.
GATEWAY_RESPONSE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
#: Headers a browser may send cross-origin: the Cognito token and the JSON content type.
CORS_ALLOWED_HEADERS = ("Authorization", "Content-Type")
CORS_MAX_AGE = cdk.Duration.minutes(10)

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_LITERAL_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
_PARAMETER_SEGMENT = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<greedy>\+)?\}$")
_REQUEST_PARAMETER = re.compile(
    r"^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.[A-Za-z0-9._-]+$"
)
_SCOPE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")  # RFC 6749 scope-token characters


def _path_problems(path: str) -> tuple[list[str], list[str]]:
    """Problems of a route path, and its path parameter names."""
    if not isinstance(path, str) or not path.startswith("/"):
        return ["must start with '/', e.g. '/notes/{noteId}'"], []
    if path == "/":
        return [], []
    problems: list[str] = []
    names: list[str] = []
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        parameter = _PARAMETER_SEGMENT.match(segment)
        if parameter:
            if parameter["greedy"] and index != len(segments) - 1:
                problems.append(f"greedy segment {segment!r} must be the last one")
            if parameter["name"] in names:
                problems.append(f"path parameter {parameter['name']!r} appears twice")
            names.append(parameter["name"])
        elif not _LITERAL_SEGMENT.match(segment):
            problems.append(
                f"segment {segment!r} is malformed: use letters, digits, '.', '_', '-', '~', or a parameter "
                "like '{noteId}' (no empty segments, no trailing '/')"
            )
    return problems, names


def _schema_problem(schema: Any) -> str | None:
    if not isinstance(schema, Mapping) or "type" not in schema:
        return 'give a JSON-schema object with a "type", e.g. {"type": "object", "properties": {...}}'
    declared = schema.get("$schema", JSON_SCHEMA_DRAFT_04)
    if not isinstance(declared, str) or declared.rstrip("#") != JSON_SCHEMA_DRAFT_04.rstrip("#"):
        return f"API Gateway models support JSON-schema draft-04 only; use $schema {JSON_SCHEMA_DRAFT_04!r}"
    try:
        json.dumps(schema)
    except (TypeError, ValueError) as error:
        return f"the schema must be JSON ({error})"
    return None


@jsii.implements(cdk.IResolvable)
class _MethodList:
    """The methods of one resource plus OPTIONS, resolved at synth (routes may be added later).

    An ``IResolvable`` rather than ``Lazy.string``: jsii cannot call a Python ``IStringProducer``.
    """

    type_hint = cdk.ResolutionTypeHint.STRING

    def __init__(self, methods: list[str]) -> None:
        self._methods = methods
        self.creation_stack: list[str] = []

    def resolve(self, context: cdk.IResolveContext) -> str:
        return ",".join([*self._methods, "OPTIONS"])

    def to_string(self) -> str:
        return "<methods of the resource>"


@jsii.implements(IValidation)
class _EveryMethodAuthorized:
    """Synth-time check: every method of the API uses the Cognito authorizer unless opened on purpose.

    Catches methods added around ``add_route``, e.g. ``api.api.root.add_method("GET", ...)``.
    """

    def __init__(self, owner: SecureRestApi) -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        owner = self._owner
        stack = cdk.Stack.of(owner)
        errors: list[str] = []
        for child in owner.api.node.find_all():
            if not is_instance(child, apigateway.Method):  # the class's MRO: no ABC walk per construct
                continue
            cfn = child.node.default_child
            assert isinstance(cfn, apigateway.CfnMethod)
            # the authorized methods first: each further read is a round trip to Node.js
            if cfn.authorization_type == "COGNITO_USER_POOLS" and cfn.authorizer_id is not None:
                continue
            if child.node.path in owner._opened_methods:
                continue
            if child.http_method == "OPTIONS" and (stack.resolve(cfn.integration) or {}).get("type") == "MOCK":
                continue  # a CORS preflight answers from API Gateway, reaching no function
            errors.append(
                f"SecureServerless-UnauthorizedMethod: method {child.http_method} {child.resource.path} has no Cognito authorizer "
                f"(authorization type {cfn.authorization_type or 'NONE'}). Add it with add_route(), or pass "
                "authorizer=<SecureRestApi>.authorizer; to make it public on purpose use "
                "add_route(..., open_without_authorization_reason='...')."
            )
        return errors


class SecureRestApi(Construct):
    """A REGIONAL REST API with a Cognito authorizer on every method, a WAF and JSON access logs.

    Every route added with ``add_route`` gets the Cognito authorizer, the API's request validator
    (body and parameters), a JSON-schema model for its body, and a Lambda proxy integration whose
    invoke permission is scoped to that method, path and stage. A method without the authorizer
    (e.g. added with ``api.root.add_method``) is a synth error unless opened with a reason.

    Execution and access logs need the account-level API Gateway CloudWatch role
    (``ApiGatewayAccountLogging``, one per account and region): deploy that first, or the stage
    fails to deploy ("CloudWatch Logs role ARN must be set in account settings").

    Request size: REST APIs have no size option (the service limit is 10 MB). With the WAF on,
    bodies over ``max_body_bytes`` are blocked (403) before API Gateway sees them.

    Throttling and authorization: the web ACL runs first, then API Gateway's throttling, then
    the Cognito authorizer, so requests with a garbage token would spend the stage's budget
    before being refused with 401. The web ACL therefore rate-limits requests without a
    well-formed bearer token per IP (``waf_unauthenticated_rate_limit``), below the per-IP
    limit for all requests (``waf_rate_limit``). A forged token of the right shape passes that
    rule and spends the same budget, so requests with a well-formed token get their own per-IP
    limit per minute (``waf_token_rate_limit``), below the stage's burst: one address cannot
    empty a method's bucket. WAF rate rules act within about 30 seconds, not per request: a
    sub-second burst still reaches the stage (docs/throttling.md). Every gateway response
    carries ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``.

    Not done on purpose: stage caching (a cache keyed without the caller's identity can serve
    one user's data to another) and backend client certificates (Lambda proxy integrations do
    not use them); the NIST/HIPAA/PCI packs report both on the stage.

    Log groups are kept on stack deletion (RETAIN). The WAF log group has a fixed name
    (``aws-waf-logs-<stack>-<path>-<hash>``, WAF requires the prefix): redeploying a deleted
    stack under the same name needs the old group deleted or renamed first.

    The web ACL's rules and logging are those of ``SecureWebAcl`` (web_acl.py), built directly
    under this construct.

    Attributes: ``api`` (the RestApi), ``stage``, ``url``, ``authorizer``, ``request_validator``,
    ``access_log_group``, ``execution_log_group``, ``encryption_key``, ``web_acl`` and
    ``web_acl_name`` (None with ``waf=False``; the name is plain text, for alarms),
    ``web_acl_rule_names`` (empty with ``waf=False``; for ``ServiceDashboard.add_web_acl``), ``waf_log_group``,
    ``routes``.

    :param user_pool: the Cognito user pool whose tokens the API accepts (required). Methods
        without ``authorization_scopes`` accept ID tokens; methods with scopes need an access token.
    :param api_name: name of the REST API. Default: the construct id.
    :param stage_name: the deployment stage. Default: "prod".
    :param throttle_rate_limit: steady-state requests per second for the stage, > 0. Default: 50.
    :param throttle_burst_limit: burst of requests for the stage, >= 1. Default: 100.
    :param encryption_key: the key for the access, execution and WAF log groups. Default: a new
        EncryptionKey.
    :param log_retention: a ``logs.RetentionDays`` for those log groups. Default: ONE_YEAR.
        Shorter needs ``short_log_retention_reason``.
    :param short_log_retention_reason: why a retention below one year is acceptable; recorded on
        each log group as the acknowledgment ``SecureServerless-ShortLogRetention``. Default: none
        (a shorter retention is an error).
    :param cors_allowed_origins: origins a browser may call the API from, each
        ``https://host[:port]`` (``http://localhost`` for development). Each resource with a route
        gets an OPTIONS preflight (no authorizer, answered by API Gateway) allowing exactly these
        origins, the Authorization and Content-Type headers and that resource's methods. Gateway
        error responses carry ``Access-Control-Allow-Origin`` of the first origin only: API
        Gateway cannot choose among several there, and echoing the request's Origin would allow
        any site; other origins see such errors as CORS failures. Handlers set the header on
        their own responses. Default: no CORS (no OPTIONS methods, no CORS headers).
    :param waf: associate a WAF web ACL with the stage. Default: True. False needs ``no_waf_reason``.
    :param no_waf_reason: why the stage runs without a web ACL; recorded as the acknowledgment
        ``AwsSolutions-APIG3``. Default: none (``waf=False`` without it is an error).
    :param waf_rate_limit: requests per source IP per 5 minutes before the web ACL blocks that IP,
        100..2,000,000,000. Default: 1000.
    :param waf_unauthenticated_rate_limit: requests without a well-formed bearer token
        (``WELL_FORMED_BEARER_PATTERN``; CORS preflights excepted) per source IP per 5 minutes before
        the web ACL blocks them, 10..``waf_rate_limit - 1``. Default: 100.
    :param waf_token_rate_limit: requests WITH a well-formed bearer token per source IP per minute
        (60-second window, WAF's shortest) before the web ACL blocks that IP's token-bearing
        requests, 10..``throttle_burst_limit - 1``: a forged token has the same shape as a valid
        one and spends the same stage throttle, so one address must never be able to spend a
        method's whole burst. Default: half of ``throttle_burst_limit`` (at least 10).
    :param max_body_bytes: the largest request body, in bytes, the web ACL lets through,
        8192..65536. Default: 8192 (the AWS common rule set's ``SizeRestrictions_BODY``). Above
        8192, that rule only counts, the web ACL's own ``BodySizeLimit`` rule blocks bodies over
        this size (oversized bodies count as matching), and the body inspection limit for API
        Gateway rises to the next 16 KB step (WAF charges extra above 16 KB).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool: cognito.IUserPool,
        api_name: str | None = None,
        stage_name: str = "prod",
        throttle_rate_limit: float = 50,
        throttle_burst_limit: int = 100,
        encryption_key: EncryptionKey | None = None,
        log_retention: logs.RetentionDays = MINIMUM_LOG_RETENTION,
        short_log_retention_reason: str | None = None,
        cors_allowed_origins: Sequence[str] = (),
        waf: bool = True,
        no_waf_reason: str | None = None,
        waf_rate_limit: int = 1000,
        waf_unauthenticated_rate_limit: int = 100,
        waf_token_rate_limit: int | None = None,
        max_body_bytes: int = WAF_COMMON_BODY_SIZE_BYTES,
    ) -> None:
        super().__init__(scope, construct_id)
        # The access-log destination as API Gateway stores it (no trailing ':*'), in any app: no
        # drift reported on every run. CDK renders it so from 2.274 (cdk_compat); older CDK ignores it.
        self.node.set_context(APIGATEWAY_EXACT_ACCESS_LOG_ARN, FEATURE_FLAGS[APIGATEWAY_EXACT_ACCESS_LOG_ARN])
        problems = Problems(self.node.path)
        if not is_token(stage_name) and not (isinstance(stage_name, str) and _STAGE_NAME.match(stage_name)):
            problems.add("stage_name", stage_name, "use 1-128 letters, digits, '_' or '-', e.g. 'prod'")
        if not is_token(throttle_rate_limit) and (
            isinstance(throttle_rate_limit, bool)
            or not isinstance(throttle_rate_limit, int | float)
            or throttle_rate_limit <= 0
        ):
            problems.add(
                "throttle_rate_limit",
                throttle_rate_limit,
                "must be a number of requests per second above 0 (0 or less would reject every request)",
            )
        if not is_token(throttle_burst_limit) and (
            isinstance(throttle_burst_limit, bool)
            or not isinstance(throttle_burst_limit, int)
            or throttle_burst_limit < 1
        ):
            problems.add("throttle_burst_limit", throttle_burst_limit, "must be a whole number of requests, at least 1")
        if isinstance(cors_allowed_origins, str):
            problems.add("cors_allowed_origins", cors_allowed_origins, "give a list of origins, not one string")
            cors_allowed_origins = ()
        for origin in cors_allowed_origins:
            problem = origin_problem(origin)
            if problem:
                problems.add("cors_allowed_origins", origin, problem)
        if len(set(cors_allowed_origins)) != len(cors_allowed_origins):
            problems.add("cors_allowed_origins", list(cors_allowed_origins), "list each origin once")
        retention = checked_retention(problems, log_retention, short_log_retention_reason)
        problems.require_reason(
            option="waf",
            value=waf,
            weakened=not waf,
            reason_option="no_waf_reason",
            reason=no_waf_reason,
            what="leaves the stage without a web ACL (APIG3)",
            weak_setting="waf=False",
        )
        if waf:
            burst_known = isinstance(throttle_burst_limit, int) and not is_token(throttle_burst_limit)
            if waf_token_rate_limit is None:
                waf_token_rate_limit = max(10, throttle_burst_limit // 2) if burst_known else 10
            web_acl_option_problems(
                problems,
                rate_limit=waf_rate_limit,
                unauthenticated_rate_limit=waf_unauthenticated_rate_limit,
                token_rate_limit=waf_token_rate_limit,
                max_body_bytes=max_body_bytes,
                prefix="waf_",
            )
            if (
                burst_known
                and isinstance(waf_token_rate_limit, int)
                and not is_token(waf_token_rate_limit)
                and waf_token_rate_limit >= throttle_burst_limit
            ):
                problems.add(
                    "waf_token_rate_limit",
                    waf_token_rate_limit,
                    f"must be below throttle_burst_limit ({throttle_burst_limit}): one address must not be able to "
                    "spend a method's whole burst with forged tokens; lower this, or raise throttle_burst_limit "
                    "(WAF's smallest rate limit is 10, so the burst must be at least 11)",
                )
        problems.raise_if_any()

        self.cors_allowed_origins: tuple[str, ...] = tuple(cors_allowed_origins)
        self._retention = retention
        self._short_log_retention_reason = short_log_retention_reason
        self._routes: dict[tuple[str, str], apigateway.Method] = {}
        self._opened_methods: set[str] = set()
        self._preflight_methods: dict[str, list[str]] = {}

        self.encryption_key = encryption_key or EncryptionKey(self, "Key")
        self.access_log_group = self._log_group("AccessLogs")
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[user_pool],
            identity_source=apigateway.IdentitySource.header("Authorization"),
        )
        self.api = apigateway.RestApi(
            self,
            "Resource",
            rest_api_name=api_name or construct_id,
            description=f"Secure Serverless Kit API {self.node.path}",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                throttling_rate_limit=throttle_rate_limit,
                throttling_burst_limit=throttle_burst_limit,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        self.stage = self.api.deployment_stage
        # API Gateway would create the execution log group on first use: unencrypted and kept
        # forever. Creating it first (same name) gives it the key and the retention.
        self.execution_log_group = self._log_group(
            "ExecutionLogs", log_group_name=f"API-Gateway-Execution-Logs_{self.api.rest_api_id}/{stage_name}"
        )
        self.stage.node.add_dependency(self.execution_log_group)
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self._add_gateway_responses()

        self.web_acl: wafv2.CfnWebACL | None = None
        self.web_acl_name: str | None = None
        #: the names of the web ACL's rules, in order (reading ``web_acl.rules`` back costs a Node.js round trip per field)
        self.web_acl_rule_names: list[str] = []
        self.waf_log_group: logs.LogGroup | None = None
        self.max_body_bytes = max_body_bytes
        if waf:
            # Built directly under this construct (not in a SecureWebAcl child): the ids and paths
            # of the web ACL's resources are a public contract of existing stacks.
            parts = build_web_acl(
                self,
                name=cdk.Names.unique_resource_name(self, max_length=120, separator="-"),
                log_group_name=WAF_LOG_GROUP_PREFIX
                + cdk.Names.unique_resource_name(self, max_length=400, separator="-"),
                rate_limit=waf_rate_limit,
                unauthenticated_rate_limit=waf_unauthenticated_rate_limit,
                token_rate_limit=waf_token_rate_limit if waf_token_rate_limit is not None else 10,
                max_body_bytes=max_body_bytes,
                encryption_key=self.encryption_key,
                log_retention=self._retention,
                short_log_retention_reason=self._short_log_retention_reason,
                associate_with=self.stage.stage_arn,
            )
            self.web_acl, self.web_acl_name, self.waf_log_group = parts.web_acl, parts.name, parts.log_group
            self.web_acl_rule_names = list(parts.rule_names)
        else:
            acknowledge(self.stage, "AwsSolutions-APIG3", f"No WAF web ACL on this stage: {no_waf_reason}")
        self.node.add_validation(_EveryMethodAuthorized(self))

    # ------------------------------------------------------------------ routes
    def add_route(
        self,
        method: str,
        path: str,
        handler: lambda_.IFunction | SecureFunction,
        *,
        request_schema: Mapping[str, Any] | None = None,
        authorization_scopes: Sequence[str] = (),
        open_without_authorization_reason: str | None = None,
        request_parameters: Mapping[str, bool] | None = None,
    ) -> apigateway.Method:
        """Route ``method path`` to ``handler`` (Lambda proxy) behind the Cognito authorizer.

        :param method: GET, POST, PUT, PATCH, DELETE or HEAD.
        :param path: ``/segment/{parameter}/...``; resources are created along it.
        :param handler: the function that answers (a ``SecureFunction`` or any ``lambda_.IFunction``).
            Its invoke permission names this method, path and stage only (no test-invoke
            permission). A kit function must be ``Invocation.SYNCHRONOUS``: API Gateway invokes
            synchronously, so a dead-letter queue would never fire.
        :param request_schema: JSON schema (draft-04, a dict as loaded from a file) the body must
            match; API Gateway rejects other bodies with 400 before the function runs. Not allowed
            on GET, DELETE and HEAD. Default: no body model (parameters are still validated).
        :param authorization_scopes: OAuth scopes the access token must carry. Default: none
            (any valid ID token of the user pool).
        :param open_without_authorization_reason: make this route public, without the
            authorizer; the reason is recorded as the acknowledgments ``AwsSolutions-APIG4`` and
            ``AwsSolutions-COG4`` on the method. Default: none (the route needs a token).
        :param request_parameters: ``{"method.request.querystring.limit": False, ...}``, True
            meaning required. Path parameters of ``path`` are always added as required.
            Default: only the path parameters.
        """
        verb = method.upper() if isinstance(method, str) else method
        problems = Problems(f"{path_of(self)} {verb} {path}")
        problems.check_choice("method", verb, HTTP_METHODS)
        path_problems, path_parameters = _path_problems(path)
        for problem in path_problems:
            problems.add("path", path, problem)
        if (verb, path) in self._routes:
            problems.add("method, path", f"{verb} {path}", "this route exists already; add each method and path once")
        if request_schema is not None:
            if verb in _BODYLESS_METHODS:
                problems.add("request_schema", "...", f"{verb} requests carry no body; validate parameters instead")
            schema_problem = _schema_problem(request_schema)
            if schema_problem:
                problems.add("request_schema", request_schema, schema_problem)
        if isinstance(authorization_scopes, str):
            problems.add("authorization_scopes", authorization_scopes, "give a list of scopes, not one string")
            authorization_scopes = ()
        bad_scopes = [s for s in authorization_scopes if not isinstance(s, str) or not _SCOPE.match(s)]
        if bad_scopes:
            problems.add("authorization_scopes", bad_scopes, "use OAuth scope names like 'notes/read' (no spaces)")
        if open_without_authorization_reason is not None and not has_reason(open_without_authorization_reason):
            problems.require_reason(
                option="open_without_authorization_reason",
                value=open_without_authorization_reason,
                weakened=True,
                reason_option="open_without_authorization_reason",
                reason=open_without_authorization_reason,
                what="opens the route to anyone",
            )
        if open_without_authorization_reason is not None and authorization_scopes:
            problems.add(
                "authorization_scopes",
                list(authorization_scopes),
                "an open route checks no token, so scopes would never be enforced; remove one of the two",
            )
        kit_function = kit_function_of(handler)
        if kit_function is not None and kit_function.invocation is not Invocation.SYNCHRONOUS:
            problems.add(
                "handler",
                kit_function.node.path,
                "API Gateway invokes its functions synchronously, so this function's dead-letter queue could "
                "never receive a message; create it with invocation=Invocation.SYNCHRONOUS",
            )
        if isinstance(handler, SecureFunction):
            handler = handler.function
        bad_parameters = sorted(k for k in (request_parameters or {}) if not _REQUEST_PARAMETER.match(k))
        if bad_parameters:
            problems.add(
                "request_parameters",
                bad_parameters,
                "use names like 'method.request.querystring.limit' or 'method.request.header.If-Match'",
            )
        problems.raise_if_any()

        root = vars(self).get("_api_root")
        if root is None:  # the API's root resource never changes: read once, not once per route
            root = self._api_root = self.api.root
        resource = root.resource_for_path(path)
        parameters = {f"method.request.path.{name}": True for name in path_parameters}
        parameters.update(request_parameters or {})
        request_models = None
        if request_schema is not None:
            request_models = {"application/json": self._model(verb, resource, request_schema)}
        opened = open_without_authorization_reason is not None
        new_method = resource.add_method(
            verb,
            apigateway.LambdaIntegration(handler, allow_test_invoke=False),
            authorizer=None if opened else self.authorizer,
            authorization_type=apigateway.AuthorizationType.NONE if opened else apigateway.AuthorizationType.COGNITO,
            authorization_scopes=list(authorization_scopes) or None,
            request_validator=self.request_validator,
            request_models=request_models,
            request_parameters=parameters or None,
        )
        if opened:
            reason = f"{verb} {path} is public on purpose: {open_without_authorization_reason}"
            self._opened_methods.add(new_method.node.path)
            acknowledge(new_method, "AwsSolutions-APIG4", reason)
            acknowledge(new_method, "AwsSolutions-COG4", reason)
        self._routes[(verb, path)] = new_method
        self._add_preflight(resource, verb)
        return new_method

    def _model(self, verb: str, resource: apigateway.IResource, schema: Mapping[str, Any]) -> apigateway.Model:
        full_schema = {"$schema": JSON_SCHEMA_DRAFT_04, **schema}
        model_id = "Model" + re.sub(r"[^A-Za-z0-9]", "", f"{verb.title()}{resource.path.title()}")
        model = self.api.add_model(
            model_id,
            content_type="application/json",
            description=f"Body of {verb} {resource.path}",
            # Placeholder: the caller's dict (any draft-04 keyword) replaces it below, because
            # apigateway.JsonSchema cannot carry a schema loaded from a file as it is.
            schema=apigateway.JsonSchema(type=apigateway.JsonSchemaType.OBJECT),
        )
        cfn_model = model.node.default_child
        assert isinstance(cfn_model, apigateway.CfnModel)
        cfn_model.add_property_override("Schema", full_schema)
        return model

    def _add_preflight(self, resource: apigateway.IResource, verb: str) -> None:
        if not self.cors_allowed_origins:
            return
        methods = self._preflight_methods.get(resource.path)
        if methods is not None:
            methods.append(verb)
            return
        methods = self._preflight_methods[resource.path] = [verb]
        resource.add_cors_preflight(
            allow_origins=list(self.cors_allowed_origins),
            allow_headers=list(CORS_ALLOWED_HEADERS),
            # Resolved at synth: the methods of every route later added to this resource too.
            allow_methods=[cdk.Token.as_string(_MethodList(methods))],
            max_age=CORS_MAX_AGE,
        )

    # ------------------------------------------------------------------ building blocks
    def _log_group(self, construct_id: str, *, log_group_name: str | None = None) -> logs.LogGroup:
        log_group = logs.LogGroup(
            self,
            construct_id,
            log_group_name=log_group_name,
            retention=self._retention,
            encryption_key=self.encryption_key.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        record_short_retention(log_group, self._retention, self._short_log_retention_reason)
        return log_group

    def _add_gateway_responses(self) -> None:
        headers = {name: f"'{value}'" for name, value in GATEWAY_RESPONSE_HEADERS.items()}
        if self.cors_allowed_origins:
            headers.update({"Access-Control-Allow-Origin": f"'{self.cors_allowed_origins[0]}'", "Vary": "'Origin'"})
        for construct_id, (response_type, message) in GATEWAY_RESPONSES.items():
            body = json.dumps({"message": message, "correlationId": "$context.requestId"})
            self.api.add_gateway_response(
                construct_id,
                type=response_type,
                response_headers=headers,
                templates={"application/json": body},
            )

    # ------------------------------------------------------------------ attributes
    @property
    def url(self) -> str:
        """The stage's invoke URL, ``https://<id>.execute-api.<region>.amazonaws.com/<stage>/``."""
        return self.api.url

    @property
    def routes(self) -> dict[tuple[str, str], apigateway.Method]:
        """Every route added with ``add_route``, keyed by (method, path)."""
        return dict(self._routes)
