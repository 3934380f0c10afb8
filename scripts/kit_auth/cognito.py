"""Cognito operations of the kit's CLI: stack outputs, first users, SRP sign-in with TOTP, refresh, sign-out.

Sign-in, refresh and sign-out are Cognito's public (unauthenticated) operations: they run with no
AWS credentials at all (requests are sent unsigned). Creating a user and reading stack outputs are
administrator operations and use your AWS credentials.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from . import KitError
from .srp import SrpClient

STACK_NAME_TEMPLATE = "SecureServerlessKit-{stage}-NotesService"
#: CloudFormation output key -> attribute of Target.
OUTPUT_KEYS = {"UserPoolId": "user_pool_id", "UserPoolClientId": "client_id", "ApiUrl": "api_url"}
MFA_DEVICE_NAME = "secure-serverless-kit"
#: Symbols Cognito's password policy counts, minus quotes, backslash, backtick and $ (easy to mistype or
#: to mangle in a shell).
PASSWORD_SYMBOLS = "!#%*+-.:;=?@^_~"  # noqa: S105 - a character set, not a password
TEMPORARY_PASSWORD_LENGTH = 20
_MAX_CHALLENGES = 8
_USER_AGENT = "secure-serverless-kit-cli"


def stack_name(stage: str) -> str:
    """The reference notes-service stack of ``stage`` (see stacks/notes_service.py)."""
    return STACK_NAME_TEMPLATE.format(stage=stage)


def region_of_pool(user_pool_id: str | None) -> str | None:
    """``"eu-west-1_AbC"`` -> ``"eu-west-1"``; None when it does not look like a pool id."""
    if user_pool_id and "_" in user_pool_id:
        return user_pool_id.split("_", 1)[0] or None
    return None


@dataclass
class Target:
    """Where the kit is deployed: the region, the pool, its app client and the API."""

    region: str
    user_pool_id: str | None = None
    client_id: str | None = None
    api_url: str | None = None


def stack_outputs(cloudformation: Any, name: str) -> dict[str, str]:
    """The outputs of stack ``name``; a clear error when the stack is not there."""
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            region = cloudformation.meta.region_name
            raise KitError(
                f"no stack {name} in {region}: deploy it first (make deploy), or pass --stage/--stack/--region, "
                "or give --user-pool-id and --client-id (and --api-url)"
            ) from None
        raise
    outputs = stacks[0].get("Outputs", []) if stacks else []
    return {o["OutputKey"]: o["OutputValue"] for o in outputs if "OutputKey" in o and "OutputValue" in o}


def fill_from_stack(target: Target, outputs: Mapping[str, str], name: str, needed: Sequence[str]) -> None:
    """Set each missing attribute in ``needed`` from the stack's outputs, or fail naming the output."""
    for key, attribute in OUTPUT_KEYS.items():
        if attribute in needed and not getattr(target, attribute):
            if key not in outputs:
                raise KitError(
                    f"stack {name} has no output {key}: is it the kit's notes-service stack, and is its "
                    "deployment complete?"
                )
            setattr(target, attribute, outputs[key])


def admin_client(region: str) -> Any:
    """A cognito-idp client signed with your AWS credentials (AdminCreateUser and friends)."""
    return boto3.client("cognito-idp", region_name=region, config=Config(user_agent_extra=_USER_AGENT))


def public_client(region: str) -> Any:
    """A cognito-idp client for the public operations: unsigned, so no AWS credentials are needed."""
    config = Config(signature_version=UNSIGNED, user_agent_extra=_USER_AGENT)
    return boto3.client("cognito-idp", region_name=region, config=config)


# ---------------------------------------------------------------------------------------------
# create-user


def generate_temporary_password(length: int = TEMPORARY_PASSWORD_LENGTH) -> str:
    """A random password with upper and lower case letters, digits and symbols (from ``secrets``)."""
    if length < 4:
        raise ValueError("a password needs room for one character of each class")
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS)
    alphabet = "".join(classes)
    chars = [secrets.choice(chars) for chars in classes]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    # Fisher-Yates with a CSPRNG, so the guaranteed characters are not always at the front.
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@dataclass
class CreatedUser:
    email: str
    username: str  # Cognito's internal user name (the `sub`), not secret
    status: str
    groups: list[str]
    temporary_password: str | None  # None when Cognito e-mailed it
    temporary_password_days: int | None


def _password_policy(client: Any, user_pool_id: str) -> dict[str, Any]:
    pool = client.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
    policy: dict[str, Any] = pool.get("Policies", {}).get("PasswordPolicy", {})
    return policy


