"""Read a REST API (v1) out of a synthesized CloudFormation template, for the local gateway.

Everything the local gateway enforces comes from here, never from hard-coded routes: the resource
tree, each method's authorization, validator, models and integration, the stage's throttling and
variables, the API's gateway responses and the WAF web ACL associated with the stage.

What the gateway cannot emulate is refused here, listed in one ``GatewayTemplateError``: a local
gateway that silently skipped a control would be more permissive than the deployed API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import fastjsonschema

from secure_serverless_checks.cfn_intrinsics import IntrinsicError, get_att_target, intrinsic, referenced_logical_id

from .definition import (
    ACCOUNT_THROTTLE,
    WAF_BODY_SIZE_LIMIT_BYTES,
    WAF_BODY_SIZE_RULE,
    WAF_COMMON_RULE_SET,
    ApiDefinition,
    CognitoAuthorizer,
    GatewayResponseSpec,
    GatewayTemplateError,
    MockIntegration,
    Model,
    ResourceNode,
    Route,
    StageSpec,
    Throttle,
)
from .waf_rate import rate_rules

_SUPPORTED_AUTHORIZATION = frozenset({"NONE", "COGNITO_USER_POOLS"})
_HEADER_SOURCE = re.compile(r"^method\.request\.header\.(?P<name>[A-Za-z0-9!#$%&'*+.^_`|~-]+)$")
_PARAMETER = re.compile(
    r"^method\.request\.(?P<where>path|querystring|multivaluequerystring|header|multivalueheader)\.(?P<name>.+)$"
)
_SEGMENT_PARAMETER = re.compile(r"^\{(?P<name>[^{}+]+)(?P<greedy>\+)?\}$")
_SUB_ARN = re.compile(r"\$\{(?P<id>[A-Za-z0-9]+)\.Arn\}")
#: The built-in models every REST API has (referenced by name in RequestModels).
_BUILTIN_MODELS: dict[str, dict[str, Any]] = {
    "Empty": {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Empty Schema", "type": "object"},
    "Error": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "Error Schema",
        "type": "object",
        "properties": {"message": {"type": "string"}},
    },
}


# ---------------------------------------------------------------------------- intrinsics
def _ref(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names, else None."""
    return referenced_logical_id(value)


