"""The local gateway on small hand-written templates: features the reference stack does not use.

The template below has the shapes CDK synthesizes (CORS preflight copied from a synthesized
SecureRestApi with two origins), plus scopes, public routes, a greedy path, a required query
parameter, a method-level throttling override, stage variables, binary media types and only
a DEFAULT_4XX gateway response. No synth: these tests take milliseconds.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from gateway_support import CLIENT_ID, OTHER_CLIENT_ID, Clock, Recorder, Tokens, config, gateway

from localmode.gateway import LocalRestApi
from localmode.gateway.definition import GatewayTemplateError

API = {"Ref": "Api"}
ROOT = {"Fn::GetAtt": ["Api", "RootResourceId"]}
CORS_TEMPLATE = (
    '#set($origin = $input.params().header.get("Origin"))\n#if($origin == "")\n'
    '  #set($origin = $input.params().header.get("origin"))\n#end\n'
    '#if($origin == "http://localhost:5173")\n'
    "  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end"
)
FOUR_XX = (
    '{"type": "$context.error.responseType", "message": $context.error.messageString, '
    '"id": "$context.requestId", "env": "$stageVariables.env", "stage": "${context.stage}"}'
)


def _join_uri(function_id: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":apigateway:",
                {"Ref": "AWS::Region"},
                ":lambda:path/2015-03-31/functions/",
                {"Fn::GetAtt": [function_id, "Arn"]},
                "/invocations",
            ],
        ]
    }


def _method(resource: Any, verb: str, function_id: str | None = "ItemsFn", **props: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "RestApiId": API,
        "ResourceId": resource,
        "HttpMethod": verb,
        "AuthorizationType": "COGNITO_USER_POOLS",
        "AuthorizerId": {"Ref": "Authorizer"},
        "RequestValidatorId": {"Ref": "Validator"},
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": _join_uri(function_id or "")},
    }
    properties.update(props)
    return {"Type": "AWS::ApiGateway::Method", "Properties": properties}


def _resource(parent: Any, part: str) -> dict[str, Any]:
    return {"Type": "AWS::ApiGateway::Resource", "Properties": {"RestApiId": API, "ParentId": parent, "PathPart": part}}


def mini_template() -> dict[str, Any]:
    public = {"AuthorizationType": "NONE", "AuthorizerId": None}
    resources: dict[str, Any] = {
        "ItemsFn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "FilesFn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "mini", "BinaryMediaTypes": ["image/png"]}},
        "Authorizer": {
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "RestApiId": API,
                "Name": "pool",
                "Type": "COGNITO_USER_POOLS",
                "IdentitySource": "method.request.header.Authorization",
                "ProviderARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}],
            },
        },
        "Validator": {
            "Type": "AWS::ApiGateway::RequestValidator",
            "Properties": {"RestApiId": API, "ValidateRequestBody": True, "ValidateRequestParameters": True},
        },
        "ItemModel": {
            "Type": "AWS::ApiGateway::Model",
            "Properties": {
                "RestApiId": API,
                "ContentType": "application/json",
                "Schema": {
                    "$schema": "http://json-schema.org/draft-04/schema#",
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {"name": {"type": "string", "maxLength": 20}},
                },
            },
        },
        "Items": _resource(ROOT, "items"),
        "ItemsId": _resource({"Ref": "Items"}, "{id}"),
        "ItemsSpecial": _resource({"Ref": "Items"}, "special"),
        "Files": _resource(ROOT, "files"),
        "FilesProxy": _resource({"Ref": "Files"}, "{proxy+}"),
        "ItemsGet": _method(
            {"Ref": "Items"},
            "GET",
            AuthorizationScopes=["items/read", "items/admin"],
            RequestParameters={"method.request.querystring.limit": True, "method.request.header.X-Opt": False},
        ),
        "ItemsPost": _method(
            {"Ref": "Items"},
            "POST",
            RequestModels={"application/json": {"Ref": "ItemModel"}},
            Integration={
                "Type": "AWS_PROXY",
                "IntegrationHttpMethod": "POST",
                "Uri": {
                    "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ItemsFn.Arn}/invocations"
                },
            },
        ),
        "ItemsIdGet": _method({"Ref": "ItemsId"}, "GET", "FilesFn", **public),
        "ItemsSpecialGet": _method({"Ref": "ItemsSpecial"}, "GET", **public),
        "FilesAny": _method({"Ref": "FilesProxy"}, "ANY", "FilesFn", **public),
        "ItemsOptions": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": API,
                "ResourceId": {"Ref": "Items"},
                "HttpMethod": "OPTIONS",
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "MOCK",
                    "RequestTemplates": {"application/json": "{ statusCode: 200 }"},
                    "IntegrationResponses": [
                        {
                            "StatusCode": "204",
                            "ResponseParameters": {
                                "method.response.header.Access-Control-Allow-Headers": "'Authorization,Content-Type'",
                                "method.response.header.Access-Control-Allow-Origin": "'https://app.example.com'",
                                "method.response.header.Vary": "'Origin'",
                                "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                            },
                            "ResponseTemplates": {"application/json": CORS_TEMPLATE},
                        }
                    ],
                },
            },
        },
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": API}},
        "Stage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": API,
                "StageName": "v1",
                "DeploymentId": {"Ref": "Deployment"},
                "Variables": {"env": "test"},
                "MethodSettings": [
                    {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 10},
                    {
                        "ResourcePath": "/~1items~1{id}",
                        "HttpMethod": "GET",
                        "ThrottlingRateLimit": 1,
                        "ThrottlingBurstLimit": 1,
                    },
                ],
            },
        },
        "Default4xx": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "RestApiId": API,
                "ResponseType": "DEFAULT_4XX",
                "ResponseTemplates": {"application/json": FOUR_XX},
                "ResponseParameters": {
                    "gatewayresponse.header.Access-Control-Allow-Origin": "'https://app.example.com'",
                    "gatewayresponse.header.X-Echo": "method.request.header.X-Echo",
                },
            },
        },
    }
    return {"Resources": resources}


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    return Tokens(Clock())


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def api(tokens: Tokens, recorder: Recorder) -> LocalRestApi:
    return gateway(mini_template(), tokens, recorder, tokens.clock)


# ---------------------------------------------------------------------------- scopes
def test_scoped_method_needs_an_access_token_with_one_of_its_scopes(
    api: LocalRestApi, tokens: Tokens, recorder: Recorder
) -> None:
    def get(token: str) -> int:
        return api.handle("GET", "/items", {"Authorization": token}, None, "limit=5").status

    assert get(tokens.access_token(scope="openid items/admin")) == 200
    assert recorder.last_event["requestContext"]["authorizer"]["claims"]["scope"] == "openid items/admin"
    assert get(tokens.access_token(scope="aws.cognito.signin.user.admin")) == 401
    assert get(tokens.access_token(scope="items/read", client_id="unknown-client")) == 401
    assert get(tokens.id_token(scope="items/read")) == 401
    assert len(recorder.calls) == 1


def test_identity_validation_expression_limits_the_audience(tokens: Tokens, recorder: Recorder) -> None:
    template = mini_template()
    template["Resources"]["Authorizer"]["Properties"]["IdentityValidationExpression"] = f"^{CLIENT_ID}$"
    api = gateway(template, tokens, recorder, tokens.clock)
    body = b'{"name": "a"}'
    assert api.handle("POST", "/items", {"Authorization": tokens.id_token()}, body).status == 200
    other = tokens.id_token(aud=OTHER_CLIENT_ID)
    assert api.handle("POST", "/items", {"Authorization": other}, body).status == 401


# ---------------------------------------------------------------------------- gateway responses
def test_missing_type_falls_back_to_default_4xx_with_its_status_and_headers(
    api: LocalRestApi, recorder: Recorder
) -> None:
    response = api.handle("POST", "/items", {"X-Echo": "echoed"}, b"{}")

    assert response.status == 401
    assert response.json() == {
        "type": "UNAUTHORIZED",
        "message": "Unauthorized",
        "id": response.headers["x-amzn-RequestId"],
        "env": "test",
        "stage": "v1",
    }
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["X-Echo"] == "echoed"
    assert recorder.calls == []


def test_without_gateway_responses_aws_defaults_apply(tokens: Tokens, recorder: Recorder) -> None:
    template = mini_template()
    del template["Resources"]["Default4xx"]
    api = gateway(template, tokens, recorder, tokens.clock)

    assert api.handle("GET", "/nope", {}, None).json() == {"message": "Missing Authentication Token"}
    assert api.handle("POST", "/items", {}, b"{}").json() == {"message": "Unauthorized"}
    expired = tokens.id_token(exp=int(tokens.clock()) - 10)
    assert api.handle("POST", "/items", {"Authorization": expired}, b"{}").json() == {
        "message": "The incoming token has expired"
    }
    token = tokens.id_token()
    assert api.handle("POST", "/items", {"Authorization": token}, b"{}").json() == {"message": "Invalid request body"}
    recorder.error = RuntimeError("boom")
    response = api.handle("POST", "/items", {"Authorization": token}, b'{"name": "a"}')
    assert (response.status, response.json()) == (502, {"message": "Internal server error"})


def test_required_query_parameter(api: LocalRestApi, tokens: Tokens, recorder: Recorder) -> None:
    token = tokens.access_token(scope="items/read")
    for query in ("", "limit=", "other=1"):
        response = api.handle("GET", "/items", {"Authorization": token}, None, query)
        assert response.status == 400
        assert response.json()["type"] == "BAD_REQUEST_PARAMETERS"
        assert response.json()["message"] == "Missing required request parameters: [limit]"
    assert recorder.calls == []
    assert api.handle("GET", "/items?limit=3", {"Authorization": token}, None).status == 200


# ---------------------------------------------------------------------------- routing
def test_literal_segments_win_over_parameters_and_public_routes_have_no_claims(
    api: LocalRestApi, recorder: Recorder
) -> None:
    assert api.handle("GET", "/items/special", {}, None).status == 200
    function_id, event = recorder.calls[-1]
    assert (function_id, event["resource"], event["pathParameters"]) == ("ItemsFn", "/items/special", None)
    assert "authorizer" not in event["requestContext"]

    assert api.handle("GET", "/items/a%2Fb%20c/", {}, None, "q=a%20b+c").status == 200
    function_id, event = recorder.calls[-1]
    assert (function_id, event["resource"]) == ("FilesFn", "/items/{id}")
    assert event["pathParameters"] == {"id": "a%2Fb%20c"}  # REST APIs pass path values still encoded
    assert event["queryStringParameters"] == {"q": "a b c"}  # and query values decoded


def test_greedy_path_and_any_method(api: LocalRestApi, recorder: Recorder) -> None:
    for verb in ("GET", "DELETE", "PATCH"):
        assert api.handle(verb, "/files/a/b/c.txt", {}, None).status == 200
        assert recorder.last_event["pathParameters"] == {"proxy": "a/b/c.txt"}
        assert recorder.last_event["resource"] == "/files/{proxy+}"
    assert api.handle("GET", "/files", {}, None).status == 403  # {proxy+} needs one segment at least
    assert api.handle("HEAD", "/items/special", {}, None).status == 403  # HEAD is not GET


def test_cors_preflight_is_answered_by_the_mock_integration(api: LocalRestApi, recorder: Recorder) -> None:
    listed = api.handle("OPTIONS", "/items", {"Origin": "http://localhost:5173"}, None)
    assert listed.status == 204
    assert listed.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert listed.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    other = api.handle("OPTIONS", "/items", {"Origin": "https://evil.example"}, None)
    assert other.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert other.body == b""
    assert recorder.calls == []


# ---------------------------------------------------------------------------- throttling
def test_method_throttling_override_and_stage_default(api: LocalRestApi, tokens: Tokens) -> None:
    assert [api.handle("GET", "/items/x", {}, None).status for _ in range(2)] == [200, 429]
    assert [api.handle("GET", "/items/special", {}, None).status for _ in range(11)] == [200] * 10 + [429]
    tokens.clock.advance(1)
    try:
        assert api.handle("GET", "/items/x", {}, None).status == 200
    finally:
        tokens.clock.advance(-1)


# ---------------------------------------------------------------------------- bodies
def test_no_web_acl_means_no_8_kb_rule(api: LocalRestApi, tokens: Tokens, recorder: Recorder) -> None:
    body = json.dumps({"name": "x" * 9000}).encode()
    response = api.handle("POST", "/items", {"Authorization": tokens.id_token()}, body)
    assert response.status == 400 and response.json()["type"] == "BAD_REQUEST_BODY"  # the model's maxLength


def test_binary_media_types(api: LocalRestApi, tokens: Tokens, recorder: Recorder) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    recorder.result = {"statusCode": 200, "body": base64.b64encode(png).decode(), "isBase64Encoded": True}
    token = tokens.id_token()

    as_binary = api.handle(
        "POST", "/items", {"Authorization": token, "Content-Type": "image/png", "Accept": "image/png"}, png
    )
    assert recorder.last_event["isBase64Encoded"] is True
    assert base64.b64decode(recorder.last_event["body"]) == png
    assert as_binary.body == png
    as_text = api.handle("POST", "/items", {"Authorization": token, "Content-Type": "image/png"}, png)
    assert as_text.body == base64.b64encode(png)


# ---------------------------------------------------------------------------- what is refused
def test_unsupported_features_are_refused_all_at_once(tokens: Tokens) -> None:
    template = mini_template()
    resources = template["Resources"]
    resources["ItemsIdGet"]["Properties"]["AuthorizationType"] = "AWS_IAM"
    resources["ItemsSpecialGet"]["Properties"]["Integration"] = {"Type": "HTTP_PROXY", "Uri": "https://example.com"}
    resources["FilesAny"]["Properties"]["ApiKeyRequired"] = True
    resources["Api"]["Properties"]["Policy"] = {"Statement": []}
    resources["Default4xx"]["Properties"]["ResponseTemplates"]["application/json"] = "#set($x = 1)\n{}"

    with pytest.raises(GatewayTemplateError) as raised:
        LocalRestApi.from_template(template, config(tokens, Recorder(), tokens.clock))

    problems = "\n".join(raised.value.problems)
    for expected in ("AWS_IAM", "HTTP_PROXY", "ApiKeyRequired", "resource policy", "VTL directives"):
        assert expected in problems
    assert len(raised.value.problems) == 5


def test_a_lambda_authorizer_is_refused(tokens: Tokens) -> None:
    template = mini_template()
    template["Resources"]["Authorizer"]["Properties"]["Type"] = "TOKEN"
    with pytest.raises(GatewayTemplateError, match="only COGNITO_USER_POOLS"):
        LocalRestApi.from_template(template, config(tokens, Recorder(), tokens.clock))


def test_stage_choice(tokens: Tokens) -> None:
    template = mini_template()
    second = copy.deepcopy(template["Resources"]["Stage"])
    second["Properties"]["StageName"] = "v2"
    second["Properties"]["MethodSettings"] = []
    template["Resources"]["Stage2"] = second
    with pytest.raises(GatewayTemplateError, match="stage_name"):
        LocalRestApi.from_template(template, config(tokens, Recorder(), tokens.clock))
    assert (
        LocalRestApi.from_template(template, config(tokens, Recorder(), tokens.clock, stage_name="v2")).stage_name
        == "v2"
    )
