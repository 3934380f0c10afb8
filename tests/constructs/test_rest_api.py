"""SecureRestApi: the default and each option (refusals, the synth-time check, cdk-nag: test_rest_api_refusals.py).

Synthesis is the slow part, so the module synthesizes two apps and many tests read them: the
default API alone, and one stack holding one API per option (each test reads its own API by
construct). Acknowledgments are read from the assembly metadata (``aws:cdk:acknowledged-rules``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs

from rest_api_support import (
    NO_WAF_REASON,
    NOTE_SCHEMA,
    OPEN_REASON,
    ORIGINS,
    ROUTES_OF_THE_DEFAULT_API,
    SHORT_LOGS_REASON,
    Built,
    add_notes_routes,
    handler,
    synthesize,
)
from secure_serverless import EncryptionKey, SecureRestApi
from secure_serverless.cdk_compat import renders_exact_access_log_arn
from secure_serverless.rest_api import WELL_FORMED_BEARER_PATTERN


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Built:
    def build(stack: cdk.Stack, made: dict[str, Any]) -> None:
        pool = cognito.UserPool(stack, "Pool")
        made["pool"] = pool
        made["handler"] = fn = handler(stack)
        made["api"] = api = SecureRestApi(stack, "Api", user_pool=pool)
        add_notes_routes(api, fn)

    return synthesize(tmp_path_factory.mktemp("default"), build)


@pytest.fixture(scope="module")
def options(tmp_path_factory: pytest.TempPathFactory) -> Built:
    def build(stack: cdk.Stack, made: dict[str, Any]) -> None:
        pool = cognito.UserPool(stack, "Pool")
        fn = handler(stack)
        made["key"] = key = EncryptionKey(stack, "SharedKey")
        variants: dict[str, dict[str, Any]] = {
            "Staged": {"stage_name": "v1", "api_name": "notes-api"},
            "Throttled": {"throttle_rate_limit": 10, "throttle_burst_limit": 20},
            "Cors": {"cors_allowed_origins": ORIGINS},
            "RateLimited": {"waf_rate_limit": 5000, "waf_unauthenticated_rate_limit": 50, "waf_token_rate_limit": 40},
            "LargeBodies": {"max_body_bytes": 40_000},
            "NoWaf": {"waf": False, "no_waf_reason": NO_WAF_REASON},
            "ShortLogs": {
                "log_retention": logs.RetentionDays.ONE_MONTH,
                "short_log_retention_reason": SHORT_LOGS_REASON,
            },
            "OwnKey": {"encryption_key": key},
            "Routes": {},
        }
        apis = {name: SecureRestApi(stack, name, user_pool=pool, **kwargs) for name, kwargs in variants.items()}
        made.update(apis)
        cors = apis["Cors"]
        cors.add_route("GET", "/notes", fn)
        cors.add_route("POST", "/notes", fn, request_schema=NOTE_SCHEMA)
        cors.add_route("DELETE", "/notes/{noteId}", fn)
        routes = apis["Routes"]
        made["open_route"] = routes.add_route("GET", "/health", fn, open_without_authorization_reason=OPEN_REASON)
        made["scoped_route"] = routes.add_route("GET", "/admin/reports", fn, authorization_scopes=["notes/admin"])
        made["greedy_route"] = routes.add_route("GET", "/files/{key+}", fn)
        for name in ("Staged", "Throttled", "RateLimited", "LargeBodies", "NoWaf", "ShortLogs", "OwnKey"):
            apis[name].add_route("GET", "/notes", fn)

    return synthesize(tmp_path_factory.mktemp("options"), build)


def methods(built: Built, api: SecureRestApi) -> dict[str, dict[str, Any]]:
    return built.of_type("AWS::ApiGateway::Method", api)


def stage_props(built: Built, api: SecureRestApi) -> dict[str, Any]:
    return built.props(api.stage)


def method_settings(built: Built, api: SecureRestApi) -> dict[str, Any]:
    (settings,) = stage_props(built, api)["MethodSettings"]
    return settings  # type: ignore[no-any-return]


def path_of(built: Built, api: SecureRestApi, method_props: dict[str, Any]) -> str:
    """The API path of a method, rebuilt from the template's resources."""
    resource_id = method_props["ResourceId"]
    if resource_id == {"Fn::GetAtt": [built.logical_id(api.api), "RootResourceId"]}:
        return "/"
    parts: list[str] = []
    while "Ref" in resource_id:
        resource = built.resources[resource_id["Ref"]]["Properties"]
        parts.insert(0, resource["PathPart"])
        resource_id = resource["ParentId"]
    return "/" + "/".join(parts)


