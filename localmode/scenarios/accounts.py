"""Accounts: how a user comes to hold tokens (admin-only sign-up, forced password change,
TOTP MFA) and the password policy."""

from __future__ import annotations

import secrets

from kit_auth.cognito import generate_temporary_password
from kit_auth.totp import totp

from .demo import Demo
from .model import Run, error_text, jwt_parts


def sign_in(demo: Demo, run: Run) -> None:
    email = f"carol-{secrets.token_hex(3)}@example.com"
    sub, temporary = demo.create_user(email)
    run.check(
        f"AdminCreateUser {email} (operator; the pool allows no self sign-up)",
        f"user {sub[:8]}... with a temporary password, status FORCE_CHANGE_PASSWORD",
        "user created",
        bool(sub),
    )
    password = generate_temporary_password()
    tokens, secret = demo.first_sign_in(email, temporary, password)
    run.check(
        "first sign-in: temporary password -> new password -> TOTP enrolment (MFA is ON)",
        f"tokens: {sorted(tokens)}",
        "NEW_PASSWORD_REQUIRED, then MFA_SETUP, then tokens",
        "IdToken" in tokens,
    )
    answer = demo._initiate(email, password)
    challenge = answer.get("ChallengeName")
    run.check(
        "sign-in with the right password only",
        f"challenge {challenge}",
        "the TOTP challenge, no tokens yet",
        challenge == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in answer,
    )
    wrong = f"{(int(totp(secret)) + 1) % 10**6:06d}"
    try:
        demo._respond("SOFTWARE_TOKEN_MFA", answer["Session"], {"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": wrong})
        outcome = "tokens issued"
    except Exception as error:  # botocore ClientError
        outcome = error_text(error)
    run.check(
        "answer the TOTP challenge with a wrong code", outcome, "CodeMismatchException", "CodeMismatch" in outcome
    )
    tokens = demo.sign_in(email, password, demo.code(secret))
    header, claims = jwt_parts(tokens["IdToken"])
    run.check(
        "sign-in: password + the current TOTP code",
        f"ID token {header.get('alg')} iss={claims.get('iss')} token_use={claims.get('token_use')}",
        "an RS256 ID token issued by the pool",
        header.get("alg") == "RS256" and claims.get("iss") == demo.target.issuer and claims.get("token_use") == "id",
    )


def weak_password(demo: Demo, run: Run) -> None:
    email = f"dave-{secrets.token_hex(3)}@example.com"
    _, temporary = demo.create_user(email)
    answer = demo._initiate(email, temporary)
    for weak in ("password", "Password1234", "alllowercase-but-long-1!"):
        try:
            demo._respond("NEW_PASSWORD_REQUIRED", answer["Session"], {"USERNAME": email, "NEW_PASSWORD": weak})
            outcome = "accepted"
        except Exception as error:
            outcome = error_text(error)
        run.check(
            f"choose the new password {weak!r}", outcome, "InvalidPasswordException", "InvalidPassword" in outcome
        )
