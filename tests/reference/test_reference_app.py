"""The reference app: the controls no scanner checks, each function's perimeter, the verdicts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from reference_support import ReferenceAssembly, ReferenceTemplates
from secure_serverless._validation import ConfigurationError
from secure_serverless_checks.perimeter import analyze, load_path
from secure_serverless_checks.summary import summarize
from stacks.config import AppConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("Profiles", "Notes", "Files")
SERVICES_WITH_IDEMPOTENCY = ("Notes", "Files")


def of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def logical_id(template: dict[str, Any], cfn_type: str, prefix: str) -> str:
    (found,) = [k for k in of_type(template, cfn_type) if k.startswith(prefix)]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    """Every identity-policy statement that applies to the function's execution role."""
    function = template["Resources"][function_id]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for arn in role.get("ManagedPolicyArns", []):
        statements += template["Resources"][arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    for policy in of_type(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


# ---------------------------------------------------------------- compliance verdicts
def test_reference_app_has_no_open_cdk_nag_findings(reference_assembly: ReferenceAssembly) -> None:
    assert [f"{f.rule} at {f.path}" for f in reference_assembly.report.findings] == []


def stack_relative(stack: str, path: str) -> str:
    """'/SecureServerlessKit-dev-NotesService/Files/Function/Policy' -> 'NotesService/Files/Function/Policy'."""
    return path.removeprefix(f"/{AppConfig().stack_prefix}-")


def acknowledgment_rows(text: str) -> set[tuple[str, str, str]]:
    """The ``| `path` | `rule` | reason |`` rows of a docs table."""
    rows = set()
    for line in text.splitlines():
        match = re.match(r"^\| `([^`]+)` \| `([^`]+)` \| (.+) \|$", line)
        if match:
            rows.add((match[1], match[2], match[3].strip()))
    return rows


def _documented_acknowledgments() -> set[tuple[str, str, str]]:
    return acknowledgment_rows((ROOT / "docs" / "acknowledgments.md").read_text())


def recorded_acknowledgments(outdir: Path) -> set[tuple[str, str, str]]:
    """Every acknowledgment in a cloud assembly as (stack-relative path, rule, reason)."""
    return {
        (stack_relative(stack, path), rule, reason) for stack, path, rule, reason in summarize(outdir).acknowledgments
    }


def test_acknowledgments_equal_the_reviewed_list_in_docs(reference_assembly: ReferenceAssembly) -> None:
    """A new acknowledgment (or a changed reason) must show up in docs/acknowledgments.md."""
    recorded = recorded_acknowledgments(reference_assembly.outdir)
    documented = _documented_acknowledgments()
    assert documented, "docs/acknowledgments.md lists no acknowledgment rows"
    assert recorded - documented == set(), "recorded but not documented"
    assert documented - recorded == set(), "documented but no longer recorded"


# ---------------------------------------------------------------- perimeters
def test_the_perimeter_check_passes_on_the_reference_assembly(reference_assembly: ReferenceAssembly) -> None:
    report = analyze(load_path(reference_assembly.outdir))
    assert [violation.to_line() for violation in report.violations] == []
    assert sorted(function.function.split("Function")[0] for function in report.matrix) == sorted(SERVICES)
    for function in report.matrix:
        assert function.declared
        service = function.function.split("Function")[0]
        reached = {row.resource for row in function.reach}
        assert any(r.startswith(f"{service}Table") for r in reached)
        others = [s for s in SERVICES if s != service]
        assert not any(
            r.startswith(f"{other}Table") or r.startswith(f"{other}Key") for r in reached for other in others
        )


@pytest.mark.parametrize("service", SERVICES)
def test_each_function_reaches_only_its_own_table(reference_templates: ReferenceTemplates, service: str) -> None:
    template = reference_templates.service()
    function_id = logical_id(template, "AWS::Lambda::Function", f"{service}Function")
    own_tables = {logical_id(template, "AWS::DynamoDB::Table", f"{service}Table")}
    if service in SERVICES_WITH_IDEMPOTENCY:  # its Powertools Idempotency records (issue 11, finding 7)
        own_tables.add(logical_id(template, "AWS::DynamoDB::Table", f"{service}IdempotencyTable"))
    other_tables = set(of_type(template, "AWS::DynamoDB::Table")) - own_tables
    dynamodb_statements = [
        s
        for s in role_statements(template, function_id)
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert dynamodb_statements, f"{service} cannot reach its own table"
    reached = set()
    for statement in dynamodb_statements:
        rendered = str(statement["Resource"])
        reached |= {table for table in own_tables if table in rendered}
        assert not any(other in rendered for other in other_tables)
        assert "dynamodb:Scan" not in statement["Action"]
    assert reached == own_tables


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_files_function_reaches_the_bucket_and_only_its_prefix(
    reference_templates: ReferenceTemplates, service: str
) -> None:
    template = reference_templates.service()
    function_id = logical_id(template, "AWS::Lambda::Function", f"{service}Function")
    s3 = [s for s in role_statements(template, function_id) if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    if service != "Files":
        assert s3 == []
        return
    (statement,) = s3
    assert sorted(statement["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert "/files/*" in str(statement["Resource"])


def test_each_service_has_its_own_key_for_table_function_and_queue(reference_templates: ReferenceTemplates) -> None:
    template = reference_templates.service()
    keys = set()
    for service in SERVICES:
        key = logical_id(template, "AWS::KMS::Key", f"{service}Key")
        arn = {"Fn::GetAtt": [key, "Arn"]}
        table = template["Resources"][logical_id(template, "AWS::DynamoDB::Table", f"{service}Table")]
        function = template["Resources"][logical_id(template, "AWS::Lambda::Function", f"{service}Function")]
        assert table["Properties"]["SSESpecification"]["KMSMasterKeyId"] == arn
        assert function["Properties"]["KmsKeyArn"] == arn
        keys.add(key)
    assert len(keys) == 3


def test_roles_are_not_shared(reference_templates: ReferenceTemplates) -> None:
    template = reference_templates.service()
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in of_type(template, "AWS::Lambda::Function").values()]
    assert len(roles) == len(set(roles))


# ---------------------------------------------------------------- controls no scanner checks
def test_tables_have_pitr_deletion_protection_and_retain(reference_templates: ReferenceTemplates) -> None:
    tables = of_type(reference_templates.service(), "AWS::DynamoDB::Table")
    assert len(tables) == len(SERVICES) + len(SERVICES_WITH_IDEMPOTENCY)
    for table in tables.values():
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["Properties"]["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"


def test_stage_logs_errors_without_data_trace_and_throttles(reference_templates: ReferenceTemplates) -> None:
    (stage,) = of_type(reference_templates.service(), "AWS::ApiGateway::Stage").values()
    (settings,) = stage["Properties"]["MethodSettings"]
    assert settings["DataTraceEnabled"] is False
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["ThrottlingRateLimit"] == 50
    assert settings["ThrottlingBurstLimit"] == 500
    assert stage["Properties"]["TracingEnabled"] is True


def test_every_method_but_options_has_the_cognito_authorizer(reference_templates: ReferenceTemplates) -> None:
    methods = of_type(reference_templates.service(), "AWS::ApiGateway::Method")
    routed = [m for m in methods.values() if m["Properties"]["HttpMethod"] != "OPTIONS"]
    assert len(routed) == 11
    for method in routed:
        assert method["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert "AuthorizerId" in method["Properties"]
        assert "RequestValidatorId" in method["Properties"]


def test_gateway_responses_are_generic(reference_templates: ReferenceTemplates) -> None:
    responses = of_type(reference_templates.service(), "AWS::ApiGateway::GatewayResponse")
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= {r["Properties"]["ResponseType"] for r in responses.values()}
    for response in responses.values():
        body = str(response["Properties"].get("ResponseTemplates", {}))
        assert "validationErrorString" not in body
        assert "$context.error.message" not in body or "DEFAULT" not in body


def test_token_lifetimes_are_short_and_revocable(reference_templates: ReferenceTemplates) -> None:
    (client,) = of_type(reference_templates.service(), "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["EnableTokenRevocation"] is True
    assert props["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert props["AccessTokenValidity"] == 60 and props["IdTokenValidity"] == 60


def test_functions_get_their_configuration(reference_templates: ReferenceTemplates) -> None:
    template = reference_templates.service()
    files = template["Resources"][logical_id(template, "AWS::Lambda::Function", "FilesFunction")]
    variables = files["Properties"]["Environment"]["Variables"]
    assert variables["OBJECT_PREFIX"] == "files/"
    assert "BUCKET_NAME" in variables and "TABLE_NAME" in variables
    for function in of_type(template, "AWS::Lambda::Function").values():
        assert function["Properties"]["Handler"] == "app.handler"
        assert len(function["Properties"]["Layers"]) == 2  # Powertools + the shared handler code


def test_account_logging_stack_is_separate_and_first(reference_templates: ReferenceTemplates) -> None:
    names = list(reference_templates.templates)
    assert names[0].endswith("-ApiGatewayAccount")
    (account,) = of_type(reference_templates.templates[names[0]], "AWS::ApiGateway::Account").values()
    assert "CloudWatchRoleArn" in account["Properties"]


# ---------------------------------------------------------------- app settings
def _config(context: dict[str, Any]) -> AppConfig:
    return load_config(cdk.App(context=context).node)


def test_context_defaults_are_the_secure_ones() -> None:
    config = _config({})
    assert config == AppConfig()
    assert config.feature_plan == "PLUS" and config.log_retention_days == 365 and config.allowed_origins == ()


def test_context_values_from_the_command_line_are_parsed() -> None:
    config = _config(
        {"stage": "prod", "allowedOrigins": '["https://app.example.com"]', "throttleRateLimit": "20",
         "manageApiGatewayAccount": "false"}
    )  # fmt: skip
    assert config.stage == "prod"
    assert config.allowed_origins == ("https://app.example.com",)
    assert config.throttle_rate_limit == 20
    assert config.manage_api_gateway_account is False


def test_bad_context_values_are_all_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        _config(
            {"stage": "Prod!", "allowedOrigins": '["*"]', "throttleRateLimit": 0, "alarmEmail": "nope",
             "featurePlan": "LITE", "manageApiGatewayAccount": "yes"}
        )  # fmt: skip
    message = str(error.value)
    assert "6 problem(s)" in message
    for key in ("stage", "allowedOrigins", "throttleRateLimit", "alarmEmail", "featurePlan", "manageApiGatewayAccount"):
        assert f"context {key}=" in message