# ---------------------------------------------------------------- defaults
def test_default_endpoint_is_regional_and_no_account_role_is_created(default: Built) -> None:
    api = default.made["api"]
    assert default.props(api.api)["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert default.of_type("AWS::ApiGateway::Account") == {}
    assert default.of_type("AWS::IAM::Role", api) == {}


def test_default_stage_is_prod_throttled_logged_at_error_without_data_trace_and_traced(default: Built) -> None:
    api = default.made["api"]
    props = stage_props(default, api)
    assert props["StageName"] == "prod"
    assert props["TracingEnabled"] is True
    assert method_settings(default, api) == {
        "HttpMethod": "*",
        "ResourcePath": "/*",
        "LoggingLevel": "ERROR",
        "DataTraceEnabled": False,
        "MetricsEnabled": True,
        "ThrottlingRateLimit": 50,
        "ThrottlingBurstLimit": 100,
    }


def test_default_access_log_is_json_with_identity_and_error_fields(default: Built) -> None:
    api = default.made["api"]
    setting = stage_props(default, api)["AccessLogSetting"]
    record = json.loads(setting["Format"])
    values = set(record.values())
    for field in (
        "$context.requestId",
        "$context.extendedRequestId",
        "$context.identity.sourceIp",
        "$context.identity.caller",
        "$context.identity.user",
        "$context.requestTime",
        "$context.httpMethod",
        "$context.resourcePath",
        "$context.status",
        "$context.protocol",
        "$context.responseLength",
        "$context.authorizer.claims.sub",
        "$context.error.message",
        "$context.error.responseType",
        "$context.integration.error",
        "$context.waf.error",
        "$context.wafResponseCode",
        "$context.authorize.error",
        "$context.xrayTraceId",
    ):
        assert field in values, field
    assert all(isinstance(value, str) for value in record.values())
    if renders_exact_access_log_arn():  # what API Gateway stores: the ARN without ':*'
        assert default.ref(api.access_log_group) in setting["DestinationArn"]["Fn::Join"][1]
    else:  # CDK < 2.274 (make compat at the floor): the log group's Arn attribute
        assert setting["DestinationArn"] == default.arn(api.access_log_group)


def test_default_log_groups_are_encrypted_with_the_key_and_retained_one_year(default: Built) -> None:
    api = default.made["api"]
    log_groups = default.of_type("AWS::Logs::LogGroup", api)
    assert len(log_groups) == 3  # access, execution, WAF
    key_arn = {"Fn::GetAtt": [default.logical_id(api.encryption_key.key), "Arn"]}
    for log_group in log_groups.values():
        assert log_group["Properties"]["KmsKeyId"] == key_arn
        assert log_group["Properties"]["RetentionInDays"] == 365
        assert log_group["DeletionPolicy"] == "Retain"


def test_default_execution_log_group_exists_before_the_stage(default: Built) -> None:
    api = default.made["api"]
    name = default.props(api.execution_log_group)["LogGroupName"]
    assert name == {"Fn::Join": ["", ["API-Gateway-Execution-Logs_", default.ref(api.api), "/prod"]]}
    assert default.logical_id(api.execution_log_group) in default.resource(api.stage)["DependsOn"]


def test_default_web_acl_has_managed_rule_groups_and_a_per_ip_rate_rule(default: Built) -> None:
    api = default.made["api"]
    props = default.props(api.web_acl)
    assert props["Scope"] == "REGIONAL"
    assert props["DefaultAction"] == {"Allow": {}}
    assert props["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    assert props["Name"] == api.web_acl_name
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    for group in (
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ):
        assert rules[group]["Statement"] == {"ManagedRuleGroupStatement": {"Name": group, "VendorName": "AWS"}}
        assert rules[group]["OverrideAction"] == {"None": {}}
    rate = rules["RateLimitPerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": 1000,
        "EvaluationWindowSec": 300,
    }
    assert all(rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] for rule in rules.values())
    assert len({rule["Priority"] for rule in rules.values()}) == len(rules)


def web_acl_rules(built: Built, api: SecureRestApi) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in built.props(api.web_acl)["Rules"]}


