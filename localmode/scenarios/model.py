"""The scenarios' vocabulary: where they run (``Target``), what they send and get back
(``Reply``), the steps and results they record (``Run``, ``ScenarioResult``) and ``Scenario``
itself; the tokens the attacks forge or tamper with."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kit_auth.totp import MIN_REMAINING_SECONDS

if TYPE_CHECKING:
    from .. import LocalEnvironment
    from .demo import Demo

#: The target runs functions in local workers: probes inside a sandbox, invocation counts, the template.
SANDBOX = "sandbox"
#: The target's gateway clock can be shifted (an expired token without waiting an hour).
CLOCK = "clock"
#: The target's gateway is the local one: its WAF rate counters can be read and reset.
GATEWAY = "gateway"
CAPABILITY_REASONS = {
    SANDBOX: "needs code run inside a function's sandbox (local workers only); on AWS the perimeter check"
    " (make synth) proves the roles' reach",
    CLOCK: "needs a token past its 60-minute lifetime; a real deployment's clock cannot be shifted",
    GATEWAY: "needs the local gateway's WAF rate counters; AWS applies rate rules after a delay of up to about"
    " 30 s, so a burst against a deployment is not a deterministic test",
}


#: The emulator on loopback checks a code within milliseconds: one second of its step is plenty.
LOCAL_CODE_MARGIN = 1.0


@dataclass
class Target:
    """Where the scenarios run (see the module docstring)."""

    name: str
    api_url: str
    region: str
    user_pool_id: str
    client_id: str
    admin: Any  # cognito-idp client signed with credentials allowed the admin API
    public: Any  # cognito-idp client for the unsigned user operations (SRP, TOTP)
    capabilities: frozenset[str] = frozenset()
    env: LocalEnvironment | None = None
    #: The pool refuses a TOTP code it has already accepted (a deployed pool; moto does not).
    single_use_codes: bool = False
    #: Seconds a TOTP code must stay current to reach the pool in time (a code nearer the end
    #: of its 30-second step waits for the next one): the round trip to AWS, or to loopback.
    code_margin: float = MIN_REMAINING_SECONDS

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @classmethod
    def local(cls, env: LocalEnvironment) -> Target:
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        return cls(
            name=f"local mode ({env.url})",
            api_url=env.url,
            region=env.emulator.region,
            user_pool_id=env.user_pool_id,
            client_id=env.client_id,
            admin=env.emulator.client("cognito-idp"),
            public=boto3.session.Session().client(
                "cognito-idp",
                region_name=env.emulator.region,
                endpoint_url=env.emulator.url,
                config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}),
            ),
            capabilities=frozenset({SANDBOX, CLOCK, GATEWAY}),
            env=env,
            code_margin=LOCAL_CODE_MARGIN,
        )


ALICE = "alice@example.com"
BOB = "bob@example.com"
ADMIN_GROUP = "admins"
TOKEN_LIFETIME_SHIFT = 2 * 3600  # the stack's ID tokens live 60 minutes


# --------------------------------------------------------------------------- helpers


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")

    def decode(part: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return data

    return decode(header), decode(payload)


def forge_token(token: str) -> str:
    """The same header and claims, signed with an attacker's own RSA key (same ``kid``)."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    header, claims = jwt_parts(token)
    attacker_key = RSAKey.generate_key(2048)
    return jwt.encode({"alg": "RS256", "kid": header.get("kid", "")}, claims, attacker_key)


def tamper_token(token: str, **changes: Any) -> str:
    """The token with some claims changed and the original signature kept."""
    header, _payload, signature = token.split(".")
    _, claims = jwt_parts(token)
    claims.update(changes)
    return ".".join([header, _b64url(json.dumps(claims, separators=(",", ":")).encode()), signature])


def error_text(error: Exception) -> str:
    """``Code: message`` of an AWS error, else the exception's text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        details = response["Error"]
        return short(f"{details.get('Code', '')}: {details.get('Message', '')}", 120)
    return short(f"{type(error).__name__}: {error}", 120)


def short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def token_label(token: str) -> str:
    try:
        header, claims = jwt_parts(token)
    except ValueError:
        return "<not a JWT>"
    return f"<JWT token_use={claims.get('token_use')} sub={str(claims.get('sub'))[:8]}... kid={header.get('kid')}>"


@dataclass
class Reply:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes
    sent: str
    shown: str | None = None  # what to print instead of the body (binary downloads)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            return None

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")

    def received(self) -> str:
        if self.shown is not None:
            return f"{self.status} {self.shown}"
        return f"{self.status} {short(self.body.decode('utf-8', errors='replace'))}"


@dataclass
class DemoUser:
    email: str
    password: str
    sub: str
    id_token: str
    access_token: str
    mfa_secret: str


@dataclass
class Step:
    sent: str
    received: str
    expected: str
    ok: bool


@dataclass
class ScenarioResult:
    key: str
    title: str
    control: str
    steps: list[Step] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.steps) and all(step.ok for step in self.steps)

    def failures(self) -> str:
        lines = [f"{self.title}: NOT as expected"]
        if self.error:
            lines.append(f"  error: {self.error}")
        for step in self.steps:
            if not step.ok:
                lines.append(f"  sent: {step.sent}\n  received: {step.received}\n  expected: {step.expected}")
        return "\n".join(lines)


class Run:
    """Collects the steps of one scenario."""

    def __init__(self, result: ScenarioResult) -> None:
        self.result = result

    def http(self, reply: Reply, expected_status: int, *, also: bool = True, expected: str = "") -> Reply:
        self.result.steps.append(
            Step(
                sent=reply.sent,
                received=reply.received(),
                expected=expected or str(expected_status),
                ok=reply.status == expected_status and also,
            )
        )
        return reply

    def check(self, sent: str, received: str, expected: str, ok: bool) -> None:
        self.result.steps.append(Step(sent=sent, received=received, expected=expected, ok=ok))


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    control: str
    run: Callable[[Demo, Run], None]
    #: Target capabilities the scenario needs (``SANDBOX``, ``CLOCK``); without them it is skipped.
    needs: frozenset[str] = frozenset()
