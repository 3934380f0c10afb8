"""``kit_user.py``: create a first user, sign in with SRP and TOTP, call the API, sign out.

Output conventions: data (a temporary password, an ID token on request, API responses) goes to
stdout; messages and prompts go to stderr; an expected failure is one line on stderr and exit
code 1 (2 for bad usage, 130 when interrupted). Passwords are read with ``getpass`` or from
KIT_PASSWORD / KIT_NEW_PASSWORD, never from the command line (it would land in shell history and
in the process list). Nothing here prints a password or a token unless asked to, and the TOTP
secret is shown exactly once, when the authenticator app is set up.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from . import KitError, api, tokens
from .cognito import (
    Target,
    admin_client,
    create_user,
    explain,
    fill_from_stack,
    public_client,
    refresh,
    region_of_pool,
    sign_in,
    sign_out,
    stack_name,
    stack_outputs,
    token_record,
)
from .totp import current_code, otpauth_uri

PROG = "kit_user.py"
SCRIPT = "python scripts/kit_user.py"
TOTP_ISSUER = "Secure Serverless Kit"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE = re.compile(r"^\d{6}$")
_ATTEMPTS = 3


def _say(text: str = "") -> None:
    print(text, file=sys.stderr)


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an e-mail address")
    return value


def _env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an environment variable name (pass the name, not the secret)"
        )
    return value


class TerminalPrompts:
    """Prompts on the terminal, or values from the environment for automation."""

    def __init__(self, email: str, totp_secret_env: str | None) -> None:
        self.email = email
        self.totp_secret_env = totp_secret_env

    def password(self) -> str:
        password = os.environ.get("KIT_PASSWORD") or getpass.getpass(f"Password for {self.email}: ")
        if not password:
            raise KitError("sign-in failed: no password given")
        return password

    def new_password(self) -> str:
        from_env = os.environ.get("KIT_NEW_PASSWORD")
        if from_env:
            return from_env
        _say("Choose your own password: at least 14 characters, with upper and lower case letters, digits and symbols.")
        for _ in range(_ATTEMPTS):
            first = getpass.getpass("New password: ")
            if not first:
                _say("The password is empty; try again.")
                continue
            if getpass.getpass("New password (again): ") == first:
                return first
            _say("The two passwords differ; try again.")
        raise KitError("sign-in failed: no new password confirmed")

    def show_mfa_setup(self, secret: str) -> None:
        uri = otpauth_uri(secret, account=self.email, issuer=TOTP_ISSUER)
        _say("The user pool requires an authenticator app (TOTP). Add this account to yours now:")
        _say("  turn this URI into a QR code and scan it (e.g. `qrencode -t ansiutf8 '<URI>'`), or type the secret in.")
        _say(f"  URI:    {uri}")
        _say(f"  secret: {secret}")
        _say("Keep the secret private: whoever has it can produce your codes. It is not shown again or saved.")

    def setup_code(self, secret: str) -> str:
        if self.totp_secret_env:
            return current_code(secret)  # automation: the secret was just shown
        return self._ask_code("Code the app shows now: ")

    def mfa_code(self) -> str:
        if self.totp_secret_env:
            secret = os.environ.get(self.totp_secret_env)
            if not secret:
                raise KitError(f"sign-in failed: --totp-secret-env {self.totp_secret_env}: that variable is not set")
            return current_code(secret)
        return self._ask_code("Code from your authenticator app: ")

    def _ask_code(self, prompt: str) -> str:
        for _ in range(_ATTEMPTS):
            sys.stderr.write(prompt)
            sys.stderr.flush()
            code = "".join(input().split())
            if _CODE.match(code):
                return code
            _say("An authenticator code is 6 digits.")
        raise KitError("sign-in failed: no valid authenticator code given")


# ---------------------------------------------------------------------------------------------
# where the kit is


def resolve_target(args: argparse.Namespace, needed: Sequence[str]) -> Target:
    """Explicit options first; whatever is still missing comes from the stack's outputs."""
    region = args.region or region_of_pool(args.user_pool_id) or boto3.session.Session().region_name
    target = Target(region=region or "", user_pool_id=args.user_pool_id, client_id=args.client_id, api_url=args.api_url)
    if any(not getattr(target, attribute) for attribute in needed):
        name = args.stack or stack_name(args.stage)
        if not region:
            raise KitError(f"no AWS region to look for the stack {name} in: pass --region or set AWS_REGION")
        cloudformation = boto3.client("cloudformation", region_name=region)
        outputs = stack_outputs(cloudformation, name)
        fill_from_stack(target, outputs, name, needed)
        if not target.api_url:
            target.api_url = outputs.get("ApiUrl")  # saved with the tokens, so `call` needs no options
    if not target.region:
        raise KitError("no AWS region: pass --region or set AWS_REGION")
    return target