def test_default_web_acl_rate_limits_requests_without_a_well_formed_token_below_the_per_ip_limit(
    default: Built,
) -> None:
    """Issue 11, finding 3: garbage tokens get their own, lower budget, before the stage's."""
    rules = web_acl_rules(default, default.made["api"])
    rule = rules["RateLimitUnauthenticatedPerIp"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Priority"] < min(
        r["Priority"] for r in rules.values() if "ManagedRuleGroupStatement" in r["Statement"]
    )
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"], rate["EvaluationWindowSec"]) == ("IP", 100, 300)
    assert rate["Limit"] < rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]["Limit"]
    no_token, not_preflight = (
        s["NotStatement"]["Statement"] for s in rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    )
    assert no_token["RegexMatchStatement"]["FieldToMatch"] == {"SingleHeader": {"Name": "authorization"}}
    assert no_token["RegexMatchStatement"]["RegexString"] == WELL_FORMED_BEARER_PATTERN
    assert not_preflight["ByteMatchStatement"]["FieldToMatch"] == {"Method": {}}
    assert not_preflight["ByteMatchStatement"]["SearchString"] == "OPTIONS"


SIGNATURE = "s" * 342  # RS256 with a 2048-bit key: 256 bytes, 342 base64url characters


@pytest.mark.parametrize(
    ("header", "well_formed"),
    [
        (f"eyJraWQiOiJrIn0.eyJzdWIiOiJzIn0.{SIGNATURE}", True),
        (f"Bearer eyJraWQiOiJrIn0.eyJzdWIiOiJzIn0.{SIGNATURE}", True),
        (f"bearer  eyJraWQiOiJrIn0.eyJzdWIiOiJzIn0.{SIGNATURE}", True),
        ("eyJraWQiOiJrIn0.eyJzdWIiOiJzIn0.c2lnbmF0dXJl", False),  # signature too short for RS256
        (f"a.b.{SIGNATURE}", False),  # header and payload are not JSON objects
        ("garbage", False),
        ("Bearer garbage", False),
        (f"eyJ.eyJ.{SIGNATURE} extra", False),
        ("", False),
    ],
)
def test_well_formed_bearer_token_pattern(header: str, well_formed: bool) -> None:
    assert (re.search(WELL_FORMED_BEARER_PATTERN, header) is not None) is well_formed


def test_default_body_limit_is_the_common_rule_sets_8_kb_rule(default: Built) -> None:
    api = default.made["api"]
    assert "BodySizeLimit" not in web_acl_rules(default, api)
    assert "AssociationConfig" not in default.props(api.web_acl)


def test_max_body_bytes_replaces_the_8_kb_rule_with_its_own_limit(options: Built) -> None:
    """Issue 11, finding 2: a body the models allow must not be blocked by the WAF."""
    api = options.made["LargeBodies"]
    rules = web_acl_rules(options, api)
    size = rules["BodySizeLimit"]["Statement"]["SizeConstraintStatement"]
    assert rules["BodySizeLimit"]["Action"] == {"Block": {}}
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", 40_000)
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    association = options.props(api.web_acl)["AssociationConfig"]
    assert association == {"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_48"}}}


