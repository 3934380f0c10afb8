"""End-to-end: the reference stack on loopback, used and attacked as in ``make local``.

One test per scenario of ``localmode.scenarios`` (the demo's own code), plus the properties
local mode must keep: it fails closed on unknown resource types, it refuses to start when the
emulator would not enforce a table-scoped policy, it stays on loopback, each function runs with
its own role's credentials, and breaking a control (a function's policy widened to another
table) makes the demo fail.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from localmode import LocalEnvironment, start_local
from localmode.deploy import (
    CLOUDFORMATION,
    HANDLING,
    LOCAL_GATEWAY,
    SERVICE_API,
    UnsupportedResourceError,
    load_assembly,
)
from localmode.emulator import LOOPBACK, Emulator, EmulatorError, SelfTestFailed, self_test
from localmode.iam_patch import dynamodb_resource_arns
from localmode.scenarios import Demo, run_all, run_scenario, scenario_keys

pytestmark = pytest.mark.slow  # synthesizes app.py once and deploys it once per session (about 15 s)

ROOT = Path(__file__).resolve().parents[2]
PERIMETER = "SecureServerless::Perimeter"


# --------------------------------------------------------------------------- the scenarios


@pytest.mark.parametrize("key", scenario_keys())
def test_scenario_behaves_as_expected(local_demo: Demo, key: str) -> None:
    result = run_scenario(local_demo, key)
    assert result.ok, result.failures()


def test_demo_prints_every_step_and_the_summary_line(local_env: LocalEnvironment) -> None:
    lines: list[str] = []
    results = run_all(local_env, keys=("no-token", "stale-update"), out=lines.append)
    text = "\n".join(lines)
    assert all(result.ok for result in results)
    assert "sent:" in text and "received:" in text and "control:" in text
    assert "API Gateway Cognito authorizer" in text
    assert lines[-1] == "2/2 scenarios behaved as expected"


# --------------------------------------------------------------------------- the deployment


def test_every_resource_is_deployed_or_emulated(local_env: LocalEnvironment) -> None:
    for stack in local_env.stacks.values():
        for logical_id, resource in stack.template["Resources"].items():
            deployed = stack.resources[logical_id]
            where = f"{stack.name}/{logical_id} ({resource['Type']})"
            assert deployed.how == HANDLING[resource["Type"]].how
            expected = {CLOUDFORMATION: "CREATE_COMPLETE", SERVICE_API: "CREATED", LOCAL_GATEWAY: "EMULATED"}
            assert deployed.status == expected.get(deployed.how, "SKIPPED"), where
            if deployed.how == SERVICE_API:
                assert deployed.physical_id, f"{where} has no physical id"


def test_user_pool_has_the_templates_policies(local_env: LocalEnvironment) -> None:
    cognito = local_env.emulator.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=local_env.user_pool_id)["UserPool"]
    template_pool = next(
        r["Properties"]
        for r in local_env.service.template["Resources"].values()
        if r["Type"] == "AWS::Cognito::UserPool"
    )
    expected = template_pool["Policies"]["PasswordPolicy"]
    for name, value in expected.items():
        assert pool["Policies"]["PasswordPolicy"][name] == value
    assert cognito.get_user_pool_mfa_config(UserPoolId=local_env.user_pool_id)["MfaConfiguration"] == "ON"
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=local_env.user_pool_id)["Groups"]}
    assert "admins" in groups


def test_kms_keys_describe_after_deploy(local_env: LocalEnvironment) -> None:
    kms = local_env.emulator.client("kms")
    for logical_id in local_env.service.of_type("AWS::KMS::Key"):
        metadata = kms.describe_key(KeyId=local_env.service.physical_id(logical_id))["KeyMetadata"]
        assert metadata["KeyState"] == "Enabled"


def test_function_roles_have_their_managed_policies_attached(local_env: LocalEnvironment) -> None:
    iam = local_env.emulator.client("iam")
    for spec in local_env.specs.values():
        role = spec.role_arn.rsplit("/", 1)[-1]
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"], role


def test_everything_listens_on_loopback_only(local_env: LocalEnvironment) -> None:
    assert urlsplit(local_env.emulator.url).hostname == LOOPBACK
    assert urlsplit(local_env.url).hostname == LOOPBACK
    with pytest.raises(EmulatorError, match=r"127\.0\.0\.1 only"):
        Emulator.start(host="0.0.0.0")  # noqa: S104 - the point is that it is refused


def test_each_worker_runs_with_its_own_role_and_nothing_else(local_env: LocalEnvironment) -> None:
    operator = local_env.emulator.operator
    assert operator is not None
    for function in local_env.workers.functions.values():
        role_name = function.spec.role_arn.rsplit("/", 1)[-1]
        assert f":assumed-role/{role_name}/" in function.role_session_arn
        env = function.environment(operator)  # the shape of the environment, with any credentials
        assert env["AWS_ENDPOINT_URL"] == local_env.emulator.url
        assert env["AWS_CONFIG_FILE"] == os.devnull and env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
        assert not {"AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY"} & set(env)
        assert env["TABLE_NAME"].startswith(local_env.service.name)


def test_probes_only_exist_in_the_local_worker() -> None:
    for path in (ROOT / "lambdas").rglob("*.py"):
        text = path.read_text()
        assert "allow-probes" not in text and "localmode" not in text, path


# --------------------------------------------------------------------------- fail closed


def _notes_and_profiles(template: dict[str, Any]) -> tuple[str, str]:
    """The Notes function's managed policy and the Profiles table (found through the template)."""
    resources = template["Resources"]

    def function(service: str) -> dict[str, Any]:
        return next(
            r
            for r in resources.values()
            if r["Type"] == "AWS::Lambda::Function"
            and r["Properties"]["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == service
        )

    notes = function("notes")
    role = resources[notes["Properties"]["Role"]["Fn::GetAtt"][0]]
    policy_id = role["Properties"]["ManagedPolicyArns"][0]["Ref"]
    profiles_reach = function("profiles")["Metadata"][PERIMETER]["reach"]
    table_id = next(r["resource"] for r in profiles_reach if r["kind"] == "dynamodb-table")
    return policy_id, table_id


def test_widened_policy_makes_the_demo_fail(mutated_assembly: Callable[..., Path]) -> None:
    """Breaking a control: the Notes function's policy also names the Profiles table."""

    widened: dict[str, str] = {}

    def widen(template: dict[str, Any]) -> None:
        policy_id, table_id = _notes_and_profiles(template)
        widened["table"] = table_id
        for statement in template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("dynamodb:") for action in actions):
                # CDK merges statements with the same actions: Resource may already be a list.
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                statement["Resource"] = [*copy.deepcopy(resources), {"Fn::GetAtt": [table_id, "Arn"]}]

    assembly = mutated_assembly(widen)
    completed = subprocess.run(
        [sys.executable, "-m", "localmode", "demo", "--assembly", str(assembly), "--only", "cross-table"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "NOT as expected" in output
    not_as_expected = output.split("NOT as expected", 1)[0].rsplit("sent:", 1)[-1]
    assert f"dynamodb:GetItem on {widened['table']}" in not_as_expected
    assert "0/1 scenarios behaved as expected" in output


def test_start_up_refuses_when_the_dynamodb_patch_is_off(local_assembly: Path, tmp_path: Path) -> None:
    # The self-test runs on a canary role and tables of its own, after the deploy: every stack of
    # this copy holds one queue, so the deploy before the refusal is short.
    assembly = tmp_path / "cdk.out"
    shutil.copytree(local_assembly, assembly)
    for stack in load_assembly(assembly).stacks:
        stack.template_path.write_text(json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}))
    with pytest.raises(SelfTestFailed) as refused:
        start_local(assembly_dir=assembly, workdir=tmp_path / "run", patch_dynamodb=False)
    message = str(refused.value)
    assert "refuses to start" in message and "patch is not active" in message