def _sign_in_hint(record: dict[str, Any]) -> str:
    email = tokens.jwt_claims(str(record.get("IdToken", ""))).get("email")
    return f"{SCRIPT} sign-in --email {email if isinstance(email, str) else '<your e-mail>'}"


def fresh_tokens(record: dict[str, Any], token_file: Path) -> dict[str, Any]:
    """``record`` with an ID token valid for at least a minute, refreshed (and saved) when needed."""
    if not tokens.is_expired(record):
        return record
    refresh_token = record.get("RefreshToken")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise KitError(f"your session has expired: sign in again ({_sign_in_hint(record)})")
    try:
        new = refresh(public_client(record["Region"]), record["ClientId"], refresh_token)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NotAuthorizedException":
            raise KitError(
                f"your session has expired or was revoked: sign in again ({_sign_in_hint(record)})"
            ) from None
        raise
    target = Target(
        region=record["Region"],
        user_pool_id=record.get("UserPoolId"),
        client_id=record["ClientId"],
        api_url=record.get("ApiUrl"),
    )
    record = token_record(target, new, previous=record)
    tokens.save(token_file, record)
    return record


# ---------------------------------------------------------------------------------------------
# commands


def cmd_create_user(args: argparse.Namespace) -> int:
    target = resolve_target(args, ("user_pool_id",))
    assert target.user_pool_id is not None
    created = create_user(
        admin_client(target.region), target.user_pool_id, args.email, groups=args.group, send_invite=args.send_invite
    )
    _say(f"Created {created.email} in user pool {target.user_pool_id} (status {created.status or 'unknown'}).")
    if created.groups:
        _say(f"Member of: {', '.join(created.groups)}")
    days = f"valid {created.temporary_password_days} days" if created.temporary_password_days else "temporary"
    if created.temporary_password is None:
        _say(f"Cognito e-mailed a temporary password ({days}) to {created.email}.")
    else:
        _say(f"Temporary password ({days}, single use; hand it over on a trusted channel, it is not stored):")
        print(created.temporary_password)
    _say(f"Next: {SCRIPT} sign-in --email {created.email}   (sets a new password and the authenticator app)")
    return 0


def cmd_sign_in(args: argparse.Namespace) -> int:
    target = resolve_target(args, ("user_pool_id", "client_id"))
    assert target.user_pool_id is not None and target.client_id is not None
    prompts = TerminalPrompts(args.email, args.totp_secret_env)
    result = sign_in(
        public_client(target.region),
        user_pool_id=target.user_pool_id,
        client_id=target.client_id,
        email=args.email,
        password=prompts.password(),
        prompts=prompts,
    )
    record = token_record(target, result.tokens)
    tokens.save(args.token_file, record)
    if result.mfa_set_up:
        _say("Authenticator app confirmed: its codes are now required at every sign-in.")
    _say(f"Signed in as {args.email}. Tokens saved to {args.token_file.expanduser()} (readable by you only).")
    if not target.api_url:
        _say("No API URL known yet: pass --api-url to `call` (or sign in with --stage/--stack).")
    if args.print_id_token:
        print(record["IdToken"])
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    body = api.parse_json_body(args.data)
    record = tokens.load(args.token_file)
    args.region = args.region or record.get("Region")
    api_url = args.api_url or record.get("ApiUrl") or resolve_target(args, ("api_url",)).api_url
    assert api_url is not None
    record = fresh_tokens(record, args.token_file)
    response = api.call(api_url, args.method, args.path, id_token=record["IdToken"], body=body, timeout=args.timeout)
    print(f"HTTP {response.status} {response.reason}".rstrip())
    if response.body:
        print(api.format_body(response.body))
    if response.status == 401:
        _say(f"The API did not accept the token: sign in again ({_sign_in_hint(record)}).")
    if response.location:
        _say(f"The API redirected to {response.location}; not followed (the request carries your token).")
    return 0 if 200 <= response.status < 300 else 1