def test_waf_unauthenticated_rate_limit(options: Built) -> None:
    rules = web_acl_rules(options, options.made["RateLimited"])
    assert rules["RateLimitUnauthenticatedPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == 50


def test_waf_token_rate_limit(options: Built) -> None:
    rules = web_acl_rules(options, options.made["RateLimited"])
    assert rules["RateLimitTokenPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == 40


def test_the_token_rate_limit_follows_the_stage_burst_by_default(options: Built) -> None:
    rules = web_acl_rules(options, options.made["Throttled"])  # burst 20
    assert rules["RateLimitTokenPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == 10


def test_default_web_acl_limits_well_formed_tokens_per_ip_per_minute_below_the_stage_burst(default: Built) -> None:
    """Issue 25: forged tokens of the right shape pass the unauthenticated rule and spend the same
    stage budget; one address may send at most half the burst of them per minute."""
    api = default.made["api"]
    rules = web_acl_rules(default, api)
    rule = rules["RateLimitTokenPerIp"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Priority"] < min(
        r["Priority"] for r in rules.values() if "ManagedRuleGroupStatement" in r["Statement"]
    )
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"], rate["EvaluationWindowSec"]) == ("IP", 50, 60)
    (settings,) = default.props(api.stage)["MethodSettings"]
    assert rate["Limit"] < settings["ThrottlingBurstLimit"]
    token = rate["ScopeDownStatement"]["RegexMatchStatement"]
    assert token["FieldToMatch"] == {"SingleHeader": {"Name": "authorization"}}
    assert token["RegexString"] == WELL_FORMED_BEARER_PATTERN
    priorities = [r["Priority"] for r in rules.values()]
    assert len(priorities) == len(set(priorities))


def test_default_web_acl_is_associated_with_the_stage(default: Built) -> None:
    api = default.made["api"]
    (association,) = default.of_type("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [default.logical_id(api.web_acl), "Arn"]}
    arn_parts = association["Properties"]["ResourceArn"]["Fn::Join"][1]
    assert default.ref(api.api) in arn_parts
    assert default.ref(api.stage) in arn_parts


def test_default_waf_logs_go_to_an_aws_waf_logs_group_with_authorization_redacted(default: Built) -> None:
    api = default.made["api"]
    (logging,) = default.of_type("AWS::WAFv2::LoggingConfiguration").values()
    props = logging["Properties"]
    name = default.props(api.waf_log_group)["LogGroupName"]
    assert name.startswith("aws-waf-logs-")
    (destination,) = props["LogDestinationConfigs"]
    assert destination["Fn::Join"][1][-1] == f":log-group:{name}"  # no ":*" suffix
    assert props["ResourceArn"] == {"Fn::GetAtt": [default.logical_id(api.web_acl), "Arn"]}
    assert props["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]


def test_default_gateway_responses_are_generic_with_a_correlation_id(default: Built) -> None:
    api = default.made["api"]
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in default.of_type("AWS::ApiGateway::GatewayResponse", api).values()
    }
    assert set(responses) == {
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "THROTTLED",
        "BAD_REQUEST_BODY",
        "BAD_REQUEST_PARAMETERS",
        "REQUEST_TOO_LARGE",
        "WAF_FILTERED",
        "EXPIRED_TOKEN",
        "INVALID_SIGNATURE",
        "MISSING_AUTHENTICATION_TOKEN",
    }
    for response_type, props in responses.items():
        template = props["ResponseTemplates"]["application/json"]
        body = json.loads(template)
        assert set(body) == {"message", "correlationId"}, response_type
        assert body["correlationId"] == "$context.requestId"
        assert "$context.error" not in template and "validationErrorString" not in template
        # Issue 25: no cache keeps an error answer, no browser sniffs it into something it renders.
        assert props["ResponseParameters"] == {
            "gatewayresponse.header.Cache-Control": "'no-store'",
            "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
        }, response_type  # and no CORS origin without cors_allowed_origins


def test_default_every_method_uses_the_cognito_authorizer(default: Built) -> None:
    api = default.made["api"]
    found = methods(default, api)
    assert {(m["Properties"]["HttpMethod"], path_of(default, api, m["Properties"])) for m in found.values()} == (
        ROUTES_OF_THE_DEFAULT_API
    )
    for method in found.values():
        assert method["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["Properties"]["AuthorizerId"] == default.ref(api.authorizer)


def test_default_authorizer_reads_the_authorization_header_against_the_user_pool(default: Built) -> None:
    api, pool = default.made["api"], default.made["pool"]
    props = default.props(api.authorizer)
    assert props["Type"] == "COGNITO_USER_POOLS"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["ProviderARNs"] == [{"Fn::GetAtt": [default.logical_id(pool), "Arn"]}]


def test_default_request_validator_on_every_method_and_models_on_bodies(default: Built) -> None:
    api = default.made["api"]
    validator = default.props(api.request_validator)
    assert validator["ValidateRequestBody"] is True and validator["ValidateRequestParameters"] is True
    models = default.of_type("AWS::ApiGateway::Model", api)
    for method in methods(default, api).values():
        props = method["Properties"]
        assert props["RequestValidatorId"] == default.ref(api.request_validator)
        if props["HttpMethod"] in ("POST", "PUT"):
            model_ref = props["RequestModels"]["application/json"]["Ref"]
            model = models[model_ref]["Properties"]
            assert model["ContentType"] == "application/json"
            assert model["Schema"] == {"$schema": "http://json-schema.org/draft-04/schema#", **NOTE_SCHEMA}
        else:
            assert "RequestModels" not in props
    params = {
        (m["Properties"]["HttpMethod"], path_of(default, api, m["Properties"])): m["Properties"].get(
            "RequestParameters"
        )
        for m in methods(default, api).values()
    }
    assert params[("GET", "/notes/{noteId}")] == {"method.request.path.noteId": True}
    assert params[("GET", "/notes")] == {"method.request.querystring.limit": False}


def test_default_lambda_permissions_name_the_stage_method_and_path_only(default: Built) -> None:
    api = default.made["api"]
    permissions = default.of_type("AWS::Lambda::Permission")
    assert len(permissions) == len(ROUTES_OF_THE_DEFAULT_API)  # no test-invoke permissions
    tails = set()
    for permission in permissions.values():
        parts = permission["Properties"]["SourceArn"]["Fn::Join"][1]
        assert default.ref(api.stage) in parts, "scoped to the deployed stage, not every stage"
        tails.add(parts[-1])
        assert "test-invoke-stage" not in json.dumps(parts)
    assert tails == {"/GET/notes", "/POST/notes", "/GET/notes/*", "/PUT/notes/*", "/DELETE/notes/*"}


def test_default_attributes(default: Built) -> None:
    api = default.made["api"]
    assert isinstance(api.api, apigateway.RestApi)
    assert api.stage.node.path == api.api.deployment_stage.node.path
    assert isinstance(api.authorizer, apigateway.CognitoUserPoolsAuthorizer)
    assert api.web_acl is not None
    assert cdk.Token.is_unresolved(api.url)
    assert set(api.routes) == ROUTES_OF_THE_DEFAULT_API
    assert default.acknowledgments(api.stage) == {}
    assert default.all_acknowledgments_under(api) == {}  # nothing weakened, nothing acknowledged


# ---------------------------------------------------------------- options
def test_stage_name_and_api_name(options: Built) -> None:
    api = options.made["Staged"]
    assert stage_props(options, api)["StageName"] == "v1"
    assert options.props(api.api)["Name"] == "notes-api"
    assert options.props(api.execution_log_group)["LogGroupName"]["Fn::Join"][1][-1] == "/v1"


def test_throttling_limits(options: Built) -> None:
    settings = method_settings(options, options.made["Throttled"])
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (10, 20)


def test_cors_origins_add_preflights_with_exact_origins_and_route_methods(options: Built) -> None:
    api = options.made["Cors"]
    preflights = {
        path_of(options, api, m["Properties"]): m["Properties"]
        for m in methods(options, api).values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    }
    assert set(preflights) == {"/notes", "/notes/{noteId}"}  # only resources with routes
    for path, expected_methods in (("/notes", "'GET,POST,OPTIONS'"), ("/notes/{noteId}", "'DELETE,OPTIONS'")):
        props = preflights[path]
        assert props["AuthorizationType"] == "NONE"
        assert props["Integration"]["Type"] == "MOCK"
        (response,) = props["Integration"]["IntegrationResponses"]
        headers = response["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{ORIGINS[0]}'"
        assert headers["method.response.header.Access-Control-Allow-Methods"] == expected_methods
        assert headers["method.response.header.Access-Control-Allow-Headers"] == "'Authorization,Content-Type'"
        assert headers["method.response.header.Access-Control-Max-Age"] == "'600'"
        template = response["ResponseTemplates"]["application/json"]
        assert f'$origin == "{ORIGINS[1]}"' in template  # the second origin is echoed only when it matches
        assert "*" not in json.dumps(headers)


def test_cors_origin_on_gateway_responses_is_the_first_configured_origin(options: Built) -> None:
    api = options.made["Cors"]
    for response in options.of_type("AWS::ApiGateway::GatewayResponse", api).values():
        assert response["Properties"]["ResponseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": f"'{ORIGINS[0]}'",
            "gatewayresponse.header.Vary": "'Origin'",
            "gatewayresponse.header.Cache-Control": "'no-store'",
            "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
        }


def test_without_cors_origins_there_are_no_options_methods(options: Built) -> None:
    for name in ("Routes", "Staged"):
        api = options.made[name]
        assert all(m["Properties"]["HttpMethod"] != "OPTIONS" for m in methods(options, api).values())


def test_waf_rate_limit(options: Built) -> None:
    api = options.made["RateLimited"]
    rules = {rule["Name"]: rule for rule in options.props(api.web_acl)["Rules"]}
    assert rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]["Limit"] == 5000


def test_waf_disabled_with_a_reason_has_no_web_acl_and_records_apig3(options: Built) -> None:
    api = options.made["NoWaf"]
    assert api.web_acl is None and api.waf_log_group is None
    assert options.of_type("AWS::WAFv2::WebACL", api) == {}
    assert options.of_type("AWS::WAFv2::LoggingConfiguration", api) == {}
    stage_ref = options.ref(api.stage)
    for association in options.of_type("AWS::WAFv2::WebACLAssociation").values():
        assert stage_ref not in association["Properties"]["ResourceArn"]["Fn::Join"][1]
    assert options.acknowledgments(api.stage) == {
        "AwsSolutions::AwsSolutions-APIG3": f"No WAF web ACL on this stage: {NO_WAF_REASON}"
    }


def test_open_route_with_a_reason_has_no_authorizer_and_records_apig4_and_cog4(options: Built) -> None:
    route = options.made["open_route"]
    props = options.props(route)
    assert props["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in props
    reason = f"GET /health is public on purpose: {OPEN_REASON}"
    assert options.acknowledgments(route) == {
        "AwsSolutions::AwsSolutions-APIG4": reason,
        "AwsSolutions::AwsSolutions-COG4": reason,
    }
    assert options.acknowledgments(options.made["scoped_route"]) == {}


def test_authorization_scopes_are_required_on_the_method(options: Built) -> None:
    props = options.props(options.made["scoped_route"])
    assert props["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert props["AuthorizationScopes"] == ["notes/admin"]


def test_greedy_path_parameter(options: Built) -> None:
    props = options.props(options.made["greedy_route"])
    assert props["RequestParameters"] == {"method.request.path.key": True}
    assert path_of(options, options.made["Routes"], props) == "/files/{key+}"


def test_short_log_retention_with_a_reason_is_recorded_on_each_log_group(options: Built) -> None:
    api = options.made["ShortLogs"]
    for log_group in (api.access_log_group, api.execution_log_group, api.waf_log_group):
        assert options.props(log_group)["RetentionInDays"] == 30
        assert options.acknowledgments(log_group) == {
            "SecureServerless::SecureServerless-ShortLogRetention": SHORT_LOGS_REASON
        }


def test_encryption_key_option_is_used_for_every_log_group(options: Built) -> None:
    api, key = options.made["OwnKey"], options.made["key"]
    assert api.encryption_key is key
    assert options.of_type("AWS::KMS::Key", api) == {}
    key_arn = {"Fn::GetAtt": [options.logical_id(key.key), "Arn"]}
    for log_group in options.of_type("AWS::Logs::LogGroup", api).values():
        assert log_group["Properties"]["KmsKeyId"] == key_arn