def _is_root_of(value: Any, api_id: str) -> bool:
    call = intrinsic(value)
    if call is None or call[0] != "Fn::GetAtt":
        return False
    try:
        return get_att_target(call[1]) == (api_id, "RootResourceId")
    except IntrinsicError:
        return False


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _function_of(uri: Any, resources: Mapping[str, Any]) -> str | None:
    """The Lambda function logical id an AWS_PROXY integration URI names."""
    candidates: list[str] = []
    for node in _walk(uri):
        call = intrinsic(node)
        if call is not None and call[0] == "Fn::GetAtt":
            try:
                logical_id, attribute = get_att_target(call[1])
            except IntrinsicError:
                continue
            if attribute == "Arn":
                candidates.append(logical_id)
        elif isinstance(node, str):
            candidates.extend(m["id"] for m in _SUB_ARN.finditer(node))
    functions = [c for c in candidates if resources.get(c, {}).get("Type") == "AWS::Lambda::Function"]
    return functions[0] if len(set(functions)) == 1 else None


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _quoted(value: Any) -> str | None:
    """A mapping value in single quotes ('...') as a literal string, else None."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == "'" and value[-1] == "'":
        return value[1:-1]
    return None


# ---------------------------------------------------------------------------- parsing
class _Parser:
    def __init__(self, template: Mapping[str, Any], stage_name: str | None) -> None:
        resources = template.get("Resources")
        if not isinstance(resources, Mapping):
            raise GatewayTemplateError(["the template has no Resources"])
        self.resources: Mapping[str, Any] = resources
        self.wanted_stage = stage_name
        self.problems: list[str] = []

    def of_type(self, cfn_type: str) -> dict[str, Mapping[str, Any]]:
        return {
            logical_id: resource.get("Properties") or {}
            for logical_id, resource in self.resources.items()
            if isinstance(resource, Mapping) and resource.get("Type") == cfn_type
        }

    def of_api(self, cfn_type: str, api_id: str) -> dict[str, Mapping[str, Any]]:
        return {k: v for k, v in self.of_type(cfn_type).items() if _ref(v.get("RestApiId")) == api_id}

    # -- stage
    def stage(self) -> tuple[str, StageSpec]:
        stages = self.of_type("AWS::ApiGateway::Stage")
        candidates: list[tuple[str, str, Mapping[str, Any], str]] = []  # (logical id, name, props, api)
        for logical_id, props in stages.items():
            name = _literal(props.get("StageName"))
            api = _ref(props.get("RestApiId"))
            if name and api:
                candidates.append((logical_id, name, props, api))
        for logical_id, props in self.of_type("AWS::ApiGateway::Deployment").items():
            name = _literal(props.get("StageName"))
            api = _ref(props.get("RestApiId"))
            if name and api:
                candidates.append((logical_id, name, props.get("StageDescription") or {}, api))
        if self.wanted_stage is not None:
            candidates = [c for c in candidates if c[1] == self.wanted_stage]
        if len(candidates) != 1:
            found = sorted(c[1] for c in candidates) if candidates else "none"
            wanted = f"stage {self.wanted_stage!r}" if self.wanted_stage else "exactly one AWS::ApiGateway::Stage"
            raise GatewayTemplateError(
                [f"expected {wanted} with a literal StageName and RestApiId, found {found}; pass stage_name=..."]
            )
        logical_id, name, props, api = candidates[0]
        default: Throttle | None = None
        overrides: dict[tuple[str, str], Throttle] = {}
        settings = props.get("MethodSettings") or []
        top_rate, top_burst = props.get("ThrottlingRateLimit"), props.get("ThrottlingBurstLimit")
        if top_rate is not None or top_burst is not None:  # Deployment StageDescription form
            default = self.throttle(top_rate, top_burst, None)
        for setting in settings:
            # "/" then the JSON-pointer-escaped resource path: "/~1notes~1{noteId}" is /notes/{noteId}.
            raw_path = str(setting.get("ResourcePath", "/*"))
            path = "/*" if raw_path == "/*" else raw_path[1:].replace("~1", "/").replace("~0", "~")
            method = str(setting.get("HttpMethod", "*")).upper()
            rate, burst = setting.get("ThrottlingRateLimit"), setting.get("ThrottlingBurstLimit")
            if rate is None and burst is None:
                continue
            if path == "/*" and method == "*":
                default = self.throttle(rate, burst, default)
            elif path == "/*" or method == "*":
                self.problems.append(
                    f"stage {name}: method setting {setting.get('ResourcePath')}/{setting.get('HttpMethod')} "
                    "mixes a wildcard with a specific resource or method; not emulated"
                )
            else:
                overrides[(path, method)] = self.throttle(rate, burst, default)
        variables = props.get("Variables")
        if variables is not None and not (
            isinstance(variables, Mapping) and all(isinstance(v, str) for v in variables.values())
        ):
            self.problems.append(f"stage {name}: Variables must be literal strings to be emulated")
            variables = None
        access_log = (props.get("AccessLogSetting") or {}).get("Format")
        return api, StageSpec(
            logical_id,
            name,
            dict(variables) if variables else None,
            default,
            overrides,
            access_log if isinstance(access_log, str) else None,
        )

    def throttle(self, rate: Any, burst: Any, fallback: Throttle | None) -> Throttle:
        base = fallback or ACCOUNT_THROTTLE
        try:
            return Throttle(
                rate=float(rate) if rate is not None else base.rate,
                burst=int(burst) if burst is not None else base.burst,
            )
        except (TypeError, ValueError):
            self.problems.append(f"throttling limits must be literal numbers, got rate={rate!r} burst={burst!r}")
            return base

    # -- resources and methods
    def tree(self, api_id: str) -> tuple[ResourceNode, dict[str, ResourceNode]]:
        root = ResourceNode(resource_id=api_id, path="/")
        props_of = self.of_api("AWS::ApiGateway::Resource", api_id)
        nodes: dict[str, ResourceNode] = {}

        def build(logical_id: str, seen: tuple[str, ...]) -> ResourceNode | None:
            if logical_id in nodes:
                return nodes[logical_id]
            if logical_id in seen:
                self.problems.append(f"resource {logical_id}: its ParentId chain loops")
                return None
            props = props_of[logical_id]
            part = props.get("PathPart")
            parent_value = props.get("ParentId")
            if _is_root_of(parent_value, api_id):
                parent: ResourceNode | None = root
            else:
                parent_id = _ref(parent_value)
                if parent_id not in props_of:
                    self.problems.append(
                        f"resource {logical_id}: ParentId {parent_value!r} is not a resource of the API"
                    )
                    return None
                parent = build(parent_id, (*seen, logical_id))
            if parent is None:
                return None
            if not isinstance(part, str) or not part or "/" in part:
                self.problems.append(f"resource {logical_id}: PathPart {part!r} must be one literal path segment")
                return None
            node = ResourceNode(resource_id=logical_id, path=("" if parent.path == "/" else parent.path) + "/" + part)
            match = _SEGMENT_PARAMETER.match(part)
            if match and match["greedy"]:
                if parent.greedy is not None:
                    self.problems.append(f"resource {node.path}: two greedy siblings")
                parent.greedy = (match["name"], node)
            elif match:
                if parent.parameter is not None and parent.parameter[0] != match["name"]:
                    self.problems.append(f"resource {node.path}: two path-parameter siblings under {parent.path}")
                parent.parameter = (match["name"], node)
            else:
                parent.literal[part] = node
            nodes[logical_id] = node
            return node

        for logical_id in props_of:
            build(logical_id, ())
        return root, nodes

    def authorizers(self, api_id: str) -> dict[str, CognitoAuthorizer | str]:
        found: dict[str, CognitoAuthorizer | str] = {}
        for logical_id, props in self.of_api("AWS::ApiGateway::Authorizer", api_id).items():
            kind = props.get("Type")
            if kind != "COGNITO_USER_POOLS":
                found[logical_id] = f"authorizer {logical_id} of type {kind} (only COGNITO_USER_POOLS is emulated)"
                continue
            source = props.get("IdentitySource")
            match = _HEADER_SOURCE.match(source) if isinstance(source, str) else None
            if not match:
                found[logical_id] = f"authorizer {logical_id}: IdentitySource {source!r} is not one request header"
                continue
            expression = props.get("IdentityValidationExpression")
            found[logical_id] = CognitoAuthorizer(
                logical_id=logical_id,
                name=str(props.get("Name", logical_id)),
                header=match["name"],
                validation_expression=expression if isinstance(expression, str) else None,
            )
        return found

    def models(self, api_id: str) -> tuple[dict[str, Model], dict[str, Model]]:
        """Models by logical id and by name (built-in ones included by name)."""
        by_id: dict[str, Model] = {}
        by_name: dict[str, Model] = {}
        for name, builtin in _BUILTIN_MODELS.items():
            by_name[name] = Model(name, builtin, fastjsonschema.compile(builtin))
        for logical_id, props in self.of_api("AWS::ApiGateway::Model", api_id).items():
            schema = props.get("Schema")
            name = _literal(props.get("Name")) or logical_id
            if not isinstance(schema, Mapping):
                self.problems.append(f"model {logical_id}: Schema must be a literal JSON-schema object")
                continue
            try:
                validate = fastjsonschema.compile(dict(schema))
            except (fastjsonschema.JsonSchemaDefinitionException, ValueError, TypeError) as error:
                self.problems.append(f"model {logical_id}: schema does not compile ({error})")
                continue
            model = Model(name, schema, validate)
            by_id[logical_id] = model
            by_name[name] = model
        return by_id, by_name

    def validators(self, api_id: str) -> dict[str, tuple[bool, bool]]:
        return {
            logical_id: (bool(props.get("ValidateRequestBody")), bool(props.get("ValidateRequestParameters")))
            for logical_id, props in self.of_api("AWS::ApiGateway::RequestValidator", api_id).items()
        }

    def mock(self, where: str, integration: Mapping[str, Any]) -> MockIntegration | None:
        responses = integration.get("IntegrationResponses") or []
        default = [r for r in responses if not r.get("SelectionPattern")]
        if len(default) != 1:
            self.problems.append(f"{where}: a MOCK integration needs exactly one default integration response")
            return None
        response = default[0]
        try:
            status = int(response.get("StatusCode", 200))
        except (TypeError, ValueError):
            self.problems.append(f"{where}: integration response StatusCode {response.get('StatusCode')!r}")
            return None
        headers: dict[str, str] = {}
        for key, value in (response.get("ResponseParameters") or {}).items():
            literal = _quoted(value)
            if not key.startswith("method.response.header.") or literal is None:
                self.problems.append(f"{where}: response parameter {key}={value!r} is not a literal header")
                continue
            headers[key.removeprefix("method.response.header.")] = literal
        origins: tuple[str, ...] = ()
        override: str | None = None
        body = ""
        templates = response.get("ResponseTemplates") or {}
        for content_type, text in templates.items():
            if not isinstance(text, str) or not text.strip():
                continue
            parsed = _cors_origin_template(text)
            if parsed is not None:
                override, origins = parsed
            elif "#" in text or "$" in text:
                self.problems.append(
                    f"{where}: the {content_type} response template uses VTL the local gateway does not emulate"
                )
            else:
                body = text
        return MockIntegration(status, headers, origins, override, body)

    def routes(
        self, api_id: str, nodes: Mapping[str, ResourceNode], root: ResourceNode
    ) -> tuple[tuple[Route, ...], bool]:
        authorizers = self.authorizers(api_id)
        models_by_id, models_by_name = self.models(api_id)
        validators = self.validators(api_id)
        routes: list[Route] = []
        for logical_id, props in self.of_api("AWS::ApiGateway::Method", api_id).items():
            resource_value = props.get("ResourceId")
            if _is_root_of(resource_value, api_id):
                node: ResourceNode | None = root
            else:
                node = nodes.get(_ref(resource_value) or "")
            if node is None:
                self.problems.append(f"method {logical_id}: ResourceId {resource_value!r} is not a resource of the API")
                continue
            verb = str(props.get("HttpMethod", "")).upper()
            where = f"method {verb} {node.path} ({logical_id})"
            auth_type = str(props.get("AuthorizationType") or "NONE")
            authorizer: CognitoAuthorizer | None = None
            if auth_type not in _SUPPORTED_AUTHORIZATION:
                self.problems.append(f"{where}: AuthorizationType {auth_type} is not emulated")
            elif auth_type == "COGNITO_USER_POOLS":
                found = authorizers.get(_ref(props.get("AuthorizerId")) or "")
                if isinstance(found, CognitoAuthorizer):
                    authorizer = found
                else:
                    self.problems.append(f"{where}: {found or 'AuthorizerId names no authorizer of the API'}")
            if props.get("ApiKeyRequired"):
                self.problems.append(f"{where}: API keys (ApiKeyRequired) are not emulated")
            scopes = props.get("AuthorizationScopes") or []
            if not all(isinstance(s, str) for s in scopes):
                self.problems.append(f"{where}: AuthorizationScopes must be literal strings")
                scopes = []
            validate_body = validate_parameters = False
            validator_value = props.get("RequestValidatorId")
            if validator_value is not None:
                validator = validators.get(_ref(validator_value) or "")
                if validator is None:
                    self.problems.append(f"{where}: RequestValidatorId names no validator of the API")
                else:
                    validate_body, validate_parameters = validator
            models: dict[str, Model] = {}
            for content_type, model_value in (props.get("RequestModels") or {}).items():
                model_ref = _ref(model_value)
                model = models_by_id.get(model_ref) if model_ref else models_by_name.get(str(model_value))
                if model is None:
                    self.problems.append(f"{where}: request model {model_value!r} is not a model of the API")
                else:
                    models[content_type.lower()] = model
            parameters: dict[str, bool] = {}
            for name, required in (props.get("RequestParameters") or {}).items():
                if not _PARAMETER.match(name):
                    self.problems.append(f"{where}: request parameter {name!r} is not emulated")
                else:
                    parameters[name] = bool(required)
            integration = props.get("Integration") or {}
            kind = integration.get("Type")
            function_id: str | None = None
            mock: MockIntegration | None = None
            if kind == "AWS_PROXY":
                function_id = _function_of(integration.get("Uri"), self.resources)
                if function_id is None:
                    self.problems.append(
                        f"{where}: the AWS_PROXY integration Uri names no AWS::Lambda::Function of the template"
                    )
            elif kind == "MOCK":
                mock = self.mock(where, integration)
            else:
                self.problems.append(f"{where}: integration type {kind!r} is not emulated (AWS_PROXY and MOCK are)")
            if verb in node.methods:
                self.problems.append(f"{where}: declared twice")
            route = Route(
                method_id=logical_id,
                resource_id=node.resource_id,
                resource_path=node.path,
                http_method=verb,
                authorization_type=auth_type,
                authorizer=authorizer,
                scopes=tuple(scopes),
                validate_body=validate_body,
                validate_parameters=validate_parameters,
                models=models,
                request_parameters=parameters,
                function_id=function_id,
                mock=mock,
            )
            node.methods[verb] = route
            routes.append(route)
        routes.sort(key=lambda r: (r.resource_path, r.http_method))
        return tuple(routes), bool(routes)

    def gateway_responses(self, api_id: str) -> dict[str, GatewayResponseSpec]:
        found: dict[str, GatewayResponseSpec] = {}
        for logical_id, props in self.of_api("AWS::ApiGateway::GatewayResponse", api_id).items():
            kind = str(props.get("ResponseType", ""))
            status: int | None = None
            if props.get("StatusCode") is not None:
                try:
                    status = int(props["StatusCode"])
                except (TypeError, ValueError):
                    self.problems.append(f"gateway response {logical_id}: StatusCode {props['StatusCode']!r}")
            templates = {k.lower(): v for k, v in (props.get("ResponseTemplates") or {}).items() if isinstance(v, str)}
            for content_type, text in templates.items():
                if re.search(r"(?m)^\s*#(set|if|foreach|macro|parse|include|evaluate|define)\b", text):
                    self.problems.append(
                        f"gateway response {kind}: the {content_type} template uses VTL directives (not emulated)"
                    )
            parameters: dict[str, str] = {}
            for key, value in (props.get("ResponseParameters") or {}).items():
                if not key.startswith("gatewayresponse.header.") or not isinstance(value, str):
                    self.problems.append(f"gateway response {kind}: parameter {key}={value!r} is not emulated")
                    continue
                parameters[key.removeprefix("gatewayresponse.header.")] = value
            found[kind] = GatewayResponseSpec(kind, status, templates, parameters)
        return found

    def web_acl(self, api_id: str, stage: StageSpec) -> tuple[int | None, str | None]:
        """The body-size limit of the web ACL associated with the stage, and the ACL's id."""
        for logical_id, props in self.of_type("AWS::WAFv2::WebACLAssociation").items():
            arn = props.get("ResourceArn")
            names_stage = any(
                (isinstance(node, Mapping) and node.get("Ref") == stage.logical_id)
                or (isinstance(node, str) and node.endswith(f"/stages/{stage.name}"))
                for node in _walk(arn)
            )
            names_api = any(isinstance(node, Mapping) and _ref(node) == api_id for node in _walk(arn))
            if not (names_stage and names_api):
                continue
            acl_id = _ref(props.get("WebACLArn"))
            acl = self.of_type("AWS::WAFv2::WebACL").get(acl_id or "")
            if acl is None:
                self.problems.append(
                    f"web ACL association {logical_id}: the web ACL is not in the template, its rules cannot be emulated"
                )
                return None, None
            return _body_size_limit(acl), acl_id
        return None, None

    def parse(self) -> ApiDefinition:
        api_id, stage = self.stage()
        api = self.of_type("AWS::ApiGateway::RestApi").get(api_id)
        if api is None:
            raise GatewayTemplateError([f"stage {stage.name}: RestApiId {api_id} is not an AWS::ApiGateway::RestApi"])
        for unsupported in ("Body", "BodyS3Location"):
            if api.get(unsupported) is not None:
                self.problems.append(f"rest API {api_id}: an OpenAPI definition ({unsupported}) is not emulated")
        if api.get("Policy") is not None:
            self.problems.append(f"rest API {api_id}: a resource policy (Policy) is not emulated")
        binary = api.get("BinaryMediaTypes") or []
        root, nodes = self.tree(api_id)
        routes, _ = self.routes(api_id, nodes, root)
        if not routes:
            self.problems.append(f"rest API {api_id} has no methods")
        responses = self.gateway_responses(api_id)
        waf_limit, acl_id = self.web_acl(api_id, stage)
        if self.problems:
            raise GatewayTemplateError(self.problems)
        return ApiDefinition(
            rest_api_id=api_id,
            name=str(api.get("Name", api_id)),
            root=root,
            routes=routes,
            stage=stage,
            gateway_responses=responses,
            binary_media_types=tuple(str(b).replace("~1", "/").lower() for b in binary),
            waf_body_limit=waf_limit,
            web_acl_id=acl_id,
            waf_rate_rules=rate_rules(self.of_type("AWS::WAFv2::WebACL").get(acl_id or "", {})),
        )


