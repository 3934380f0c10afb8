"""AWS Cognito's SRP-6a sign-in (USER_SRP_AUTH), client side, through pycognito's ``AWSSRP``.

The password never leaves this machine: the client proves it knows the password by signing a
server challenge with a key both sides derive from the SRP exchange (3072-bit group of RFC 5054,
SHA-256, HKDF "Caldera Derived Key"). The arithmetic is pycognito's (a maintained client used by
many Cognito tools); this module only checks Cognito's challenge before it reaches the library
and turns what can go wrong into ``KitError`` messages that say what happened.
``tests/scripts/test_kit_user_crypto.py`` checks the proofs against an independent server side of
the protocol (moto accepts any proof).
"""

from __future__ import annotations

import binascii
from datetime import UTC, datetime
from typing import Any

from pycognito.aws_srp import AWSSRP, G_HEX, N_HEX, hex_hash, hex_to_long, long_to_hex
from pycognito.aws_srp import pad_hex as _pycognito_pad_hex

from . import KitError

N = hex_to_long(N_HEX)
G = hex_to_long(G_HEX)
#: The multiplier k = H(pad(N) | pad(g)), as pycognito derives it.
K = hex_to_long(hex_hash("00" + N_HEX + "0" + G_HEX))
_CHALLENGE_KEYS = ("USER_ID_FOR_SRP", "SALT", "SRP_B", "SECRET_BLOCK")


def _salt(salt_hex: str) -> str:
    """The salt as the number Cognito's SDKs read it (``new BigInteger(SALT, 16)``).

    pycognito hashes the hex string as given, so a salt with leading zero bytes would give
    another key than Cognito's; normalized, pycognito pads it as the SDKs do.
    """
    return format(int(salt_hex, 16), "x")


class _NoClient:
    """AWSSRP's own ``authenticate_user`` is never used: the kit runs the challenge loop itself."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"kit_auth drives Cognito itself; AWSSRP.client.{name} is not available")


def pad_hex(n: int) -> str:
    """Big-endian hex of ``n`` as Java's ``BigInteger.toByteArray``: 127 -> "7f", 128 -> "0080"."""
    return str(_pycognito_pad_hex(n)).lower()


def pool_name(user_pool_id: str) -> str:
    """``"eu-west-1_AbC123"`` -> ``"AbC123"`` (what Cognito mixes into x and the signature)."""
    region, sep, name = user_pool_id.partition("_")
    if not sep or not region or not name:
        raise KitError(f"user pool id {user_pool_id!r} is not of the form <region>_<id>, e.g. eu-west-1_AbC123")
    return name


def cognito_timestamp(now: datetime | None = None) -> str:
    """``"Tue Mar 5 09:04:03 UTC 2024"``: Cognito's TIMESTAMP (day not zero-padded, English names)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return str(AWSSRP.get_cognito_formatted_timestamp(moment))


class SrpClient:
    """One SRP exchange: ``srp_a`` is the SRP_A of InitiateAuth; then answer PASSWORD_VERIFIER.

    :param user_pool_id: the pool, e.g. ``eu-west-1_AbC123``.
    :param small_a: the ephemeral secret a. Default: pycognito's (128 random bytes from
        ``os.urandom``); only tests pass one.
    """

    def __init__(self, user_pool_id: str, small_a: int | None = None) -> None:
        pool_name(user_pool_id)  # fail early on a malformed pool id
        self.user_pool_id = user_pool_id
        self._srp = AWSSRP(username="", password="", pool_id=user_pool_id, client_id="", client=_NoClient())
        if small_a is not None:
            self._srp.small_a_value = small_a
            self._srp.large_a_value = self._srp.calculate_a()

    @property
    def srp_a(self) -> str:
        """A as Cognito's SDKs send it (plain hex)."""
        return str(long_to_hex(self._srp.large_a_value))

    def session_key(self, *, user_id_for_srp: str, password: str, salt_hex: str, srp_b_hex: str) -> bytes:
        """The 16-byte key derived from the exchange (the server derives the same one from its verifier)."""
        big_b = self._checked_b(srp_b_hex, salt_hex)
        try:
            key: bytes = self._srp.get_password_authentication_key(user_id_for_srp, password, big_b, _salt(salt_hex))
        except ValueError as error:  # pycognito: "U cannot be zero."
            raise KitError(f"sign-in failed: invalid SRP exchange ({error}); try again") from None
        return key

    def password_verifier_responses(self, challenge_parameters: dict[str, str], password: str) -> dict[str, str]:
        """ChallengeResponses of the PASSWORD_VERIFIER challenge (USERNAME is Cognito's internal name)."""
        for name in _CHALLENGE_KEYS:
            if name not in challenge_parameters:
                raise KitError(f"sign-in failed: Cognito's SRP challenge lacks {name}")
        self._checked_b(challenge_parameters["SRP_B"], challenge_parameters["SALT"])
        self._srp.password = password
        try:
            responses: dict[str, str] = self._srp.process_challenge(
                {**challenge_parameters, "SALT": _salt(challenge_parameters["SALT"])},
                {"USERNAME": challenge_parameters["USER_ID_FOR_SRP"]},
            )
        except (binascii.Error, ValueError) as error:
            raise KitError(f"sign-in failed: Cognito sent a malformed SRP challenge ({error})") from None
        finally:
            self._srp.password = ""
        return responses

    @staticmethod
    def _checked_b(srp_b_hex: str, salt_hex: str) -> int:
        try:
            big_b = int(srp_b_hex, 16)
            int(salt_hex, 16)
        except ValueError:
            raise KitError("sign-in failed: Cognito sent a malformed SRP challenge (SRP_B or SALT)") from None
        if big_b % N == 0:
            raise KitError("sign-in failed: Cognito sent an invalid SRP challenge (B mod N is zero)")
        return big_b
