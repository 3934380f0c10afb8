"""AWS Cognito's variant of SRP-6a (USER_SRP_AUTH), client side.

The password never leaves this machine: the client proves it knows the password by signing a
server challenge with a key both sides derive from the SRP exchange. Cognito's variant, as its
own SDKs implement it:

- group: the 3072-bit prime of RFC 5054 (= RFC 3526 group 15), generator g = 2, hash SHA-256;
- numbers are hashed in the "padded hex" form of Java's ``BigInteger.toByteArray``: big-endian,
  with a leading zero byte when the top bit is set (so the value reads as positive);
- k = H(pad(N) | pad(g)), u = H(pad(A) | pad(B));
- x = H(pad(salt) | H(<pool name> <user id for SRP> ":" <password>)), where the pool name is the
  part of the user pool id after the underscore;
- S = (B - k * g^x) ^ (a + u * x) mod N;
- key = HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key"), first 16 bytes;
- PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key, pool name | user id | secret block | timestamp)).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import KitError

# RFC 5054, appendix A, the 3072-bit group (the same prime as RFC 3526 group 15).
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
HKDF_INFO = b"Caldera Derived Key\x01"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad(n: int) -> bytes:
    """Big-endian bytes of a non-negative ``n`` as Java's ``BigInteger.toByteArray`` (sign bit kept 0)."""
    if n < 0:
        raise ValueError("SRP values are non-negative")
    return n.to_bytes(n.bit_length() // 8 + 1, "big")


def pad_hex(n: int) -> str:
    """``pad(n)`` as lowercase hex: 127 -> "7f", 128 -> "0080"."""
    return pad(n).hex()


def _h(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"".join(parts)).digest(), "big")


#: The multiplier k = H(pad(N) | pad(g)).
K = _h(pad(N), pad(G))


def compute_u(big_a: int, big_b: int) -> int:
    """The scrambling parameter u = H(pad(A) | pad(B))."""
    return _h(pad(big_a), pad(big_b))


def pool_name(user_pool_id: str) -> str:
    """``"eu-west-1_AbC123"`` -> ``"AbC123"`` (what Cognito mixes into x and the signature)."""
    region, sep, name = user_pool_id.partition("_")
    if not sep or not region or not name:
        raise KitError(f"user pool id {user_pool_id!r} is not of the form <region>_<id>, e.g. eu-west-1_AbC123")
    return name


def compute_x(salt: int, user_pool_id: str, user_id_for_srp: str, password: str) -> int:
    """The private key x = H(pad(salt) | H(pool name | user id | ":" | password))."""
    inner = hashlib.sha256(f"{pool_name(user_pool_id)}{user_id_for_srp}:{password}".encode()).digest()
    return _h(pad(salt), inner)


def hkdf_key(shared_secret: int, u: int) -> bytes:
    """Cognito's 16-byte authentication key: one HKDF-SHA256 block over pad(S) with pad(u) as salt."""
    prk = hmac.new(pad(u), pad(shared_secret), hashlib.sha256).digest()
    return hmac.new(prk, HKDF_INFO, hashlib.sha256).digest()[:16]


def cognito_timestamp(now: datetime | None = None) -> str:
    """``"Tue Mar 5 09:04:03 UTC 2024"``: Cognito's TIMESTAMP, day not zero-padded, English names."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return (
        f"{_WEEKDAYS[now.weekday()]} {_MONTHS[now.month - 1]} {now.day} "
        f"{now.hour:02d}:{now.minute:02d}:{now.second:02d} UTC {now.year}"
    )


def _decode_secret_block(secret_block: str) -> bytes:
    """SECRET_BLOCK is base64 (Cognito's SDKs also accept the URL-safe alphabet and missing padding)."""
    padded = secret_block + "=" * (-len(secret_block) % 4)
    try:
        return base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError) as error:
        raise KitError("sign-in failed: Cognito sent a malformed SRP challenge (SECRET_BLOCK)") from error


@dataclass
class SrpClient:
    """One SRP exchange: make ``srp_a`` the SRP_A of InitiateAuth, then answer PASSWORD_VERIFIER.

    :param user_pool_id: the pool, e.g. ``eu-west-1_AbC123``.
    :param small_a: the ephemeral secret a. Default: 128 random bytes from ``secrets`` (only tests
        pass one).
    """

    user_pool_id: str
    small_a: int = field(default_factory=lambda: secrets.randbits(1024) or 1, repr=False)

    def __post_init__(self) -> None:
        pool_name(self.user_pool_id)  # fail early on a malformed pool id
        self.big_a = pow(G, self.small_a, N)
        if self.big_a % N == 0:  # pragma: no cover - impossible for 0 < a < N-1, kept as the protocol demands
            raise KitError("SRP: A mod N is zero; try again")

    @property
    def srp_a(self) -> str:
        """A as Cognito's SDKs send it (plain hex, no padding)."""
        return format(self.big_a, "x")

    def session_key(self, *, user_id_for_srp: str, password: str, salt_hex: str, srp_b_hex: str) -> bytes:
        """The 16-byte key derived from the exchange (the server derives the same one from its verifier)."""
        try:
            big_b = int(srp_b_hex, 16)
            salt = int(salt_hex, 16)
        except ValueError as error:
            raise KitError("sign-in failed: Cognito sent a malformed SRP challenge (SRP_B or SALT)") from error
        if big_b % N == 0:
            raise KitError("sign-in failed: Cognito sent an invalid SRP challenge (B mod N is zero)")
        u = compute_u(self.big_a, big_b)
        if u == 0:
            raise KitError("sign-in failed: invalid SRP exchange (u is zero); try again")
        x = compute_x(salt, self.user_pool_id, user_id_for_srp, password)
        base = (big_b - K * pow(G, x, N)) % N
        shared_secret = pow(base, self.small_a + u * x, N)
        return hkdf_key(shared_secret, u)

    def password_verifier_responses(
        self,
        challenge_parameters: dict[str, str],
        password: str,
        *,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """ChallengeResponses of the PASSWORD_VERIFIER challenge (USERNAME is the USER_ID_FOR_SRP)."""
        try:
            user_id = challenge_parameters["USER_ID_FOR_SRP"]
            salt_hex = challenge_parameters["SALT"]
            srp_b_hex = challenge_parameters["SRP_B"]
            secret_block = challenge_parameters["SECRET_BLOCK"]
        except KeyError as missing:
            raise KitError(f"sign-in failed: Cognito's SRP challenge lacks {missing.args[0]}") from None
        key = self.session_key(user_id_for_srp=user_id, password=password, salt_hex=salt_hex, srp_b_hex=srp_b_hex)
        timestamp = cognito_timestamp(now)
        message = (
            pool_name(self.user_pool_id).encode()
            + user_id.encode()
            + _decode_secret_block(secret_block)
            + timestamp.encode()
        )
        signature = base64.standard_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        return {
            "USERNAME": user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
        }