def cmd_sign_out(args: argparse.Namespace) -> int:
    record = tokens.load(args.token_file)
    if args.everywhere:
        record = fresh_tokens(record, args.token_file)  # GlobalSignOut needs a valid access token
    what = "every session of this user" if args.everywhere else "this session's refresh token"
    try:
        sign_out(public_client(record["Region"]), record, everywhere=args.everywhere)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NotAuthorizedException":
            raise
        _say("The session was already expired or revoked.")
    else:
        _say(f"Revoked {what}.")
    tokens.remove(args.token_file)
    _say(f"Deleted {args.token_file.expanduser()}.")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "create-user": cmd_create_user,
    "sign-in": cmd_sign_in,
    "call": cmd_call,
    "sign-out": cmd_sign_out,
}


def build_parser() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    group = where.add_argument_group("where the kit is deployed (explicit values win over stack outputs)")
    group.add_argument("--stage", default="dev", help="stage of the reference app; default: dev")
    group.add_argument(
        "--stack",
        help="stack whose outputs give UserPoolId, UserPoolClientId, ApiUrl; default: SecureServerlessKit-<stage>-NotesService",
    )
    group.add_argument("--region", help="default: the user pool id's region, else AWS_REGION / your profile's region")
    group.add_argument("--user-pool-id", help="skip the stack lookup for the pool (e.g. eu-west-1_AbC123)")
    group.add_argument("--client-id", help="skip the stack lookup for the app client")
    group.add_argument("--api-url", help="skip the stack lookup for the API (https://...execute-api.../<stage>/)")
    token_file = argparse.ArgumentParser(add_help=False)
    token_file.add_argument(
        "--token-file",
        type=Path,
        default=tokens.DEFAULT_TOKEN_FILE,
        help=f"where tokens are kept (mode 0600); default: {tokens.DEFAULT_TOKEN_FILE}",
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Users of the Secure Serverless Kit's reference stack: create, sign in (SRP + TOTP), call the API.",
        epilog="Passwords: prompted, or from KIT_PASSWORD (and KIT_NEW_PASSWORD for the first sign-in); never options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    create = commands.add_parser(
        "create-user", parents=[where], help="create a user (AWS administrator credentials needed)"
    )
    create.add_argument("--email", required=True, type=_email, help="the user's e-mail (their sign-in name)")
    create.add_argument(
        "--group", action="append", default=[], help="add the user to this group (repeatable), e.g. --group admins"
    )
    create.add_argument(
        "--send-invite",
        action="store_true",
        help="let Cognito e-mail the temporary password instead of printing one generated here",
    )

    sign_in_ = commands.add_parser(
        "sign-in", parents=[where, token_file], help="sign in with SRP and TOTP, save the tokens"
    )
    sign_in_.add_argument("--email", required=True, type=_email)
    sign_in_.add_argument(
        "--totp-secret-env",
        metavar="VAR",
        type=_env_name,
        help="compute authenticator codes from the base32 secret in environment variable VAR (automation); "
        "during the first sign-in, from the secret Cognito just issued",
    )
    sign_in_.add_argument("--print-id-token", action="store_true", help="also print the ID token on stdout")

    call = commands.add_parser("call", parents=[where, token_file], help="call the API with the saved ID token")
    call.add_argument("method", metavar="METHOD", help="GET, POST, PUT, DELETE, ...")
    call.add_argument("path", metavar="PATH", help="e.g. /me or /notes?limit=10")
    call.add_argument("--data", metavar="JSON", help="request body (JSON)")
    call.add_argument("--timeout", type=float, default=api.DEFAULT_TIMEOUT_SECONDS, help="seconds; default: 30")

    out = commands.add_parser(
        "sign-out", parents=[token_file], help="revoke the saved refresh token and delete the token file"
    )
    out.add_argument(
        "--everywhere", action="store_true", help="sign the user out of every session (GlobalSignOut) instead"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: str = args.command
    try:
        return COMMANDS[command](args)
    except KitError as error:
        _say(str(error))
    except ClientError as error:
        _say(explain(error, command))
    except NoCredentialsError:
        if command == "create-user":
            _say(
                "create-user failed: no AWS credentials: configure an administrator's profile (aws configure / AWS_PROFILE)"
            )
        else:
            _say(
                f"{command} failed: no AWS credentials to read the stack outputs: configure a profile, or pass "
                "--user-pool-id, --client-id and --api-url"
            )
    except NoRegionError:
        _say(f"{command} failed: no AWS region: pass --region or set AWS_REGION")
    except BotoCoreError as error:
        _say(f"{command} failed: {error}")
    except EOFError:
        _say(f"{command} failed: no input (run it in a terminal, or set KIT_PASSWORD and --totp-secret-env)")
    except KeyboardInterrupt:
        _say("cancelled")
        return 130
    return 1
