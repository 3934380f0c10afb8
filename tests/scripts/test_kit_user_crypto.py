"""The math of kit_auth: Cognito's SRP-6a variant, RFC 6238 TOTP, Cognito's timestamp, passwords.

Moto does not check the SRP proof (it accepts any PASSWORD_CLAIM_SIGNATURE), so the proof that
kit_auth produces through pycognito's AWSSRP is checked here against a server side of the
protocol written in this file from the password
verifier (v = g^x), the way Cognito holds it: the server never sees the password, and it accepts
the client's signature only if both derived the same key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import secrets
import string
import urllib.parse
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kit_auth import KitError, srp, totp
from kit_auth.cognito import PASSWORD_SYMBOLS, generate_temporary_password

POOL_ID = "eu-west-1_AbCdEf123"
USER_ID = "8a1c3d5e-0000-4000-8000-0123456789ab"
PASSWORD = "Correct-Horse-42-Battery"


# ---------------------------------------------------------------------------------------------
# the group


def _pi_fixed_point(bits: int) -> int:
    """floor(pi * 2**bits) via Machin's formula (pi = 16 atan(1/5) - 4 atan(1/239)), 64 guard bits."""
    guard = 64
    one = 1 << (bits + guard)

    def arctan_inverse(x: int) -> int:
        total, term, n, sign = 0, one // x, 1, 1
        x2 = x * x
        while term:
            total += sign * (term // n)
            term //= x2
            n += 2
            sign = -sign
        return total

    return (16 * arctan_inverse(5) - 4 * arctan_inverse(239)) >> guard


def test_n_is_the_rfc_5054_3072_bit_prime_derived_from_pi() -> None:
    """RFC 3526 group 15 / RFC 5054 3072-bit: p = 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 pi) + 1690314)."""
    expected = 2**3072 - 2**3008 - 1 + 2**64 * (_pi_fixed_point(2942) + 1690314)
    assert expected == srp.N
    assert srp.N.bit_length() == 3072
    assert srp.G == 2


def test_n_is_a_safe_prime() -> None:
    """Fermat checks of N and (N-1)/2 with a few bases (a wrong digit in N_HEX would fail them)."""
    q = (srp.N - 1) // 2
    for base in (2, 3):
        assert pow(base, srp.N - 1, srp.N) == 1
        assert pow(base, q - 1, q) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    # Java's BigInteger.valueOf(i).toByteArray() as hex (the table in aws-amplify's getPaddedHex test).
    [(0, "00"), (1, "01"), (15, "0f"), (127, "7f"), (128, "0080"), (255, "00ff"), (256, "0100"), (32767, "7fff")],
)
def test_pad_hex_is_javas_two_complement_form(value: int, expected: str) -> None:
    assert srp.pad_hex(value) == expected


def test_k_is_the_hash_of_padded_n_and_g() -> None:
    # N's top bit is set, so its padded form gains a zero byte; g = 2 is one byte.
    assert srp.N_HEX.startswith("FF")
    digest = hashlib.sha256(bytes.fromhex("00" + srp.N_HEX + "02")).hexdigest()
    assert int(digest, 16) == srp.K


def test_pool_name_is_the_part_after_the_region() -> None:
    assert srp.pool_name(POOL_ID) == "AbCdEf123"
    with pytest.raises(KitError, match="not of the form"):
        srp.pool_name("AbCdEf123")


# ---------------------------------------------------------------------------------------------
# a server side of Cognito's SRP, written from the protocol


def _padded(n: int) -> bytes:
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return b"\x00" + raw if raw[0] & 0x80 else raw


def _sha(*parts: bytes) -> int:
    return int(hashlib.sha256(b"".join(parts)).hexdigest(), 16)


