"""A local API Gateway (REST, v1) that serves a stack's API from its synthesized template.

moto deploys API Gateway resources but does not run AWS_PROXY integrations, authorizers,
validators, throttling or gateway responses. This package does, reading everything from the
template (``template`` reads it into a ``definition``): nothing about the kit's routes is
hard-coded.

The package, one module per job: ``template`` and ``definition`` (what is served, refused at
start when it cannot be emulated), ``request`` (the parsed request, routing, the request
validator), ``api`` (``LocalRestApi``: the steps below, in API Gateway's order), ``waf_rate``
(the web ACL's rate rules), ``authorizer`` (the Cognito authorizer), ``integration`` (the
AWS_PROXY event and result, the MOCK preflight), ``responses`` (gateway responses,
``$context``, the access log) and ``server`` (HTTP on loopback).

    from localmode.gateway import GatewayConfig, LocalRestApi
    api = LocalRestApi.from_template(template, GatewayConfig(region=..., user_pool_id=...,
        client_ids={...}, jwks=..., issuer=..., invoke=run_function))
    response = api.handle("GET", "/notes", {"Authorization": id_token}, None)
    server = api.serve()                # http://127.0.0.1:<port>/<stage>/... on loopback only
    server.url                          # "http://127.0.0.1:<port>/<stage>/", like RestApi.url
    server.shutdown()

``handle`` takes the path *within the stage* ("/notes/abc", as ``event["path"]``); the HTTP
server takes the full path ("/<stage>/notes/abc") as the deployed API does, and answers 403
``{"message": "Forbidden"}`` outside the stage.

Before anything else, the HTTP server refuses a request line plus headers over 10,240 bytes
(API Gateway's limit) with 413 ``{"message": "Request Too Long"}``, and answers a request too
malformed to parse with a JSON 400; any method name reaches the API (an undeclared one gets the
API's 403, as on AWS, never an HTML 501); no response carries a ``Server`` banner. Every
rejection below is logged on ``localmode.gateway`` at INFO with its reason (the validation
error, the authorizer's reason), as API Gateway's execution log would say it.

What a request goes through, in API Gateway's order (each rejection is the API's own gateway
response, rendered from the template's ResponseTemplates/ResponseParameters):

1. WAF, only when the template associates a web ACL with the stage: if the ACL runs the AWS
   managed common rule set with SizeRestrictions_BODY blocking, a body over 8 KB -> 403
   WAF_FILTERED (the WAF sees requests first, so this includes bodies over 10 MB). The ACL's
   per-IP rate rules are emulated too (``waf_rate``: exact counts per client address; the
   address is the socket's, or ``GatewayConfig.trusted_client_ip_header``'s in local mode). No
   other WAF rule is emulated: the IP reputation list, known-bad-inputs and the other
   common-rule-set rules (XSS, LFI, missing User-Agent...) let requests through.
2. Size: bodies over 10 MB, API Gateway's hard limit -> 413 REQUEST_TOO_LARGE.
3. Throttling, account level: one bucket of 10,000 rps, burst 5,000 (AWS's default quota).
4. Routing over the AWS::ApiGateway::Resource tree (literal segments before ``{param}`` before
   ``{proxy+}``; one trailing slash ignored; paths and methods are case-sensitive). An unknown
   path, or a method the resource does not declare (``ANY`` matches every method) -> 403
   MISSING_AUTHENTICATION_TOKEN, as AWS answers.
   Then throttling, method level: one token bucket per method with the stage's default method
   throttling (MethodSettings "/*" "*") or the method's own override (AWS applies stage limits
   per method, not to the stage as a whole) -> 429 THROTTLED. Tokens refill with
   ``GatewayConfig.now``; requests the authorizer rejects later have used their token (AWS
   counts every request submission; limits on a stage or method apply without invoking an
   authorizer: docs/local-mode.md cites the sources).
5. The Cognito authorizer (``authorizer``): missing, malformed, forged, expired or
   wrong-type token -> 401 UNAUTHORIZED ("The incoming token has expired" for an expired one;
   EXPIRED_TOKEN is AWS's type for expired SigV4 credentials, not Cognito tokens). The claims
   go to ``requestContext.authorizer.claims`` flattened to strings.
6. The request validator: required parameters (query string, headers; "not blank") -> 400
   BAD_REQUEST_PARAMETERS "Missing required request parameters: [a, b]"; then the body against
   the model for the request's Content-Type (media type only; application/json when absent;
   ``$default`` model as fallback) -> 400 BAD_REQUEST_BODY for malformed JSON, an empty body or
   a schema violation (draft-04, fastjsonschema). A Content-Type with no model is not validated,
   as in AWS: the handlers validate bodies again (``kit_common.request_body``).
7. The integration: AWS_PROXY calls ``GatewayConfig.invoke(function logical id, event)`` with a
   REST v1 proxy event; MOCK (the CORS preflight) answers its integration response, including
   CDK's multi-origin ``Access-Control-Allow-Origin`` override.
8. The proxy result (statusCode, headers, multiValueHeaders, body, isBase64Encoded; other keys,
   a non-string body or a bad status make it malformed): an exception from ``invoke`` or a
   malformed result -> 502 with the DEFAULT_5XX gateway response; ``TimeoutError`` from
   ``invoke`` -> 504 INTEGRATION_TIMEOUT (the invoker owns the 29 s integration timeout).
   Reserved headers a function sets (Authorization, Connection, Content-Length, Date, Server,
   WWW-Authenticate, x-amzn-RequestId) come back as ``x-amzn-Remapped-<name>``; a missing
   Content-Type becomes application/json; a base64 body is decoded only when the API's
   BinaryMediaTypes match the request's Accept header.

Every response carries ``x-amzn-RequestId`` (the event's ``requestContext.requestId``) and
``x-amz-apigw-id``; gateway responses also carry ``x-amzn-ErrorType``. Gateway responses fall
back as in AWS: the specific type's response, else DEFAULT_4XX/DEFAULT_5XX, else AWS's default
``{"message": ...}``. One access log line per request (the stage's AccessLogSetting format,
"-" for absent values) goes to the ``localmode.gateway.access`` logger at INFO.

Event details: ``path`` and ``pathParameters`` stay percent-encoded (as REST APIs deliver
them); query parameters are decoded; ``headers``/``queryStringParameters`` keep the last value,
the ``multiValue`` forms keep all; X-Forwarded-For/-Port/-Proto and X-Amzn-Trace-Id are added;
``requestContext.accountId`` is moto's default account (123456789012); ``apiId``/``resourceId``
are stable ids derived from the logical ids (not moto's ids).

Where AWS documents no exact behaviour, the choice made here (the kit's handlers cope with
either way): an access token lacking the method's scopes is 401 (some reports say 403); an
empty body against a model is 400; list claims such as ``cognito:groups`` are joined with
commas; query values are decoded with ``+`` as a space.

Not emulated (``from_template`` refuses templates that need them, listing every problem):
AWS_IAM, Lambda (CUSTOM) authorizers, API keys and usage plans, resource policies, OpenAPI
bodies, integrations other than AWS_PROXY and MOCK, VTL beyond ``$context``/``$stageVariables``
substitution and CDK's CORS template. Ignored because they change no outcome here: caching,
canary settings, logging/tracing settings, custom domains, mTLS.
"""

from __future__ import annotations

from ..emulator import ACCOUNT_ID
from .api import LOOPBACK_HOSTS, GatewayConfig, LocalRestApi, RouteInfo
from .definition import GatewayTemplateError
from .responses import GatewayResponse
from .server import API_GATEWAY_MAX_HEADER_BYTES, LocalGatewayServer

__all__ = [
    "ACCOUNT_ID",
    "API_GATEWAY_MAX_HEADER_BYTES",
    "LOOPBACK_HOSTS",
    "GatewayConfig",
    "GatewayResponse",
    "GatewayTemplateError",
    "LocalGatewayServer",
    "LocalRestApi",
    "RouteInfo",
]