def create_user(
    client: Any, user_pool_id: str, email: str, *, groups: Sequence[str] = (), send_invite: bool = False
) -> CreatedUser:
    """Create ``email`` (verified) with a one-time temporary password and add it to ``groups``.

    The groups are checked before the user is created, so a typo leaves nothing half done.
    """
    for group in groups:
        try:
            client.get_group(GroupName=group, UserPoolId=user_pool_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise KitError(f"create-user failed: the user pool has no group {group!r}") from None
            raise
    policy = _password_policy(client, user_pool_id)
    validity = policy.get("TemporaryPasswordValidityDays")
    request: dict[str, Any] = {
        "UserPoolId": user_pool_id,
        "Username": email,
        "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    }
    password: str | None = None
    if send_invite:
        request["DesiredDeliveryMediums"] = ["EMAIL"]
    else:
        length = max(TEMPORARY_PASSWORD_LENGTH, int(policy.get("MinimumLength", 0)))
        password = generate_temporary_password(length)
        request["TemporaryPassword"] = password
        request["MessageAction"] = "SUPPRESS"
    try:
        user = client.admin_create_user(**request)["User"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "UsernameExistsException":
            raise KitError(f"create-user failed: a user with the e-mail {email} already exists") from None
        raise
    username = user["Username"]
    for group in groups:
        client.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group)
    return CreatedUser(
        email=email,
        username=username,
        status=user.get("UserStatus", ""),
        groups=list(groups),
        temporary_password=password,
        temporary_password_days=int(validity) if validity is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# sign-in


class SignInPrompts(Protocol):
    """What the sign-in needs from the person (or the automation) signing in."""

    def new_password(self) -> str:
        """A new permanent password (NEW_PASSWORD_REQUIRED)."""
        ...

    def show_mfa_setup(self, secret: str) -> None:
        """Show the new TOTP secret so it can be added to an authenticator app (MFA_SETUP)."""
        ...

    def setup_code(self, secret: str) -> str:
        """A current code of the secret just shown, to confirm the app works (MFA_SETUP)."""
        ...

    def mfa_code(self) -> str:
        """A current code of the user's authenticator (SOFTWARE_TOKEN_MFA)."""
        ...


@dataclass
class SignInResult:
    tokens: dict[str, Any]  # Cognito's AuthenticationResult
    challenges: list[str]  # the challenges answered, in order
    mfa_set_up: bool


def sign_in(
    client: Any,
    *,
    user_pool_id: str,
    client_id: str,
    email: str,
    password: str,
    prompts: SignInPrompts,
    srp: SrpClient | None = None,
) -> SignInResult:
    """USER_SRP_AUTH, then answer Cognito's challenges until it hands out tokens.

    Handles PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED, MFA_SETUP (TOTP) and SOFTWARE_TOKEN_MFA.
    After a TOTP setup, TOTP is made the user's preferred MFA.
    """
    srp = srp or SrpClient(user_pool_id)
    response = client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": email, "SRP_A": srp.srp_a}
    )
    username = email
    answered: list[str] = []
    mfa_set_up = False

    def respond(name: str, session: str | None, responses: dict[str, str]) -> dict[str, Any]:
        request: dict[str, Any] = {"ClientId": client_id, "ChallengeName": name, "ChallengeResponses": responses}
        if session:
            request["Session"] = session
        answered.append(name)
        result: dict[str, Any] = client.respond_to_auth_challenge(**request)
        return result

    for _ in range(_MAX_CHALLENGES):
        if "AuthenticationResult" in response:
            break
        name = response.get("ChallengeName")
        params: dict[str, Any] = response.get("ChallengeParameters") or {}
        session = response.get("Session")
        if isinstance(params.get("USER_ID_FOR_SRP"), str):
            username = params["USER_ID_FOR_SRP"]
        elif name != "PASSWORD_VERIFIER" and isinstance(params.get("USERNAME"), str):
            username = params["USERNAME"]
        if name == "PASSWORD_VERIFIER":
            response = respond(name, session, srp.password_verifier_responses(params, password))
        elif name == "NEW_PASSWORD_REQUIRED":
            response = respond(name, session, {"USERNAME": username, "NEW_PASSWORD": prompts.new_password()})
        elif name == "MFA_SETUP":
            can_setup = params.get("MFAS_CAN_SETUP")
            if can_setup is not None and "SOFTWARE_TOKEN_MFA" not in str(can_setup):
                raise KitError(f"sign-in failed: the pool asks for an MFA setup this script cannot do ({can_setup})")
            association = client.associate_software_token(Session=session)
            secret = association["SecretCode"]
            session = association.get("Session", session)
            prompts.show_mfa_setup(secret)
            verified = client.verify_software_token(
                Session=session, UserCode=prompts.setup_code(secret), FriendlyDeviceName=MFA_DEVICE_NAME
            )
            if verified.get("Status") != "SUCCESS":
                raise KitError("MFA setup failed: Cognito did not accept the code; run sign-in again")
            response = respond(name, verified.get("Session", session), {"USERNAME": username})
            mfa_set_up = True
        elif name == "SOFTWARE_TOKEN_MFA":
            code = prompts.mfa_code()
            response = respond(name, session, {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code})
        elif name == "SELECT_MFA_TYPE":
            response = respond(name, session, {"USERNAME": username, "ANSWER": "SOFTWARE_TOKEN_MFA"})
        else:
            raise KitError(
                f"sign-in failed: Cognito asked for {name or 'an unknown challenge'}, which this script does not handle"
            )
    else:
        raise KitError("sign-in failed: too many challenges from Cognito")

    tokens: dict[str, Any] = response["AuthenticationResult"]
    if mfa_set_up:
        client.set_user_mfa_preference(
            AccessToken=tokens["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    return SignInResult(tokens=tokens, challenges=answered, mfa_set_up=mfa_set_up)


def token_record(
    target: Target, tokens: Mapping[str, Any], *, previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What the token file stores: the tokens and where they are valid (no password, no TOTP secret)."""
    previous = previous or {}
    return {
        "Region": target.region,
        "UserPoolId": target.user_pool_id,
        "ClientId": target.client_id,
        "ApiUrl": target.api_url,
        "IdToken": tokens["IdToken"],
        "AccessToken": tokens["AccessToken"],
        # A refresh returns no new refresh token (unless rotation is on): keep the one we have.
        "RefreshToken": tokens.get("RefreshToken") or previous.get("RefreshToken"),
        "ExpiresAt": int(time.time()) + int(tokens.get("ExpiresIn", 0)),
    }


def refresh(client: Any, client_id: str, refresh_token: str) -> dict[str, Any]:
    """New ID and access tokens from the refresh token (REFRESH_TOKEN_AUTH)."""
    response = client.initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
    )
    tokens: dict[str, Any] = response["AuthenticationResult"]
    return tokens


def sign_out(client: Any, record: Mapping[str, Any], *, everywhere: bool) -> None:
    """Revoke this session's refresh token, or (``everywhere``) every session of the user (GlobalSignOut)."""
    if everywhere:
        client.global_sign_out(AccessToken=record["AccessToken"])
    else:
        client.revoke_token(Token=record["RefreshToken"], ClientId=record["ClientId"])


# ---------------------------------------------------------------------------------------------
# errors


def _message(error: ClientError) -> tuple[str, str]:
    details = error.response.get("Error", {})
    return str(details.get("Code", "")), str(details.get("Message", "")).strip()


def explain(error: ClientError, action: str) -> str:
    """One line for an AWS error: what failed and what to do (never a token or a password)."""
    code, message = _message(error)
    lowered = message.lower()
    if action == "sign-in":
        if code == "UserNotFoundException" or (code == "NotAuthorizedException" and "incorrect" in lowered):
            return "sign-in failed: incorrect e-mail or password"
        if code == "NotAuthorizedException":
            if "attempts exceeded" in lowered:
                return "sign-in failed: too many failed attempts; wait a few minutes and try again"
            if "disabled" in lowered:
                return "sign-in failed: this account is disabled; ask an administrator"
            if "temporary password has expired" in lowered:
                return (
                    "sign-in failed: the temporary password has expired; an administrator must set a new one "
                    "(aws cognito-idp admin-set-user-password --no-permanent ...)"
                )
            if "session" in lowered:
                return "sign-in failed: the sign-in session expired (each step has 3 minutes); run sign-in again"
            return f"sign-in failed: {message or 'not authorized'}"
        if code == "CodeMismatchException":
            return "sign-in failed: wrong authenticator code (check the device's clock and use the current code)"
        if code == "ExpiredCodeException":
            return "sign-in failed: the authenticator code was already used or has expired; wait for the next code"
        if code == "EnableSoftwareTokenMFAException":
            return "MFA setup failed: the code did not match the new secret; run sign-in again and add the new secret"
        if code == "InvalidPasswordException":
            return f"sign-in failed: the new password does not meet the pool's policy ({message}); run sign-in again"
        if code == "PasswordResetRequiredException":
            return "sign-in failed: an administrator reset your password; ask them for a new temporary password"
        if code == "UserNotConfirmedException":
            return "sign-in failed: the account is not confirmed; ask an administrator"
        if code == "ResourceNotFoundException":
            return (
                "sign-in failed: the app client or the sign-in session was not found; check --client-id/--region "
                "(or the stack outputs) and run sign-in again"
            )
    if action == "create-user" and code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
        return (
            "create-user failed: your AWS credentials may not manage this user pool "
            "(cognito-idp:AdminCreateUser, AdminAddUserToGroup, GetGroup, DescribeUserPool)"
        )
    if action in ("call", "sign-out") and code == "NotAuthorizedException":
        return f"{action} failed: your session has expired or was revoked; sign in again"
    if code in ("TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"):
        return f"{action} failed: too many requests; wait a moment and try again"
    return f"{action} failed: {code or 'error'}: {message}" if message else f"{action} failed: {code or 'error'}"
