"""One contract across the stack/handler boundary (issue 8, item 5; issue 11, finding 2).

The reference stack and its handlers both read lambdas/common/python/kit_common/contract.json;
these tests prove the synthesized stack and the started handlers agree on every value that
crosses: routes, origins, the schema draft, the admin group, the body limit.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import Any

import fastjsonschema
import pytest
from handler_loading import LAMBDAS, function_environments, handler_routes, started_handler
from largest_bodies import LARGEST_BODIES, wire_bytes

from cdk_support import new_app
from reference_support import ACCEPTED_ORIGINS, ReferenceTemplates
from secure_serverless import rest_api, secure_bucket
from secure_serverless._validation import MIN_REASON_LENGTH, ConfigurationError, origin_problem
from secure_serverless.rest_api import JSON_SCHEMA_DRAFT_04
from secure_serverless_checks import origins
from stacks import config as config_module
from stacks.config import load_config
from stacks.contract import CONTRACT, check_origin_pattern


def of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def resource_path(template: dict[str, Any], resource_id: Any) -> str:
    resources = template["Resources"]
    parts: list[str] = []
    while (
        isinstance(resource_id, dict)
        and "Ref" in resource_id
        and resources[resource_id["Ref"]]["Type"] == ("AWS::ApiGateway::Resource")
    ):
        props = resources[resource_id["Ref"]]["Properties"]
        parts.insert(0, props["PathPart"])
        resource_id = props["ParentId"]
    return "/" + "/".join(parts)


def integrated_function(method: dict[str, Any]) -> str:
    """The logical id of the function a Lambda proxy method invokes."""
    uri = method["Properties"]["Integration"]["Uri"]
    (function_id,) = {
        part["Fn::GetAtt"][0] for part in uri["Fn::Join"][1] if isinstance(part, dict) and "Fn::GetAtt" in part
    }
    return str(function_id)


def api_routes(template: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """Function logical id -> (method, path) of every API method (not CORS preflights) that invokes it."""
    routes: dict[str, set[tuple[str, str]]] = {}
    for method in of_type(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        routes.setdefault(integrated_function(method), set()).add(
            (props["HttpMethod"], resource_path(template, props["ResourceId"]))
        )
    return routes


# ---------------------------------------------------------------- routes
def test_every_api_route_has_a_handler_route_and_every_handler_route_an_api_route(
    reference_templates: ReferenceTemplates,
) -> None:
    template = reference_templates.service()
    environments = function_environments(template)
    stack_routes = api_routes(template)
    assert set(stack_routes) == set(environments), "every function is invoked by the API"
    for function_id, environment in environments.items():
        with started_handler(environment) as module:
            served = handler_routes(module)
        assert stack_routes[function_id] == served, (
            f"{function_id}: API only {sorted(stack_routes[function_id] - served)}, "
            f"handler only {sorted(served - stack_routes[function_id])}"
        )


def test_the_route_comparison_notices_a_missing_handler_route(reference_templates: ReferenceTemplates) -> None:
    """The comparison above can fail: a handler that loses a route no longer matches the API."""
    template = reference_templates.service()
    function_id, environment = next(
        (fid, env) for fid, env in function_environments(template).items() if env["POWERTOOLS_SERVICE_NAME"] == "notes"
    )
    with started_handler(environment) as module:
        module.app._dynamic_routes = [r for r in module.app._dynamic_routes if r.method != "DELETE"]
        assert handler_routes(module) != api_routes(template)[function_id]


def test_the_stack_builds_exactly_the_contracts_routes(reference_templates: ReferenceTemplates) -> None:
    template = reference_templates.service()
    environments = function_environments(template)
    built = {
        (environments[fid]["POWERTOOLS_SERVICE_NAME"], method, path)
        for fid, routes in api_routes(template).items()
        for method, path in routes
    }
    assert built == {(r.service, r.method, r.path) for r in CONTRACT.routes}


# ---------------------------------------------------------------- origins
def test_the_handlers_start_with_every_origin_the_stack_accepts(cors_reference_template: dict[str, Any]) -> None:
    """Issue 8: the stack accepted http://127.0.0.1:3000 and every handler then refused to start."""
    environments = function_environments(cors_reference_template)
    assert len(environments) == 3
    for environment in environments.values():
        assert environment["CORS_ALLOWED_ORIGINS"].split(",") == list(ACCEPTED_ORIGINS)
        with started_handler(environment) as module:
            assert module.CORS_ALLOWED_ORIGINS == ACCEPTED_ORIGINS


@pytest.mark.parametrize(
    "origin",
    [
        *ACCEPTED_ORIGINS,
        "http://localhost",
        "http://127.0.0.1",
        "http://app.example.com",
        "http://127.0.0.2:3000",
        "https://app.example.com/path",
        "https://*.example.com",
        "ftp://app.example.com",
        "http://localhost.evil.example",
    ],
)
def test_the_library_and_the_handlers_accept_the_same_origins(origin: str) -> None:
    library_accepts = origin_problem(origin) is None
    handlers_accept = re.fullmatch(CONTRACT.origin_pattern, origin) is not None
    assert library_accepts == handlers_accept