class FakeCognitoServer:
    """Holds only the verifier v = g^x of the password; derives the key from A, v and its secret b."""

    def __init__(self, password: str, *, salt: bytes, rng: random.Random) -> None:
        self.salt_hex = salt.hex()
        name = POOL_ID.split("_", 1)[1]
        inner = hashlib.sha256(f"{name}{USER_ID}:{password}".encode()).digest()
        x = _sha(_padded(int(self.salt_hex, 16)), inner)
        self.verifier = pow(2, x, srp.N)
        del password, x  # the server keeps the verifier only
        self.k = _sha(_padded(srp.N), _padded(2))
        self.b = rng.getrandbits(1024) | 1
        self.big_b = (self.k * self.verifier + pow(2, self.b, srp.N)) % srp.N
        self.secret_block = base64.b64encode(rng.randbytes(64)).decode()

    def challenge(self) -> dict[str, str]:
        return {
            "SALT": self.salt_hex,
            "SRP_B": format(self.big_b, "x"),
            "USER_ID_FOR_SRP": USER_ID,
            "USERNAME": USER_ID,
            "SECRET_BLOCK": self.secret_block,
        }

    def key(self, srp_a_hex: str) -> bytes:
        big_a = int(srp_a_hex, 16)
        assert big_a % srp.N != 0
        u = _sha(_padded(big_a), _padded(self.big_b))
        shared = pow(big_a * pow(self.verifier, u, srp.N), self.b, srp.N)
        prk = hmac.new(_padded(u), _padded(shared), hashlib.sha256).digest()
        return hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]

    def accepts(self, srp_a_hex: str, responses: dict[str, str]) -> bool:
        message = (
            POOL_ID.split("_", 1)[1].encode()
            + responses["USERNAME"].encode()
            + base64.b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
            + responses["TIMESTAMP"].encode()
        )
        expected = base64.b64encode(hmac.new(self.key(srp_a_hex), message, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, responses["PASSWORD_CLAIM_SIGNATURE"])


def _rng(seed: int) -> random.Random:
    """Seeded, for reproducible protocol runs (the client under test draws its own secrets)."""
    return random.Random(seed)  # noqa: S311 - test data, not a secret


# Salts with and without the top bit set, so the padding of the salt is exercised both ways.
SALTS = [
    bytes.fromhex("00" * 15 + "01"),
    bytes.fromhex("ff" * 16),
    bytes.fromhex("7f" + "a5" * 15),
    b"\x80" + b"\x11" * 15,
]


@pytest.mark.parametrize("salt", SALTS, ids=lambda s: s.hex()[:4])
@pytest.mark.parametrize("seed", [1, 2])
def test_server_derives_the_same_key_and_accepts_the_signature(salt: bytes, seed: int) -> None:
    rng = _rng(seed)
    server = FakeCognitoServer(PASSWORD, salt=salt, rng=rng)
    client = srp.SrpClient(POOL_ID, small_a=rng.getrandbits(1024))
    responses = client.password_verifier_responses(server.challenge(), PASSWORD)
    key = client.session_key(
        user_id_for_srp=USER_ID, password=PASSWORD, salt_hex=server.salt_hex, srp_b_hex=format(server.big_b, "x")
    )
    assert key == server.key(client.srp_a)
    assert len(key) == 16
    assert server.accepts(client.srp_a, responses)
    assert responses["USERNAME"] == USER_ID
    assert responses["PASSWORD_CLAIM_SECRET_BLOCK"] == server.secret_block


def test_server_refuses_a_wrong_password() -> None:
    rng = _rng(7)
    server = FakeCognitoServer(PASSWORD, salt=SALTS[1], rng=rng)
    client = srp.SrpClient(POOL_ID)
    responses = client.password_verifier_responses(server.challenge(), PASSWORD + "x")
    assert not server.accepts(client.srp_a, responses)


def test_fresh_ephemeral_values_and_a_still_valid_proof() -> None:
    server = FakeCognitoServer(PASSWORD, salt=SALTS[2], rng=_rng(11))
    first, second = srp.SrpClient(POOL_ID), srp.SrpClient(POOL_ID)
    assert first.srp_a != second.srp_a
    assert 0 < int(first.srp_a, 16) < srp.N
    assert server.accepts(first.srp_a, first.password_verifier_responses(server.challenge(), PASSWORD))


def test_signature_covers_the_timestamp() -> None:
    server = FakeCognitoServer(PASSWORD, salt=SALTS[0], rng=_rng(5))
    client = srp.SrpClient(POOL_ID, small_a=12345678901234567890)
    responses = client.password_verifier_responses(server.challenge(), PASSWORD)
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}", responses["TIMESTAMP"])
    assert server.accepts(client.srp_a, responses)
    tampered = {**responses, "TIMESTAMP": responses["TIMESTAMP"].replace(" UTC ", " GMT ")}
    assert not server.accepts(client.srp_a, tampered)


def test_b_that_is_zero_mod_n_is_refused() -> None:
    client = srp.SrpClient(POOL_ID)
    challenge = {"SALT": "ab", "SRP_B": format(srp.N * 2, "x"), "USER_ID_FOR_SRP": USER_ID, "SECRET_BLOCK": "AAAA"}
    with pytest.raises(KitError, match="B mod N is zero"):
        client.password_verifier_responses(challenge, PASSWORD)


def test_incomplete_challenge_is_a_clear_error() -> None:
    with pytest.raises(KitError, match="lacks SRP_B"):
        srp.SrpClient(POOL_ID).password_verifier_responses({"SALT": "ab", "USER_ID_FOR_SRP": USER_ID}, PASSWORD)


# ---------------------------------------------------------------------------------------------
# timestamp


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 3, 5, 9, 4, 3, tzinfo=UTC), "Tue Mar 5 09:04:03 UTC 2024"),
        (datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC), "Sun Dec 31 23:59:59 UTC 2023"),
        (datetime(2025, 1, 15, 0, 0, 0, tzinfo=UTC), "Wed Jan 15 00:00:00 UTC 2025"),
        # Converted to UTC first: 01:30 at +02:00 is 23:30 UTC the day before.
        (datetime(2024, 7, 1, 1, 30, 0, tzinfo=timezone(timedelta(hours=2))), "Sun Jun 30 23:30:00 UTC 2024"),
    ],
)
def test_cognito_timestamp(moment: datetime, expected: str) -> None:
    assert srp.cognito_timestamp(moment) == expected