def test_self_test_fails_when_iam_is_not_enforced(tmp_path: Path) -> None:
    emulator = Emulator.start(log_dir=tmp_path)
    try:
        emulator.create_operator()  # IAM enforcement deliberately left off
        report = self_test(emulator)
    finally:
        emulator.stop()
    assert not report.ok
    denied_checks = [check for check in report.checks if check.expected == "denied"]
    assert denied_checks and all(check.observed == "allowed" for check in denied_checks)


def test_unknown_resource_type_stops_start_up(mutated_assembly: Callable[..., Path]) -> None:
    def add_unknown(template: dict[str, Any]) -> None:
        template["Resources"]["SneakyApi"] = {"Type": "AWS::AppSync::GraphQLApi", "Properties": {"Name": "x"}}

    with pytest.raises(UnsupportedResourceError, match=r"AWS::AppSync::GraphQLApi: .*SneakyApi"):
        start_local(assembly_dir=mutated_assembly(add_unknown))


# --------------------------------------------------------------------------- the DynamoDB patch


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"TableName": "T"}, ["arn:aws:dynamodb:r:1:table/T"]),
        ({"TableName": "T", "IndexName": "I"}, ["arn:aws:dynamodb:r:1:table/T/index/I"]),
        ({"TableName": "arn:aws:dynamodb:r:1:table/X"}, ["arn:aws:dynamodb:r:1:table/X"]),
        ({"RequestItems": {"A": {}, "B": {}}}, ["arn:aws:dynamodb:r:1:table/A", "arn:aws:dynamodb:r:1:table/B"]),
        (
            {"TransactItems": [{"Put": {"TableName": "A"}}, {"ConditionCheck": {"TableName": "B"}}]},
            ["arn:aws:dynamodb:r:1:table/A", "arn:aws:dynamodb:r:1:table/B"],
        ),
        ({}, ["*"]),
        ({"Statement": "SELECT * FROM T"}, ["*"]),
    ],
)
def test_dynamodb_requests_are_authorized_on_their_resources(body: dict[str, Any], expected: list[str]) -> None:
    assert dynamodb_resource_arns(body, partition="aws", region="r", account="1") == expected
