"""Time-based one-time passwords (RFC 6238) as Cognito's software-token MFA uses them.

HMAC-SHA1, 30-second steps, 6 digits, secrets in base32 (what authenticator apps expect). The
codes come from ``cryptography``'s TOTP; this module adds what Cognito users need around it
(lenient base32, waiting out the last seconds of a step, ``otpauth://`` URIs).
"""

from __future__ import annotations

import base64
import binascii
import time
import urllib.parse
from collections.abc import Callable

from . import KitError

STEP_SECONDS = 30
#: Seconds a code must stay current to reach Cognito in time: a code nearer its step's end waits.
MIN_REMAINING_SECONDS = 3.0
DIGITS = 6


def decode_secret(secret: str) -> bytes:
    """A base32 secret as apps show it (any case, spaces allowed, padding optional) -> key bytes."""
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as error:
        raise KitError("the TOTP secret is not valid base32 (letters A-Z and digits 2-7)") from error


def totp(secret: str, *, at: float | None = None, digits: int = DIGITS, step: int = STEP_SECONDS) -> str:
    """The code of ``secret`` (base32) for the time step that contains ``at`` (default: now).

    The RFC 6238 computation is the ``cryptography`` package's; Cognito's secrets are long enough
    for its key-length rule, short test secrets are allowed too.
    """
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    moment = time.time() if at is None else at
    generator = TOTP(decode_secret(secret), digits, SHA1(), step, enforce_key_length=False)  # noqa: S303 - RFC 6238
    return generator.generate(int(moment)).decode("ascii")


def current_code(
    secret: str,
    *,
    min_remaining: float = MIN_REMAINING_SECONDS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """The code for now; when its step ends within ``min_remaining`` seconds, wait for the next one.

    A code computed in the last second of its step is often stale when it reaches Cognito.
    """
    now = clock()
    remaining = STEP_SECONDS - (now % STEP_SECONDS)
    if remaining < min_remaining:
        sleep(remaining + 0.05)
        now = clock()
    return totp(secret, at=now)


class SingleUseCodes:
    """Codes for a verifier that, as RFC 6238 asks (section 5.2), accepts each code only once.

    ``code(secret)`` never returns a code it returned before for the same secret: when the
    current step's code was already sent, it waits for the next step. Cognito refuses a reused
    code, so a client signing the same user in twice within 30 seconds must wait.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._sent: dict[str, str] = {}

    def code(self, secret: str) -> str:
        code = current_code(secret, clock=self._clock, sleep=self._sleep)
        while code == self._sent.get(secret):
            self._sleep(STEP_SECONDS - self._clock() % STEP_SECONDS + 0.2)
            code = current_code(secret, clock=self._clock, sleep=self._sleep)
        self._sent[secret] = code
        return code


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=...&issuer=...``: what authenticator apps scan."""
    label = urllib.parse.quote(f"{issuer}:{account}", safe=":@")
    query = urllib.parse.urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS},
        quote_via=urllib.parse.quote,
    )
    return f"otpauth://totp/{label}?{query}"