def test_timestamp_of_now_has_cognitos_shape() -> None:
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}", srp.cognito_timestamp())


# ---------------------------------------------------------------------------------------------
# TOTP

RFC_6238_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "expected"),
    # RFC 6238, appendix B, SHA1 column.
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_rfc_6238_vectors(at: int, expected: str) -> None:
    assert totp.totp(RFC_6238_SECRET, at=at, digits=8) == expected
    assert totp.totp(RFC_6238_SECRET, at=at) == expected[-6:]


def test_totp_secret_tolerates_case_spaces_and_missing_padding() -> None:
    spaced = " ".join(RFC_6238_SECRET.lower().rstrip("=")[i : i + 4] for i in range(0, 32, 4))
    assert totp.totp(spaced, at=59) == "287082"
    # Moto's secret, 12 base32 characters without padding.
    assert len(totp.totp("asdfasdfasdf", at=59)) == 6


def test_totp_secret_that_is_not_base32_is_a_clear_error() -> None:
    with pytest.raises(KitError, match="not valid base32"):
        totp.totp("not base32 at all: 0189!", at=59)


def test_current_code_waits_for_the_next_step_near_the_end_of_one() -> None:
    times = iter([89.5, 90.6])
    slept: list[float] = []
    code = totp.current_code(RFC_6238_SECRET, clock=lambda: next(times), sleep=slept.append)
    assert slept and 0.5 <= slept[0] <= 0.6
    assert code == totp.totp(RFC_6238_SECRET, at=90.6)
    assert code != totp.totp(RFC_6238_SECRET, at=89.5)


def test_current_code_does_not_wait_early_in_a_step() -> None:
    slept: list[float] = []
    assert totp.current_code(RFC_6238_SECRET, clock=lambda: 61.0, sleep=slept.append) == totp.totp(
        RFC_6238_SECRET, at=61.0
    )
    assert slept == []


def test_single_use_codes_wait_for_the_next_step_instead_of_resending_a_code() -> None:
    now = [61.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    codes = totp.SingleUseCodes(clock=lambda: now[0], sleep=sleep)
    first = codes.code(RFC_6238_SECRET)
    assert slept == [] and first == totp.totp(RFC_6238_SECRET, at=61.0)
    now[0] = 70.0  # same step: its code was sent, so wait for step 3 (t=90)
    second = codes.code(RFC_6238_SECRET)
    assert second != first and second == totp.totp(RFC_6238_SECRET, at=90.2)
    assert len(slept) == 1 and 20.0 <= slept[0] <= 20.5
    assert codes.code("GEZDGNBVGY3TQOJQ") == totp.totp("GEZDGNBVGY3TQOJQ", at=now[0])  # another secret: no wait
    assert len(slept) == 1


def test_otpauth_uri_is_what_authenticator_apps_scan() -> None:
    uri = totp.otpauth_uri("JBSWY3DPEHPK3PXP", account="ada@example.com", issuer="Secure Serverless Kit")
    parsed = urllib.parse.urlsplit(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(parsed.path) == "/Secure Serverless Kit:ada@example.com"
    query = urllib.parse.parse_qs(parsed.query)
    assert query == {
        "secret": ["JBSWY3DPEHPK3PXP"],
        "issuer": ["Secure Serverless Kit"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    assert "+" not in uri  # spaces as %20: some apps show a literal '+'


# ---------------------------------------------------------------------------------------------
# temporary passwords


def test_temporary_passwords_satisfy_the_pool_policy_and_differ() -> None:
    allowed = set(string.ascii_letters + string.digits + PASSWORD_SYMBOLS)
    passwords = [generate_temporary_password() for _ in range(300)]
    assert len(set(passwords)) == len(passwords)
    for password in passwords:
        assert len(password) >= 14
        assert set(password) <= allowed
        assert re.search(r"[A-Z]", password) and re.search(r"[a-z]", password)
        assert re.search(r"\d", password) and any(c in PASSWORD_SYMBOLS for c in password)


def test_temporary_password_length_follows_the_policy() -> None:
    assert len(generate_temporary_password(40)) == 40
    # Every symbol offered is one Cognito's policy counts as a symbol.
    assert set(PASSWORD_SYMBOLS) <= set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-")


def test_guaranteed_classes_are_not_always_in_front() -> None:
    firsts = {generate_temporary_password()[0] in string.ascii_uppercase for _ in range(200)}
    assert firsts == {True, False}


def test_secrets_module_is_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = secrets.randbelow

    def counting(n: int) -> int:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(secrets, "randbelow", counting)
    generate_temporary_password(20)
    assert calls