def test_one_origin_rule_everywhere() -> None:
    # One validator: the constructs' name is the checks package's function, not a second copy.
    assert origin_problem is origins.origin_problem
    assert secure_bucket.origin_problem is origins.origin_problem
    assert rest_api.origin_problem is origins.origin_problem
    assert config_module.origin_problem is origins.origin_problem
    # One regex: the Lambda layer's copy (data in contract.json) is that pattern, character for character.
    assert CONTRACT.origin_pattern == origins.ORIGIN_PATTERN


def test_the_stack_refuses_a_contract_whose_origin_pattern_drifted() -> None:
    drifted = dataclasses.replace(CONTRACT, origin_pattern=r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?")
    with pytest.raises(ConfigurationError, match=r"originPattern=.*secure_serverless_checks\.origins\.ORIGIN_PATTERN"):
        check_origin_pattern(drifted)
    check_origin_pattern(CONTRACT)  # the shipped contract passes


@pytest.mark.parametrize("origin", ["https://app.example.com\n", "http://localhost:3000\n"])
def test_a_trailing_newline_is_refused_on_both_sides(origin: str) -> None:
    # The library once matched with ``^...$``, which lets a trailing newline through; the handlers fullmatch.
    assert origin_problem(origin) is not None
    assert re.fullmatch(CONTRACT.origin_pattern, origin) is None


def test_the_reference_app_refuses_an_origin_the_handlers_would_refuse() -> None:
    app = new_app(context={"allowedOrigins": ["http://app.example.com"]})
    with pytest.raises(ConfigurationError, match="allowedOrigins"):
        load_config(app.node)


# ---------------------------------------------------------------- schema draft, reason length, groups
def test_one_json_schema_draft_for_models_handlers_and_schema_files(reference_templates: ReferenceTemplates) -> None:
    assert CONTRACT.json_schema_draft == JSON_SCHEMA_DRAFT_04
    for schema_file in LAMBDAS.glob("*/schemas/*.json"):
        assert CONTRACT.schema(schema_file.parent.parent.name, schema_file.stem)["$schema"] == JSON_SCHEMA_DRAFT_04
    models = of_type(reference_templates.service(), "AWS::ApiGateway::Model")
    assert models and {m["Properties"]["Schema"]["$schema"] for m in models.values()} == {JSON_SCHEMA_DRAFT_04}


@pytest.mark.parametrize(("length", "accepted"), [(MIN_REASON_LENGTH - 1, False), (MIN_REASON_LENGTH, True)])
def test_the_app_and_the_library_agree_on_the_shortest_reason(length: int, accepted: bool) -> None:
    context = {"logRetentionDays": 30, "logRetentionReason": "r" * length}
    app = new_app(context=context)
    if accepted:
        assert load_config(app.node).log_retention_reason == "r" * length
    else:
        with pytest.raises(ConfigurationError, match=f"at least {MIN_REASON_LENGTH} characters"):
            load_config(app.node)


def test_the_admin_group_is_one_name_for_the_user_pool_and_the_profiles_handler(
    reference_templates: ReferenceTemplates,
) -> None:
    template = reference_templates.service()
    groups = {g["Properties"]["GroupName"] for g in of_type(template, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {CONTRACT.admin_group}
    assert re.fullmatch(CONTRACT.group_name_pattern, CONTRACT.admin_group)
    (profiles,) = [e for e in function_environments(template).values() if e["POWERTOOLS_SERVICE_NAME"] == "profiles"]
    with started_handler(profiles) as module:
        assert CONTRACT.admin_group == module.ADMIN_GROUP


# ---------------------------------------------------------------- body limits (issue 11, finding 2)
def web_acl_rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (acl,) = of_type(template, "AWS::WAFv2::WebACL").values()
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def test_the_waf_the_handlers_and_the_contract_share_one_body_limit(reference_templates: ReferenceTemplates) -> None:
    template = reference_templates.service()
    size = web_acl_rules(template)["BodySizeLimit"]["Statement"]["SizeConstraintStatement"]
    assert size["Size"] == CONTRACT.max_body_bytes
    (acl,) = of_type(template, "AWS::WAFv2::WebACL").values()
    inspection = acl["Properties"]["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"]
    assert int(inspection.removeprefix("KB_")) * 1024 >= CONTRACT.max_body_bytes
    (notes,) = [e for e in function_environments(template).values() if e["POWERTOOLS_SERVICE_NAME"] == "notes"]
    with started_handler(notes):
        assert CONTRACT.max_body_bytes == sys.modules["kit_common"].MAX_BODY_BYTES


@pytest.mark.parametrize(("service", "schema_name"), sorted(LARGEST_BODIES))
def test_the_largest_valid_bodies_are_valid_and_within_the_waf_body_limit(
    reference_templates: ReferenceTemplates, service: str, schema_name: str
) -> None:
    size = web_acl_rules(reference_templates.service())["BodySizeLimit"]["Statement"]["SizeConstraintStatement"]
    validate = fastjsonschema.compile(CONTRACT.schema(service, schema_name))
    for body in LARGEST_BODIES[(service, schema_name)]:
        validate(body)
        assert len(wire_bytes(body)) <= size["Size"]
