"""kit_user.py against Cognito as moto 5.2.5 implements it (real boto3 calls, no hand-written AWS fakes).

What moto enforces, and so what these tests can catch: the SRP flow's shape (SRP_A present,
PASSWORD_VERIFIER answered with the SECRET_BLOCK, a signature and a timestamp), the user's state
(FORCE_CHANGE_PASSWORD -> NEW_PASSWORD_REQUIRED, then MFA_SETUP until a TOTP device is verified,
then SOFTWARE_TOKEN_MFA), the pool's password policy on the new password, TOTP codes (with
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true), groups, unknown users, revoked refresh tokens.

What moto does NOT check: the SRP proof itself. It never derives a key, so a wrong password
signs in; test_kit_user_crypto.py checks the proof against a server side written from the
verifier instead. Moto 5.2.5 also lacks RevokeToken, so `sign-out` without --everywhere is not
exercised here.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from kit_user_support import (
    EMAIL,
    NEW_PASSWORD,
    REGION,
    Pool,
    Terminal,
    code_from_screen,
    create_and_first_sign_in,
    reference_totp,
)

from kit_auth import tokens
from kit_auth.cognito import explain, public_client, sign_in


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _user(pool: Pool, email: str = EMAIL) -> dict:
    return pool.client.admin_get_user(UserPoolId=pool.user_pool_id, Username=email)


# ---------------------------------------------------------------------------------------------
# create-user


def test_create_user_prints_a_temporary_password_and_adds_the_group(pool: Pool, terminal: Terminal) -> None:
    code = terminal.run("create-user", "--email", EMAIL, "--group", "admins", *pool.options())
    assert code == 0, terminal.screen
    password = terminal.stdout.strip()
    assert len(password) >= 14 and "\n" not in password
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)
    user = _user(pool)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == EMAIL
    assert attributes["email_verified"] == "true"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    groups = pool.client.admin_list_groups_for_user(UserPoolId=pool.user_pool_id, Username=EMAIL)["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]
    assert "valid 3 days" in terminal.screen
    assert password not in terminal.screen  # the password is data (stdout), shown once
    assert f"sign-in --email {EMAIL}" in terminal.screen


def test_create_user_without_group_is_in_no_group(pool: Pool, terminal: Terminal) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    groups = pool.client.admin_list_groups_for_user(UserPoolId=pool.user_pool_id, Username=EMAIL)["Groups"]
    assert groups == []


def test_create_user_with_an_unknown_group_creates_nothing(pool: Pool, terminal: Terminal) -> None:
    code = terminal.run("create-user", "--email", EMAIL, "--group", "admin", *pool.options())
    assert code == 1
    assert terminal.screen.strip() == "create-user failed: the user pool has no group 'admin'"
    assert pool.client.list_users(UserPoolId=pool.user_pool_id)["Users"] == []
    assert terminal.stdout == ""


def test_create_user_twice_is_a_clear_error(pool: Pool, terminal: Terminal) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 1
    assert terminal.screen.strip() == f"create-user failed: a user with the e-mail {EMAIL} already exists"
    assert "Traceback" not in terminal.screen


def test_create_user_rejects_what_is_not_an_email(pool: Pool, terminal: Terminal) -> None:
    with pytest.raises(SystemExit) as exit_info:
        terminal.run("create-user", "--email", "ada", *pool.options())
    assert exit_info.value.code == 2
    assert "'ada' is not an e-mail address" in terminal.capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# sign-in


def test_first_sign_in_sets_password_and_authenticator_and_saves_tokens_privately(
    pool: Pool, terminal: Terminal, token_file: Path
) -> None:
    assert terminal.run("create-user", "--email", EMAIL, "--group", "admins", *pool.options()) == 0
    temporary = terminal.stdout.strip()
    terminal.passwords = [temporary, NEW_PASSWORD, NEW_PASSWORD]
    terminal.codes = [code_from_screen]

    code = terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options())

    assert code == 0, terminal.screen
    assert terminal.prompts == [
        f"Password for {EMAIL}: ",
        "New password: ",
        "New password (again): ",
        "Code the app shows now: ",
    ]
    secret = terminal.secret_on_screen()
    assert f"otpauth://totp/Secure%20Serverless%20Kit:{EMAIL}?secret={secret}&issuer=" in terminal.screen
    assert terminal.stdout == ""  # no token printed unless asked for
    assert _mode(token_file) == 0o600
    assert _mode(token_file.parent) == 0o700
    saved = json.loads(token_file.read_text())
    assert saved["IdToken"].count(".") == 2
    assert tokens.jwt_claims(saved["IdToken"])["email"] == EMAIL
    assert saved["RefreshToken"] and saved["AccessToken"]
    assert (saved["Region"], saved["UserPoolId"], saved["ClientId"]) == (REGION, pool.user_pool_id, pool.client_id)
    text = token_file.read_text()
    for never_stored in (temporary, NEW_PASSWORD, secret):
        assert never_stored not in text
    for never_shown in (temporary, NEW_PASSWORD, saved["IdToken"], saved["RefreshToken"]):
        assert never_shown not in terminal.screen
    user = _user(pool)
    assert user["UserStatus"] == "CONFIRMED"
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert "SOFTWARE_TOKEN_MFA" in user["UserMFASettingList"]


def test_second_sign_in_asks_for_a_totp_code(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    secret = create_and_first_sign_in(pool, terminal, token_file)
    first_id_token = json.loads(token_file.read_text())["IdToken"]
    terminal.passwords = [NEW_PASSWORD]
    terminal.codes = [lambda _: reference_totp(secret)]

    code = terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options())

    assert code == 0, terminal.screen
    assert terminal.prompts == [f"Password for {EMAIL}: ", "Code from your authenticator app: "]
    assert "secret:" not in terminal.screen  # the secret is shown at setup only
    saved = json.loads(token_file.read_text())
    assert saved["IdToken"] != first_id_token
    assert _mode(token_file) == 0o600


def test_sign_in_answers_the_challenges_in_order(pool: Pool, terminal: Terminal) -> None:
    """The library call: PASSWORD_VERIFIER, then NEW_PASSWORD_REQUIRED and MFA_SETUP; later SOFTWARE_TOKEN_MFA."""
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    temporary = terminal.stdout.strip()
    shown: list[str] = []

    class Scripted:
        def new_password(self) -> str:
            return NEW_PASSWORD

        def show_mfa_setup(self, secret: str) -> None:
            shown.append(secret)

        def setup_code(self, secret: str) -> str:
            return reference_totp(secret)

        def mfa_code(self) -> str:
            return reference_totp(shown[0])

    client = public_client(REGION)
    common = {"user_pool_id": pool.user_pool_id, "client_id": pool.client_id, "email": EMAIL, "prompts": Scripted()}
    first = sign_in(client, password=temporary, **common)
    assert first.challenges == ["PASSWORD_VERIFIER", "NEW_PASSWORD_REQUIRED", "MFA_SETUP"]
    assert first.mfa_set_up
    assert {"IdToken", "AccessToken", "RefreshToken"} <= set(first.tokens)
    second = sign_in(client, password=NEW_PASSWORD, **common)
    assert second.challenges == ["PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA"]
    assert not second.mfa_set_up


def test_automated_sign_in_with_env_password_and_totp_secret(
    pool: Pool, terminal: Terminal, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = create_and_first_sign_in(pool, terminal, token_file)
    monkeypatch.setenv("KIT_PASSWORD", NEW_PASSWORD)
    monkeypatch.setenv("MY_TOTP_SECRET", secret)

    code = terminal.run(
        "sign-in",
        "--email",
        EMAIL,
        "--totp-secret-env",
        "MY_TOTP_SECRET",
        "--print-id-token",
        "--token-file",
        str(token_file),
        *pool.options(),
    )

    assert code == 0, terminal.screen
    assert terminal.prompts == []  # nothing asked
    assert terminal.stdout.strip() == json.loads(token_file.read_text())["IdToken"]
    assert NEW_PASSWORD not in terminal.screen + terminal.stdout
    assert secret not in terminal.screen


def test_automated_first_sign_in_uses_the_secret_cognito_issued(
    pool: Pool, terminal: Terminal, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    monkeypatch.setenv("KIT_PASSWORD", terminal.stdout.strip())
    monkeypatch.setenv("KIT_NEW_PASSWORD", NEW_PASSWORD)
    code = terminal.run(
        "sign-in", "--email", EMAIL, "--totp-secret-env", "UNSET_YET", "--token-file", str(token_file), *pool.options()
    )
    assert code == 0, terminal.screen
    assert terminal.prompts == []
    assert "secret: " in terminal.screen  # shown once so the automation can keep it
    assert _user(pool)["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_totp_secret_env_that_is_not_set_is_a_clear_error(
    pool: Pool, terminal: Terminal, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_and_first_sign_in(pool, terminal, token_file)
    monkeypatch.setenv("KIT_PASSWORD", NEW_PASSWORD)
    monkeypatch.delenv("MISSING_SECRET", raising=False)
    code = terminal.run(
        "sign-in",
        "--email",
        EMAIL,
        "--totp-secret-env",
        "MISSING_SECRET",
        "--token-file",
        str(token_file),
        *pool.options(),
    )
    assert code == 1
    assert terminal.screen.strip() == "sign-in failed: --totp-secret-env MISSING_SECRET: that variable is not set"


def test_wrong_totp_code_is_refused_and_keeps_the_old_tokens(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    secret = create_and_first_sign_in(pool, terminal, token_file)
    before = token_file.read_text()
    right = reference_totp(secret)
    terminal.passwords = [NEW_PASSWORD]
    terminal.codes = [f"{(int(right) + 1) % 1_000_000:06d}"]

    code = terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options())

    assert code == 1
    assert terminal.screen.splitlines()[-1].startswith("sign-in failed: wrong authenticator code")
    assert "Traceback" not in terminal.screen
    assert token_file.read_text() == before


def test_wrong_code_during_authenticator_setup_is_refused(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    terminal.passwords = [terminal.stdout.strip(), NEW_PASSWORD, NEW_PASSWORD]
    terminal.codes = [lambda t: f"{(int(code_from_screen(t)) + 1) % 1_000_000:06d}"]

    code = terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options())

    assert code == 1
    assert terminal.screen.splitlines()[-1].startswith("sign-in failed: wrong authenticator code")
    assert not token_file.exists()
    assert "SOFTWARE_TOKEN_MFA" not in _user(pool).get("UserMFASettingList", [])


def test_code_prompt_insists_on_six_digits(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    secret = create_and_first_sign_in(pool, terminal, token_file)
    terminal.passwords = [NEW_PASSWORD]
    terminal.codes = ["12 34", "abcdef", lambda _: reference_totp(secret)]
    assert terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options()) == 0
    assert terminal.screen.count("An authenticator code is 6 digits.") == 2


def test_unknown_email_gets_the_same_message_as_a_wrong_password(
    pool: Pool, terminal: Terminal, token_file: Path
) -> None:
    """Moto cannot tell a wrong password: it never checks the SRP proof (see the module docstring).

    What it enforces is an unknown user (UserNotFoundException); the real pool, which hides user
    existence, answers both that and a wrong password with NotAuthorizedException "Incorrect
    username or password." Both must read the same, so the message reveals nothing.
    """
    terminal.passwords = ["Whatever-Pa55word!"]
    code = terminal.run("sign-in", "--email", "nobody@example.com", "--token-file", str(token_file), *pool.options())
    assert code == 1
    assert terminal.screen.splitlines()[-1] == "sign-in failed: incorrect e-mail or password"
    assert "Traceback" not in terminal.screen
    assert not token_file.exists()


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("NotAuthorizedException", "Incorrect username or password.", "sign-in failed: incorrect e-mail or password"),
        ("UserNotFoundException", "User does not exist.", "sign-in failed: incorrect e-mail or password"),
        ("NotAuthorizedException", "Password attempts exceeded", "sign-in failed: too many failed attempts"),
        ("NotAuthorizedException", "User is disabled.", "sign-in failed: this account is disabled"),
        (
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
            "sign-in failed: the sign-in session expired",
        ),
        ("CodeMismatchException", "Invalid code received for user", "sign-in failed: wrong authenticator code"),
    ],
)
def test_cognito_errors_read_as_one_clear_line(code: str, message: str, expected: str) -> None:
    """Cognito's real error codes and messages (as the service returns them) map to the CLI's lines."""
    error = ClientError({"Error": {"Code": code, "Message": message}}, "RespondToAuthChallenge")
    assert explain(error, "sign-in").startswith(expected)


def test_new_password_outside_the_policy_is_refused(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    terminal.passwords = [terminal.stdout.strip(), "short", "short"]
    code = terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options())
    assert code == 1
    assert "the new password does not meet the pool's policy" in terminal.screen.splitlines()[-1]
    assert _user(pool)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_new_passwords_that_differ_are_asked_again(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    terminal.passwords = [terminal.stdout.strip(), NEW_PASSWORD, NEW_PASSWORD + "x", NEW_PASSWORD, NEW_PASSWORD]
    terminal.codes = [code_from_screen]
    assert terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options()) == 0
    assert "The two passwords differ; try again." in terminal.screen
    assert terminal.prompts.count("New password: ") == 2


def test_new_passwords_that_never_match_stop_the_sign_in(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    assert terminal.run("create-user", "--email", EMAIL, *pool.options()) == 0
    terminal.passwords = [terminal.stdout.strip()] + [NEW_PASSWORD, NEW_PASSWORD + "x"] * 3
    assert terminal.run("sign-in", "--email", EMAIL, "--token-file", str(token_file), *pool.options()) == 1
    assert terminal.screen.splitlines()[-1] == "sign-in failed: no new password confirmed"


def test_existing_token_file_with_loose_permissions_is_replaced_private(
    pool: Pool, terminal: Terminal, token_file: Path
) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_text("{}")
    token_file.chmod(0o644)
    create_and_first_sign_in(pool, terminal, token_file)
    assert _mode(token_file) == 0o600
    assert "IdToken" in json.loads(token_file.read_text())
    assert [p.name for p in token_file.parent.iterdir()] == ["tokens.json"]  # no temporary file left


# ---------------------------------------------------------------------------------------------
# stack outputs


def _deploy_fake_outputs_stack(name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=name, TemplateBody=json.dumps(template))


def test_sign_in_reads_pool_client_and_api_from_the_stack_outputs(
    pool: Pool, terminal: Terminal, token_file: Path
) -> None:
    api_url = "https://abc123.execute-api.eu-west-1.amazonaws.com/test/"
    _deploy_fake_outputs_stack(
        "SecureServerlessKit-test-NotesService",
        {"ApiUrl": api_url, "UserPoolId": pool.user_pool_id, "UserPoolClientId": pool.client_id},
    )
    assert terminal.run("create-user", "--email", EMAIL, "--stage", "test") == 0, terminal.screen
    terminal.passwords = [terminal.stdout.strip(), NEW_PASSWORD, NEW_PASSWORD]
    terminal.codes = [code_from_screen]
    assert terminal.run("sign-in", "--email", EMAIL, "--stage", "test", "--token-file", str(token_file)) == 0
    saved = json.loads(token_file.read_text())
    assert (saved["UserPoolId"], saved["ClientId"], saved["ApiUrl"]) == (pool.user_pool_id, pool.client_id, api_url)


def test_missing_stack_is_a_clear_error(pool: Pool, terminal: Terminal, token_file: Path) -> None:
    code = terminal.run("sign-in", "--email", EMAIL, "--stage", "prod", "--token-file", str(token_file))
    assert code == 1
    assert terminal.screen.strip().startswith(
        f"no stack SecureServerlessKit-prod-NotesService in {REGION}: deploy it first (make deploy)"
    )
    assert terminal.prompts == []  # fails before asking for the password


def test_stack_without_the_outputs_is_a_clear_error(pool: Pool, terminal: Terminal) -> None:
    _deploy_fake_outputs_stack("Other", {"Something": "else"})
    assert terminal.run("create-user", "--email", EMAIL, "--stack", "Other") == 1
    assert terminal.screen.strip().startswith("stack Other has no output UserPoolId")


# ---------------------------------------------------------------------------------------------
# sign-out


def test_sign_out_everywhere_revokes_the_refresh_token_and_deletes_the_file(
    pool: Pool, terminal: Terminal, token_file: Path
) -> None:
    create_and_first_sign_in(pool, terminal, token_file)
    refresh_token = json.loads(token_file.read_text())["RefreshToken"]
    public_client(REGION).initiate_auth(  # still valid before the sign-out
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
    )

    assert terminal.run("sign-out", "--everywhere", "--token-file", str(token_file)) == 0, terminal.screen

    assert not token_file.exists()
    assert "Revoked every session of this user." in terminal.screen
    with pytest.raises(ClientError) as refused:
        public_client(REGION).initiate_auth(
            ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_sign_out_when_not_signed_in(terminal: Terminal, token_file: Path) -> None:
    assert terminal.run("sign-out", "--token-file", str(token_file)) == 1
    assert terminal.screen.strip() == f"not signed in (no token file at {token_file}): run sign-in first"
