"""``kit-verify`` against local mode, through the path a real account uses; CORS stacks start.

``verify`` finds the stack by its outputs (DescribeStacks through boto3's usual credential
chain, here pointed at the emulator with AWS_ENDPOINT_URL and the operator's keys), creates its
own users, signs in with SRP and TOTP, runs every scenario that applies to a deployed stack,
and removes what it created.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localmode import LocalEnvironment, start_local
from localmode.deploy import load_assembly
from localmode.scenarios import CAPABILITY_REASONS, LOCAL_CODE_MARGIN, all_scenarios
from localmode.verify import main, verify
from shared_assembly import ACCEPTED_ORIGINS, WITH_ORIGINS, shared_reference_assembly

pytestmark = pytest.mark.slow


@pytest.fixture
def as_aws_client(local_env: LocalEnvironment, monkeypatch: pytest.MonkeyPatch) -> LocalEnvironment:
    operator = local_env.emulator.operator
    assert operator is not None
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_env.emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", operator.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", operator.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", local_env.emulator.region)
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):  # tests/lambdas sets the legacy one process-wide
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return local_env


def test_local_mode_publishes_the_gateway_as_the_api_url_output(local_env: LocalEnvironment) -> None:
    cloudformation = local_env.emulator.client("cloudformation")
    outputs = cloudformation.describe_stacks(StackName=local_env.service.name)["Stacks"][0]["Outputs"]
    assert {o["OutputKey"]: o["OutputValue"] for o in outputs}["ApiUrl"] == local_env.url


def test_verify_runs_every_applicable_scenario_and_cleans_up(as_aws_client: LocalEnvironment) -> None:
    env = as_aws_client
    lines: list[str] = []
    # moto accepts a TOTP code twice; not waiting for fresh codes saves up to 30 s per user here,
    # and on loopback a code needs one second of its step, not three (test_verify_command_exits_
    # zero_... runs the command with the waiting and the margin, as on AWS).
    results = verify(name=env.service.name, out=lines.append, single_use_codes=False, code_margin=LOCAL_CODE_MARGIN)
    ran = {result.key for result in results}
    expected = {s.key for s in all_scenarios() if not s.needs & set(CAPABILITY_REASONS)}  # local-only needs
    assert ran == expected
    assert all(result.ok for result in results), "\n".join(r.failures() for r in results if not r.ok)
    skipped = [line for line in lines if line.startswith("skipped: ")]
    assert len(skipped) == len(all_scenarios()) - len(expected)
    assert all("needs" in line for line in skipped)
    assert f"{len(expected)}/{len(expected)} scenarios behaved as expected" in lines
    cognito = env.emulator.client("cognito-idp")
    users = cognito.list_users(UserPoolId=env.user_pool_id)["Users"]
    assert not [u for u in users if "+verify-" in u["Username"] or u["Username"].startswith("carol-")]


def test_verify_command_exits_zero_and_refuses_unknown_scenarios(
    as_aws_client: LocalEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stack", as_aws_client.service.name, "--only", "no-token,files"]) == 0
    assert "2/2 scenarios behaved as expected" in capsys.readouterr().out
    assert main(["--stack", as_aws_client.service.name, "--only", "nope"]) == 2


def test_verify_names_a_missing_stack(as_aws_client: LocalEnvironment, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "NoSuchStack"]) == 2
    assert "no stack NoSuchStack" in capsys.readouterr().err


@pytest.fixture(scope="module")
def cors_env(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[LocalEnvironment]:
    # app.py with every form of accepted origin: this run's assembly, shared with the contract tests
    assembly = shared_reference_assembly(
        tmp_path_factory, worker_id, tmp_path_factory.mktemp("cors") / "cdk.out", context=WITH_ORIGINS
    )
    env = start_local(assembly_dir=assembly, workdir=tmp_path_factory.mktemp("cors-run"))
    try:
        yield env
    finally:
        env.stop()


def test_a_stack_with_cors_starts_and_answers_the_preflight(cors_env: LocalEnvironment) -> None:
    response = cors_env.api.handle(
        "OPTIONS", "/notes", {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}, None
    )
    assert response.status == 204
    assert response.header("Access-Control-Allow-Origin") == "https://app.example.com"
    bucket = next(
        cors_env.service.physical_id(lid)
        for lid in cors_env.service.of_type("AWS::S3::Bucket")
        if "CorsConfiguration" in cors_env.service.template["Resources"][lid]["Properties"]
    )
    rules = cors_env.emulator.client("s3").get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rules[0]["AllowedOrigins"] == list(ACCEPTED_ORIGINS)


def _metadata_keys(template: dict[str, Any]) -> dict[str, set[str]]:
    """Per resource type, the metadata keys its resources carry (construct paths, asset paths)."""
    keys: dict[str, set[str]] = {}
    for resource in template["Resources"].values():
        keys.setdefault(resource["Type"], set()).update(resource.get("Metadata", {}))
    return keys


def test_local_modes_synth_writes_the_metadata_cdk_synth_writes(
    cors_env: LocalEnvironment, local_assembly: Path
) -> None:
    """Local mode's own synth (the CORS stack) and ``make synth`` (the session's assembly) agree."""
    (by_cli,) = [
        json.loads(stack.template_path.read_text())
        for stack in load_assembly(local_assembly).stacks
        if stack.name == cors_env.service.name
    ]
    by_local_mode = cors_env.service.template
    for template in (by_cli, by_local_mode):
        assert len([r for r in template["Resources"].values() if r["Type"] == "AWS::CDK::Metadata"]) == 1
        unnamed = [
            lid
            for lid, r in template["Resources"].items()
            if r["Type"] != "AWS::CDK::Metadata" and "aws:cdk:path" not in r.get("Metadata", {})
        ]
        assert unnamed == []
    cli_keys, local_keys = _metadata_keys(by_cli), _metadata_keys(by_local_mode)
    assert {kind: cli_keys[kind] for kind in local_keys if kind in cli_keys} == {
        kind: local_keys[kind] for kind in local_keys if kind in cli_keys
    }
    assert "aws:asset:path" in local_keys["AWS::Lambda::Function"]


def test_an_unsupported_resource_names_its_construct(mutated_assembly: object, tmp_path: Path) -> None:
    from localmode.deploy import UnsupportedResourceError

    def add_file_system(template: dict) -> None:  # type: ignore[type-arg]
        template["Resources"]["Shared"] = {
            "Type": "AWS::EFS::FileSystem",  # local mode emulates no file system
            "Properties": {"Encrypted": True},
            "Metadata": {"aws:cdk:path": "Svc/Shared/Resource"},
        }

    assembly = mutated_assembly(add_file_system)  # type: ignore[operator]
    with pytest.raises(UnsupportedResourceError) as raised:
        start_local(assembly_dir=assembly, workdir=tmp_path / "run")
    message = str(raised.value)
    assert "AWS::EFS::FileSystem" in message and "construct Svc/Shared/Resource" in message
    assert json.dumps(message)  # one readable message


def _state_of(env: LocalEnvironment, path: Path) -> Path:
    from localmode.__main__ import serve_state
    from localmode.scenarios import ALICE, Demo

    path.write_text(json.dumps(serve_state(env, [Demo(env).user(ALICE)])))
    return path


def test_kit_local_token_and_call_use_the_serve_state(
    local_env: LocalEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from localmode.__main__ import main as kit_local

    state = str(_state_of(local_env, tmp_path / "state.json"))
    assert kit_local(["token", "--state", state]) == 0
    token = capsys.readouterr().out.strip()
    assert token.count(".") == 2
    assert kit_local(["call", "POST", "/notes", "--state", state, "--data", '{"title": "t", "content": "c"}']) == 0
    assert capsys.readouterr().out.startswith("201 ")
    assert kit_local(["call", "GET", "/notes/nope", "--state", state]) == 1


def test_kit_local_says_when_nothing_is_serving(tmp_path: Path) -> None:
    import subprocess
    import sys

    def kit_local(*argv: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)}
        return subprocess.run(
            [sys.executable, "-m", "localmode", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    result = kit_local("token")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nothing is serving: no state file at" in result.stderr and "kit-local serve" in result.stderr
    result = kit_local("call", "GET", "/me", "--state", str(_stale_state(tmp_path / "stale.json")))
    assert result.returncode == 2
    assert "has stopped; start it again" in result.stderr


def _stale_state(path: Path) -> Path:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path.write_text(
        json.dumps(
            {
                "api_url": f"http://127.0.0.1:{port}/dev/",
                "emulator": f"http://127.0.0.1:{port}",
                "region": "us-east-1",
                "user_pool_id": "us-east-1_x",
                "client_id": "c",
                "operator": {"access_key_id": "a", "secret_access_key": "b"},
                "users": {"alice": {"email": "a@example.com", "password": "p", "mfa_secret": "JBSWY3DPEHPK3PXP"}},
            }
        )
    )
    return path


def test_a_refused_start_keeps_and_names_the_workdir_when_asked(
    mutated_assembly: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    from localmode.__main__ import main as kit_local

    def add_file_system(template: dict) -> None:  # type: ignore[type-arg]
        template["Resources"]["Shared"] = {"Type": "AWS::EFS::FileSystem", "Properties": {"Encrypted": True}}

    assembly = str(mutated_assembly(add_file_system))  # type: ignore[operator]
    monkeypatch.setenv("LOCALMODE_KEEP_WORKDIR", "1")
    assert kit_local(["demo", "--assembly", assembly]) == 2
    kept = re.search(r"\(logs kept in (\S+)\)", capsys.readouterr().err)
    assert kept is not None and Path(kept.group(1)).is_dir()
    shutil.rmtree(kept.group(1))
    monkeypatch.delenv("LOCALMODE_KEEP_WORKDIR")
    assert kit_local(["demo", "--assembly", assembly]) == 2
    assert "LOCALMODE_KEEP_WORKDIR=1 keeps" in capsys.readouterr().err
