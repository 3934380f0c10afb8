"""Time-based one-time passwords (RFC 6238) as Cognito's software-token MFA uses them.

HMAC-SHA1, 30-second steps, 6 digits, secrets in base32 (what authenticator apps expect).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable

from . import KitError

STEP_SECONDS = 30
DIGITS = 6


def decode_secret(secret: str) -> bytes:
    """A base32 secret as apps show it (any case, spaces allowed, padding optional) -> key bytes."""
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError) as error:
        raise KitError("the TOTP secret is not valid base32 (letters A-Z and digits 2-7)") from error


def hotp(key: bytes, counter: int, *, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP with HMAC-SHA1 and dynamic truncation."""
    digest = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    binary = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def totp(secret: str, *, at: float | None = None, digits: int = DIGITS, step: int = STEP_SECONDS) -> str:
    """The code of ``secret`` (base32) for the time step that contains ``at`` (default: now)."""
    moment = time.time() if at is None else at
    return hotp(decode_secret(secret), int(moment // step), digits=digits)


def current_code(
    secret: str,
    *,
    min_remaining: float = 3.0,
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


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=...&issuer=...``: what authenticator apps scan."""
    label = urllib.parse.quote(f"{issuer}:{account}", safe=":@")
    query = urllib.parse.urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS},
        quote_via=urllib.parse.quote,
    )
    return f"otpauth://totp/{label}?{query}"
