"""Helpers of the kit_user.py tests: a moto user pool like the reference stack's, and a scripted terminal.

The pool mirrors SecureUserPool: e-mail is the username, no self sign-up, a 14-character policy
with every character class, MFA required with TOTP only, one public app client with SRP and refresh
only, and an ``admins`` group. Moto checks TOTP codes only when MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP
is true, so the fixtures switch it on.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from kit_auth.cli import main

REGION = "eu-west-1"
EMAIL = "ada@example.com"
NEW_PASSWORD = "Correct-Horse-42-Battery"


def reference_totp(secret: str) -> str:
    """A current TOTP code from `cryptography` (the implementation moto verifies with), not from kit_auth.

    Waits when the 30-second step ends within a second, so the code is still current when moto
    (in this process, milliseconds away) checks it.
    """
    remaining = 30 - time.time() % 30
    if remaining < 1.0:
        time.sleep(remaining + 0.05)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303 - RFC 6238 / Cognito use HMAC-SHA1
    return totp.generate(time.time()).decode()


@dataclass
class Pool:
    client: Any
    user_pool_id: str
    client_id: str
    region: str = REGION

    def options(self) -> list[str]:
        return ["--user-pool-id", self.user_pool_id, "--client-id", self.client_id]


Answer = str | Callable[["Terminal"], str]


@dataclass
class Terminal:
    """The person at the keyboard: reads what the CLI shows on stderr and answers its prompts.

    ``passwords`` answer getpass prompts, ``codes`` answer input() prompts (a callable answer is
    called with the terminal, e.g. to read the TOTP secret off the screen).
    """

    capsys: pytest.CaptureFixture[str]
    passwords: list[str] = field(default_factory=list)
    codes: list[Answer] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    screen: str = ""
    stdout: str = ""

    def _read(self) -> None:
        out, err = self.capsys.readouterr()
        self.stdout += out
        self.screen += err

    def getpass(self, prompt: str = "Password: ", stream: Any = None) -> str:
        self._read()
        self.prompts.append(prompt)
        if not self.passwords:
            raise AssertionError(f"unexpected password prompt {prompt!r}")
        self.screen += "\n"  # getpass ends the line; the password itself is not echoed
        return self.passwords.pop(0)

    def input(self, prompt: str = "") -> str:
        self._read()
        self.prompts.append(self.screen.rsplit("\n", 1)[-1] + prompt)
        if not self.codes:
            raise AssertionError(f"unexpected input prompt {self.prompts[-1]!r}")
        answer = self.codes.pop(0)
        typed = answer(self) if callable(answer) else answer
        self.screen += typed + "\n"  # the terminal echoes what was typed
        return typed

    def secret_on_screen(self) -> str:
        match = re.search(r"secret: (\S+)", self.screen)
        assert match, f"no TOTP secret on screen:\n{self.screen}"
        return match.group(1)

    def run(self, *argv: str) -> int:
        self.stdout = self.screen = ""
        self.prompts.clear()
        self.capsys.readouterr()
        code = main(list(argv))
        self._read()
        return code


def make_pool() -> Pool:
    """A user pool and app client configured like SecureUserPool's (inside an active moto mock)."""
    client = boto3.client("cognito-idp", region_name=REGION)
    pool_id = client.create_user_pool(
        PoolName="kit-test",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 14,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        MfaConfiguration="ON",
    )["UserPool"]["Id"]
    client.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="kit-test-client",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]["ClientId"]
    client.create_group(UserPoolId=pool_id, GroupName="admins")
    return Pool(client=client, user_pool_id=pool_id, client_id=client_id)


def code_from_screen(term: Terminal) -> str:
    return reference_totp(term.secret_on_screen())


def create_and_first_sign_in(pool: Pool, term: Terminal, token_file: Path, email: str = EMAIL) -> str:
    """Create ``email`` and complete its first sign-in; return the TOTP secret Cognito issued."""
    assert term.run("create-user", "--email", email, *pool.options()) == 0, term.screen
    temporary = term.stdout.strip()
    term.passwords = [temporary, NEW_PASSWORD, NEW_PASSWORD]
    term.codes = [code_from_screen]
    code = term.run("sign-in", "--email", email, "--token-file", str(token_file), *pool.options())
    assert code == 0, term.screen
    return term.secret_on_screen()