def _cors_origin_template(text: str) -> tuple[str, tuple[str, ...]] | None:
    """CDK's multi-origin preflight template: (overridden header, the extra allowed origins)."""
    override = re.search(r"#set\(\$context\.responseOverride\.header\.([A-Za-z0-9-]+)\s*=\s*\$origin\)", text)
    if override is None or "$input.params().header.get(" not in text:
        return None
    remainder = re.sub(r"#set\(\$origin = \$input\.params\(\)\.header\.get\(\"[Oo]rigin\"\)\)", "", text)
    remainder = re.sub(r"#if\(\$origin == \"\"\)|#end|#set\(\$context\.responseOverride[^\n]*\)", "", remainder)
    origins = re.findall(r"\$origin == \"([^\"]+)\"", remainder)
    leftover = re.sub(r"#if\(\s*\$origin == \"[^\"]+\"(\s*\|\|\s*\$origin == \"[^\"]+\")*\s*\)", "", remainder)
    if leftover.strip():
        return None
    return override.group(1), tuple(origins)


def _body_size_limit(acl: Mapping[str, Any]) -> int | None:
    """The smallest body size the web ACL blocks above: the common rule set's 8 KB rule, or a
    blocking size-constraint rule on the whole body (what ``SecureRestApi(max_body_bytes=...)`` adds)."""
    limits = [WAF_BODY_SIZE_LIMIT_BYTES] if _blocks_large_bodies(acl) else []
    for rule in acl.get("Rules") or []:
        size = (rule.get("Statement") or {}).get("SizeConstraintStatement") or {}
        if (
            "Block" in (rule.get("Action") or {})
            and "Body" in (size.get("FieldToMatch") or {})
            and size.get("ComparisonOperator") == "GT"
            and isinstance(size.get("Size"), int)
        ):
            limits.append(size["Size"])
    return min(limits, default=None)


def _blocks_large_bodies(acl: Mapping[str, Any]) -> bool:
    """Whether the web ACL runs the AWS common rule set with SizeRestrictions_BODY blocking."""
    for rule in acl.get("Rules") or []:
        statement = (rule.get("Statement") or {}).get("ManagedRuleGroupStatement") or {}
        if statement.get("VendorName") != "AWS" or statement.get("Name") != WAF_COMMON_RULE_SET:
            continue
        if "Count" in (rule.get("OverrideAction") or {}):
            continue
        excluded = {r.get("Name") for r in statement.get("ExcludedRules") or []}
        if WAF_BODY_SIZE_RULE in excluded:
            continue
        overridden = [o for o in statement.get("RuleActionOverrides") or [] if o.get("Name") == WAF_BODY_SIZE_RULE]
        if overridden and "Block" not in (overridden[0].get("ActionToUse") or {}):
            continue
        return True
    return False


def parse_template(template: Mapping[str, Any], stage_name: str | None = None) -> ApiDefinition:
    """The REST API served by ``stage_name`` (default: the template's only stage)."""
    return _Parser(template, stage_name).parse()
