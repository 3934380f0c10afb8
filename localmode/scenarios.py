"""The attack suite: the reference architecture used as a client would, then attacked.

The same scenarios run against local mode (``make local``) and against a deployed stack
(``make verify``, ``localmode.verify``) through one code path: a ``Target`` names the API URL,
the user pool and its client (local mode and ``kit-verify`` both read them from the stack's
outputs), and what the target allows beyond plain HTTP: ``SANDBOX`` (run one SDK call inside
a function's worker, count invocations; local workers only) and ``CLOCK`` (present a token
after its expiry; the local gateway's clock). A scenario that needs what a target lacks is
reported as skipped, with the reason, never silently left out.

Each scenario sends real requests (HTTP to the API, presigned S3 requests, Cognito's API with
SRP sign-in and TOTP codes) and records, per step, what was sent, what came back, what was
expected and which control is responsible. It behaves as expected only if every step does.
``run_all`` prints them and ends with ``N/N scenarios behaved as expected``.

Registering a scenario (in this module or another one, e.g. ``localmode.scenarios_hardening``)::

    from localmode.scenarios import Demo, Run, Scenario, register

    def _my_attack(demo: Demo, run: Run) -> None:
        alice = demo.user(ALICE)
        run.http(demo.call("GET", "/notes", token=alice.id_token), 200)

    register(Scenario("my-attack", "Attack: ...", "the control that stops it", _my_attack))
    # needs=frozenset({SANDBOX}) when it runs code inside a function

A module listed in ``EXTRA_SCENARIO_MODULES`` is imported by ``all_scenarios()`` (when it
exists), so its ``register`` calls join the suite of both ``make local`` and ``make verify``.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kit_auth.cognito import generate_temporary_password
from kit_auth.srp import SrpClient
from kit_auth.totp import MIN_REMAINING_SECONDS, SingleUseCodes, current_code, totp
from secure_serverless_checks.access_levels import DYNAMODB_TABLE, PERIMETER_METADATA_KEY, S3_PREFIX
from secure_serverless_checks.waf_limits import WAF_MAX_BODY_INSPECTION_BYTES

if TYPE_CHECKING:
    from . import LocalEnvironment

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
#: Modules whose ``register`` calls add scenarios (imported by ``all_scenarios`` when present).
EXTRA_SCENARIO_MODULES = ("localmode.scenarios_hardening", "localmode.scenarios_round2")


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


__all__ = [
    "CLOCK",
    "GATEWAY",
    "SANDBOX",
    "SCENARIOS",
    "Demo",
    "Reply",
    "Scenario",
    "ScenarioResult",
    "Step",
    "Target",
    "all_scenarios",
    "register",
    "run_all",
    "run_scenario",
    "totp",
]

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


def _error_text(error: Exception) -> str:
    """``Code: message`` of an AWS error, else the exception's text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        details = response["Error"]
        return _short(f"{details.get('Code', '')}: {details.get('Message', '')}", 120)
    return _short(f"{type(error).__name__}: {error}", 120)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _token_label(token: str) -> str:
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
        return f"{self.status} {_short(self.body.decode('utf-8', errors='replace'))}"


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


# --------------------------------------------------------------------------- the demo context


class Demo:
    """A client of the local stack: users, tokens and HTTP calls (over loopback)."""

    def __init__(self, target: Target | LocalEnvironment) -> None:
        if not isinstance(target, Target):
            target = Target.local(target)
        self.target = target
        self.cognito = target.admin
        self._users: dict[str, DemoUser] = target.env.users if target.env is not None else {}
        #: Every user a scenario created (``cleanup`` deletes them and what they own).
        self.created_users: dict[str, str] = {}
        self._single_use = SingleUseCodes()
        split = urlsplit(target.api_url)
        self._https = split.scheme == "https"
        self._host, self._port = split.hostname or "127.0.0.1", split.port or (443 if self._https else 80)
        self.stage_path = split.path.rstrip("/")  # "/dev"

    @property
    def env(self) -> LocalEnvironment:
        if self.target.env is None:
            raise LookupError(f"{self.target.name} is not local mode")
        return self.target.env

    # -- functions and resources, found through the API's own routes
    def function_for(self, method: str, path: str) -> str:
        for route in self.env.api.routes:
            if route.http_method == method and route.resource_path == path and route.function_id:
                return route.function_id
        raise LookupError(f"no function behind {method} {path}")

    def declared(self, function_id: str, kind: str) -> dict[str, dict[str, Any]]:
        """The function's declared reach of ``kind`` (template metadata ``SecureServerless::Perimeter``).

        Without metadata, the table in its ``TABLE_NAME`` is its only declared table.
        """
        resource = self.env.service.template["Resources"][function_id]
        perimeter = resource.get("Metadata", {}).get(PERIMETER_METADATA_KEY)
        if perimeter is not None:
            return {reach["resource"]: reach for reach in perimeter.get("reach", []) if reach.get("kind") == kind}
        if kind != DYNAMODB_TABLE:
            return {}
        table = self.env.specs[function_id].environment.get("TABLE_NAME")
        service = self.env.service
        return {
            lid: {"resource": lid}
            for lid in service.of_type("AWS::DynamoDB::Table")
            if service.physical_id(lid) == table
        }

    def any_key(self, table_id: str, value: str) -> dict[str, Any]:
        """A full primary key of ``table_id`` (every key attribute set to ``value``)."""
        schema = self.env.service.template["Resources"][table_id]["Properties"]["KeySchema"]
        return {part["AttributeName"]: {"S": value} for part in schema}

    def invocations(self) -> int | None:
        """Invocations of every function so far; None where the target cannot count them."""
        if SANDBOX not in self.target.capabilities:
            return None
        return sum(function.invocations for function in self.env.workers.functions.values())

    # -- users
    def create_user(self, email: str, *, groups: tuple[str, ...] = ()) -> tuple[str, str]:
        temporary = generate_temporary_password()
        user = self.cognito.admin_create_user(
            UserPoolId=self.target.user_pool_id,
            Username=email,
            TemporaryPassword=temporary,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        )["User"]
        for group in groups:
            self.cognito.admin_add_user_to_group(UserPoolId=self.target.user_pool_id, Username=email, GroupName=group)
        sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
        self.created_users[email] = sub
        return sub, temporary

    def code(self, secret: str) -> str:
        """The current TOTP code; on a target with ``single_use_codes``, never one already sent.

        RFC 6238 says a verifier must not accept an OTP twice, so against a deployed pool the
        next sign-in after an MFA setup waits for the next 30-second step instead of reusing
        the setup's code. moto accepts reuse, so local mode does not wait.
        """
        if self.target.single_use_codes:
            return self._single_use.code(secret)
        return current_code(secret, min_remaining=self.target.code_margin)

    def _initiate(self, email: str, password: str) -> dict[str, Any]:
        """USER_SRP_AUTH (the only flow the app client allows), then the PASSWORD_VERIFIER answer."""
        srp = SrpClient(self.target.user_pool_id)
        answer: dict[str, Any] = self.target.public.initiate_auth(
            ClientId=self.target.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": email, "SRP_A": srp.srp_a},
        )
        if answer.get("ChallengeName") == "PASSWORD_VERIFIER":
            responses = srp.password_verifier_responses(answer["ChallengeParameters"], password)
            answer = self._respond("PASSWORD_VERIFIER", answer.get("Session"), responses)
        return answer

    def _respond(self, challenge: str, session: str | None, responses: dict[str, str]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "ClientId": self.target.client_id,
            "ChallengeName": challenge,
            "ChallengeResponses": responses,
        }
        if session:
            request["Session"] = session
        answer: dict[str, Any] = self.target.public.respond_to_auth_challenge(**request)
        return answer

    def first_sign_in(self, email: str, temporary: str, new_password: str) -> tuple[dict[str, Any], str]:
        """Temporary password -> NEW_PASSWORD_REQUIRED -> MFA_SETUP (TOTP enrolment) -> tokens."""
        answer = self._initiate(email, temporary)
        if answer.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
            raise AssertionError(f"expected NEW_PASSWORD_REQUIRED, got {answer.get('ChallengeName')}")
        answer = self._respond(
            "NEW_PASSWORD_REQUIRED", answer["Session"], {"USERNAME": email, "NEW_PASSWORD": new_password}
        )
        if answer.get("ChallengeName") != "MFA_SETUP":
            raise AssertionError(f"MFA is required by the pool: expected MFA_SETUP, got {answer.get('ChallengeName')}")
        public = self.target.public
        association = public.associate_software_token(Session=answer["Session"])
        secret = association["SecretCode"]
        verified = public.verify_software_token(
            Session=association.get("Session", answer["Session"]), UserCode=self.code(secret)
        )
        answer = self._respond("MFA_SETUP", verified.get("Session"), {"USERNAME": email})
        tokens = answer["AuthenticationResult"]
        public.set_user_mfa_preference(
            AccessToken=tokens["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        return tokens, secret

    def sign_in(self, email: str, password: str, code: str) -> dict[str, Any]:
        """Password, then the SOFTWARE_TOKEN_MFA challenge with ``code``."""
        answer = self._initiate(email, password)
        if answer.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
            raise AssertionError(f"expected the TOTP challenge, got {answer.get('ChallengeName') or 'tokens'}")
        answer = self._respond(
            "SOFTWARE_TOKEN_MFA", answer["Session"], {"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code}
        )
        return dict(answer["AuthenticationResult"])

    def user(self, email: str) -> DemoUser:
        """A signed-in user (created, enrolled in TOTP, signed in by that enrolment, on first use).

        On a deployed stack the address gets a random ``+tag`` so a run never meets a real user.
        """
        if email not in self._users:
            address = email
            if self.target.env is None:
                local, _, domain = email.partition("@")
                address = f"{local}+verify-{secrets.token_hex(4)}@{domain}"
            sub, temporary = self.create_user(address, groups=(ADMIN_GROUP,) if email == ALICE else ())
            password = generate_temporary_password()
            # The enrolment's own tokens: signing in again at once would cost a deployed pool a
            # wait for the next 30-second step (codes are single-use). The sign-in scenario
            # checks the password + TOTP sign-in itself.
            tokens, secret = self.first_sign_in(address, temporary, password)
            self._users[email] = DemoUser(address, password, sub, tokens["IdToken"], tokens["AccessToken"], secret)
        return self._users[email]

    # -- HTTP
    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
        label: str = "",
    ) -> Reply:
        """One HTTP request to the gateway on loopback; ``path`` is within the stage ("/notes")."""
        send_headers = {"Accept": "application/json", "User-Agent": "localmode-demo"}
        payload: bytes | None = raw_body
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
        if payload is not None:
            send_headers["Content-Type"] = "application/json"
        if token is not None:
            send_headers["Authorization"] = token
        send_headers.update(headers or {})
        connection_class = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = connection_class(self._host, self._port, timeout=60)
        try:
            connection.request(method, self.stage_path + path, body=payload, headers=send_headers)
            response = connection.getresponse()
            data = response.read()
            reply_headers = {k: v for k, v in response.getheaders()}
            status = response.status
        finally:
            connection.close()
        described = f"{method} {self.stage_path}{path}"
        described += f"  Authorization: {label or _token_label(token)}" if token is not None else "  (no Authorization)"
        if payload is not None:
            described += f"  body: {_short(payload.decode('utf-8', errors='replace'), 90)} ({len(payload)} bytes)"
        return Reply(method, path, status, reply_headers, data, described)

    def post_form(self, url: str, fields: dict[str, str], content: bytes) -> Reply:
        """A browser-style upload: multipart form with the presigned fields, then the file."""
        import requests

        answer = requests.post(url, data=fields, files={"file": ("upload", content)}, timeout=60, allow_redirects=False)
        sent = (
            f"POST {_short(url, 60)}  (presigned form, key={_short(fields.get('key', ''), 40)}, {len(content)} bytes)"
        )
        return Reply("POST", url, answer.status_code, dict(answer.headers), answer.content, sent)

    def fetch(self, url: str) -> Reply:
        import requests

        answer = requests.get(url, timeout=60, allow_redirects=False)
        shown = f"{len(answer.content)} bytes, Content-Disposition: {answer.headers.get('Content-Disposition', '-')}"
        return Reply(
            "GET", url, answer.status_code, dict(answer.headers), answer.content, f"GET {_short(url, 70)}", shown
        )

    def new_note(self, user: DemoUser, title: str = "Groceries", content: str = "milk, eggs") -> dict[str, Any]:
        reply = self.call("POST", "/notes", token=user.id_token, body={"title": title, "content": content})
        if reply.status != 201:
            raise AssertionError(f"could not create a note: {reply.received()}")
        note: dict[str, Any] = reply.json()
        return note


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    control: str
    run: Callable[[Demo, Run], None]
    #: Target capabilities the scenario needs (``SANDBOX``, ``CLOCK``); without them it is skipped.
    needs: frozenset[str] = frozenset()


def _sign_in(demo: Demo, run: Run) -> None:
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
        outcome = _error_text(error)
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


def _weak_password(demo: Demo, run: Run) -> None:
    email = f"dave-{secrets.token_hex(3)}@example.com"
    _, temporary = demo.create_user(email)
    answer = demo._initiate(email, temporary)
    for weak in ("password", "Password1234", "alllowercase-but-long-1!"):
        try:
            demo._respond("NEW_PASSWORD_REQUIRED", answer["Session"], {"USERNAME": email, "NEW_PASSWORD": weak})
            outcome = "accepted"
        except Exception as error:
            outcome = _error_text(error)
        run.check(
            f"choose the new password {weak!r}", outcome, "InvalidPasswordException", "InvalidPassword" in outcome
        )


def _profiles(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    reply = run.http(demo.call("PUT", "/me", token=alice.id_token, body={"displayName": "Alice", "bio": "hi"}), 200)
    mine = demo.call("GET", "/me", token=alice.id_token)
    data = mine.json() or {}
    run.http(
        mine,
        200,
        also=data.get("userId") == alice.sub and data.get("displayName") == "Alice",
        expected="200, the caller's own profile (key = token sub)",
    )
    del reply


def _notes(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    created = run.http(demo.call("POST", "/notes", token=alice.id_token, body={"title": "Plan", "content": "v1"}), 201)
    note = created.json() or {}
    note_id = note.get("noteId", "missing")
    listing = demo.call("GET", "/notes?limit=10", token=alice.id_token)
    ids = [item.get("noteId") for item in (listing.json() or {}).get("items", [])]
    run.http(listing, 200, also=note_id in ids, expected="200, listing the new note")
    run.http(demo.call("GET", f"/notes/{note_id}", token=alice.id_token), 200)
    updated = demo.call(
        "PUT", f"/notes/{note_id}", token=alice.id_token, body={"title": "Plan", "content": "v2", "version": 1}
    )
    run.http(updated, 200, also=(updated.json() or {}).get("version") == 2, expected="200, version 2")
    run.http(demo.call("DELETE", f"/notes/{note_id}", token=alice.id_token), 204)
    run.http(demo.call("GET", f"/notes/{note_id}", token=alice.id_token), 404, expected="404 after the delete")


def _upload_form(
    demo: Demo, user: DemoUser, *, content_type: str = "application/pdf", size: int = 2048
) -> tuple[Reply, dict[str, Any]]:
    created = demo.call(
        "POST",
        "/files",
        token=user.id_token,
        body={"fileName": "report.pdf", "contentType": content_type, "size": size},
    )
    return created, (created.json() or {})


def _files(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    content = b"%PDF-1.7 " + secrets.token_bytes(1024)
    created, data = _upload_form(demo, alice, size=len(content))
    upload = data.get("upload") or {}
    key = upload.get("fields", {}).get("key", "")
    run.http(
        created,
        201,
        also=key.startswith(f"files/{alice.sub}/"),
        expected=f"201, a presigned POST bound to files/{alice.sub[:8]}.../<fileId>",
    )
    file_id = data.get("fileId", "missing")
    pending = demo.call("GET", f"/files/{file_id}", token=alice.id_token)
    run.http(pending, 404, expected="404: nothing uploaded yet, the record is only what the client declared")
    uploaded = demo.post_form(upload.get("url", ""), upload.get("fields", {}), content)
    run.http(uploaded, 204, expected="204: S3 accepted the upload (signature, policy and conditions hold)")
    link = demo.call("GET", f"/files/{file_id}", token=alice.id_token)
    url = (link.json() or {}).get("downloadUrl", "")
    run.http(
        link,
        200,
        also=bool(url) and (link.json() or {}).get("size") == len(content),
        expected=f"200, a short-lived download link; the size is what S3 holds ({len(content)} bytes)",
    )
    downloaded = demo.fetch(url)
    run.http(
        downloaded,
        200,
        also=downloaded.body == content and "attachment" in downloaded.header("Content-Disposition"),
        expected=f"200, the same {len(content)} bytes, as an attachment",
    )
    run.http(
        demo.call("DELETE", f"/files/{file_id}", token=alice.id_token),
        409,
        expected="409: the upload link can still write for 300 s, so no delete yet (no orphan object after it)",
    )


def _oversized_upload(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    created, data = _upload_form(demo, alice, size=1024)
    upload = data.get("upload") or {}
    run.http(created, 201, expected="201, a presigned POST for at most 1024 bytes")
    reply = demo.post_form(upload.get("url", ""), upload.get("fields", {}), b"x" * 4096)
    run.http(reply, 400, also=b"EntityTooLarge" in reply.body, expected="400 EntityTooLarge (content-length-range)")
    demo.call("DELETE", f"/files/{data.get('fileId', 'missing')}", token=alice.id_token)


def _wrong_content_type(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    _created, data = _upload_form(demo, alice, content_type="image/png", size=64)
    upload = data.get("upload") or {}
    fields = {**upload.get("fields", {}), "Content-Type": "text/html"}
    reply = demo.post_form(upload.get("url", ""), fields, b"<script>alert(1)</script>")
    run.http(
        reply,
        403,
        also=b"AccessDenied" in reply.body,
        expected="403 AccessDenied: the policy binds Content-Type to image/png",
    )
    demo.call("DELETE", f"/files/{data.get('fileId', 'missing')}", token=alice.id_token)


def _key_outside_prefix(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    _created, data = _upload_form(demo, alice, size=64)
    upload = data.get("upload") or {}
    for key in (f"files/{bob.sub}/planted", f"private/{alice.sub}/planted"):
        fields = {**upload.get("fields", {}), "key": key}
        reply = demo.post_form(upload.get("url", ""), fields, b"%PDF planted")
        run.http(
            reply,
            403,
            also=b"AccessDenied" in reply.body,
            expected=f"403 AccessDenied: the policy binds the key (tried {key[:22]}...)",
        )
    demo.call("DELETE", f"/files/{data.get('fileId', 'missing')}", token=alice.id_token)


def _cross_user_file(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    content = b"%PDF alice's"
    _, data = _upload_form(demo, alice, size=len(content))
    upload = data.get("upload") or {}
    demo.post_form(upload.get("url", ""), upload.get("fields", {}), content)
    file_id = data.get("fileId", "missing")
    run.http(
        demo.call("GET", f"/files/{file_id}", token=bob.id_token),
        404,
        expected="404: the record key is (token sub, fileId), no link for Bob",
    )
    run.http(demo.call("DELETE", f"/files/{file_id}", token=bob.id_token), 404, expected="404: Bob cannot delete it")
    run.http(demo.call("GET", f"/files/{file_id}", token=alice.id_token), 200, expected="200: still Alice's")
    demo.call("DELETE", f"/files/{file_id}", token=alice.id_token)


def _admin_route(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    run.http(demo.call("PUT", "/me", token=bob.id_token, body={"displayName": "Bob"}), 200)
    run.http(
        demo.call("GET", f"/profiles/{alice.sub}", token=bob.id_token),
        403,
        expected="403: Bob is not in the admins group (cognito:groups claim)",
    )
    read = demo.call("GET", f"/profiles/{bob.sub}", token=alice.id_token)
    run.http(read, 200, also=(read.json() or {}).get("displayName") == "Bob", expected="200: Alice is an admin")


def _gateway_rejects(demo: Demo, run: Run, reply: Reply, before: int | None, expected: str, status: int = 401) -> None:
    run.http(reply, status, expected=expected)
    after = demo.invocations()
    if before is None or after is None:
        return  # the target cannot count invocations; the gateway's status is the evidence
    run.check(
        "(the function behind the route)",
        f"{after - before} invocation(s)",
        "not invoked: the gateway answered",
        after == before,
    )


def _no_token(demo: Demo, run: Run) -> None:
    before = demo.invocations()
    _gateway_rejects(demo, run, demo.call("GET", "/notes"), before, "401 Unauthorized")


def _forged_token(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    before = demo.invocations()
    forged = forge_token(alice.id_token)
    reply = demo.call("GET", "/notes", token=forged, label="<Alice's claims, RS256, signed by an attacker's key>")
    _gateway_rejects(demo, run, reply, before, "401: the signature does not verify against the pool's JWKS")
    before = demo.invocations()
    tampered = tamper_token(bob.id_token, sub=alice.sub)
    reply = demo.call("GET", "/notes", token=tampered, label="<Bob's ID token with sub changed to Alice's>")
    _gateway_rejects(demo, run, reply, before, "401: the claims no longer match the signature")


def _expired_token(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    run.http(demo.call("GET", "/notes", token=alice.id_token), 200, expected="200 while the token is valid")
    _, claims = jwt_parts(alice.id_token)
    with demo.env.clock.shifted(TOKEN_LIFETIME_SHIFT):
        before = demo.invocations()
        reply = demo.call(
            "GET", "/notes", token=alice.id_token, label=f"<the same ID token, 2 h later (exp was {claims.get('exp')})>"
        )
        _gateway_rejects(demo, run, reply, before, "401: the token has expired")


def _wrong_token_type(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    reply = demo.call("GET", "/notes", token=alice.access_token)
    _gateway_rejects(demo, run, reply, before, "401: methods without OAuth scopes accept ID tokens only")


def _cross_user_read(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    note = demo.new_note(alice, "Alice's secret", "do not share")
    run.http(
        demo.call("GET", f"/notes/{note['noteId']}", token=bob.id_token),
        404,
        expected="404 (indistinguishable from a missing note)",
    )
    listing = demo.call("GET", "/notes", token=bob.id_token)
    ids = [item.get("noteId") for item in (listing.json() or {}).get("items", [])]
    run.http(listing, 200, also=note["noteId"] not in ids, expected="200, Bob's own notes only")


def _cross_user_update(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    note = demo.new_note(alice, "Alice's plan", "original")
    path = f"/notes/{note['noteId']}"
    run.http(
        demo.call("PUT", path, token=bob.id_token, body={"title": "pwned", "content": "by bob", "version": 1}),
        404,
        expected="404: the key is (token sub, noteId), Bob's sub finds nothing",
    )
    run.http(demo.call("DELETE", path, token=bob.id_token), 404)
    after = demo.call("GET", path, token=alice.id_token)
    data = after.json() or {}
    run.http(
        after,
        200,
        also=data.get("title") == "Alice's plan" and data.get("content") == "original" and data.get("version") == 1,
        expected="200, unchanged (title, content, version 1)",
    )


def _probe_outcome(answer: dict[str, Any]) -> str:
    if answer["allowed"]:
        return "allowed"
    return f"{answer['code']}: {_short(answer['message'], 150)}"


def _cross_table(demo: Demo, run: Run) -> None:
    """Every function's sandbox tries GetItem on every table; only the tables it declares may answer."""
    alice = demo.user(ALICE)
    demo.call("PUT", "/me", token=alice.id_token, body={"displayName": "Alice"})  # something to steal
    service = demo.env.service
    tables = {lid: service.physical_id(lid) for lid in service.of_type("AWS::DynamoDB::Table")}
    for function_id in sorted(demo.env.workers.functions):
        declared = demo.declared(function_id, DYNAMODB_TABLE)
        worker = demo.env.workers.functions[function_id]
        for table_id, table_name in sorted(tables.items()):
            key = demo.any_key(table_id, alice.sub)
            answer = worker.probe("dynamodb", "get_item", {"TableName": table_name, "Key": key})
            mine = table_id in declared
            run.check(
                f"inside {function_id} (its role's credentials): dynamodb:GetItem on {table_id}",
                _probe_outcome(answer),
                "allowed (its own table)" if mine else "AccessDeniedException (not its table)",
                answer["allowed"]
                if mine
                else (not answer["allowed"] and answer.get("code") == "AccessDeniedException"),
            )


def _bucket_perimeter(demo: Demo, run: Run) -> None:
    """Every function's sandbox reads an object inside and outside the files prefix."""
    alice = demo.user(ALICE)
    service = demo.env.service
    buckets = {lid: service.physical_id(lid) for lid in service.of_type("AWS::S3::Bucket")}
    declared_anywhere = {
        reach["resource"]: reach.get("prefix", "")
        for function_id in demo.env.workers.functions
        for reach in demo.declared(function_id, S3_PREFIX).values()
    }
    for function_id in sorted(demo.env.workers.functions):
        declared = demo.declared(function_id, S3_PREFIX)
        worker = demo.env.workers.functions[function_id]
        for bucket_id, prefix in sorted(declared_anywhere.items()):
            for key in (f"{prefix}{alice.sub}/missing-file", f"private/{alice.sub}/secret"):
                answer = worker.probe("s3", "get_object", {"Bucket": buckets[bucket_id], "Key": key})
                allowed = answer["allowed"] or answer.get("code") in ("NoSuchKey", "404")  # IAM let it through
                mine = bucket_id in declared and key.startswith(declared[bucket_id].get("prefix", ""))
                run.check(
                    f"inside {function_id}: s3:GetObject {bucket_id}/{key[:24]}...",
                    "allowed by IAM (NoSuchKey)" if allowed and not answer["allowed"] else _probe_outcome(answer),
                    "allowed (its own prefix)" if mine else "AccessDenied (outside its perimeter)",
                    allowed if mine else (not allowed and answer.get("code") in ("AccessDenied", "403")),
                )


def _invalid_body(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    reply = demo.call("POST", "/notes", token=alice.id_token, body={"title": "", "ownerId": "someone-else"})
    _gateway_rejects(demo, run, reply, before, "400: body violates the CreateNote model", status=400)
    before = demo.invocations()
    reply = demo.call("POST", "/notes", token=alice.id_token, raw_body=b'{"title": "x", "content": ')
    _gateway_rejects(demo, run, reply, before, "400: body is not JSON", status=400)


def _oversized_field(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    reply = demo.call("POST", "/notes", token=alice.id_token, body={"title": "big", "content": "x" * 8001})
    _gateway_rejects(demo, run, reply, before, "400: content longer than the model's maxLength 8000", status=400)


def _oversized_body(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    if demo.target.env is not None:
        limit = demo.env.api.definition.waf_body_limit or 0  # the web ACL's body limit, read from the template
    else:  # a deployment: above the largest limit a kit web ACL can have, whatever max_body_bytes it chose
        limit = WAF_MAX_BODY_INSPECTION_BYTES
    padding = "y" * (limit + 1024)
    reply = demo.call(
        "POST", "/notes", token=alice.id_token, raw_body=json.dumps({"title": "t", "content": padding}).encode()
    )
    _gateway_rejects(
        demo, run, reply, before, f"403: a body over {limit // 1024} KB is blocked by the web ACL", status=403
    )


def _stale_update(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    note = demo.new_note(alice, "Shared plan", "first")
    path = f"/notes/{note['noteId']}"
    run.http(
        demo.call("PUT", path, token=alice.id_token, body={"title": "Shared plan", "content": "second", "version": 1}),
        200,
        expected="200, version 2 (tab A saves)",
    )
    run.http(
        demo.call("PUT", path, token=alice.id_token, body={"title": "Shared plan", "content": "stale", "version": 1}),
        409,
        expected="409: tab B still holds version 1",
    )
    after = demo.call("GET", path, token=alice.id_token)
    data = after.json() or {}
    run.http(
        after,
        200,
        also=data.get("content") == "second" and data.get("version") == 2,
        expected="200, still 'second', version 2: nothing overwritten",
    )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "sign-in",
        "Sign-in: new user, forced password change, TOTP MFA",
        "Cognito user pool (admin-only sign-up, MFA required)",
        _sign_in,
    ),
    Scenario(
        "weak-password",
        "A weak password is refused",
        "Cognito password policy (14+ chars, four character classes)",
        _weak_password,
    ),
    Scenario("profiles", "Profiles service: save and read my profile", "profiles function, key = token sub", _profiles),
    Scenario(
        "notes", "Notes service: create, list, read, update, delete", "notes function with optimistic locking", _notes
    ),
    Scenario(
        "files",
        "Files service: presigned upload (204), download (200), delete",
        "files function (keys under files/<sub>/) and S3 presigned requests",
        _files,
    ),
    Scenario(
        "oversized-upload",
        "Attack: upload more bytes than the presigned POST allows",
        "S3 POST policy content-length-range (the declared size)",
        _oversized_upload,
    ),
    Scenario(
        "wrong-content-type",
        "Attack: upload HTML through a presigned POST for an image",
        "S3 POST policy Content-Type condition",
        _wrong_content_type,
    ),
    Scenario(
        "key-outside-prefix",
        "Attack: upload to another user's key or outside files/",
        "S3 POST policy key condition (and the files role's prefix)",
        _key_outside_prefix,
    ),
    Scenario(
        "cross-user-file",
        "Attack: Bob downloads and deletes Alice's file",
        "files function: owner = token sub",
        _cross_user_file,
    ),
    Scenario(
        "admin-route",
        "Admin-only route: GET /profiles/{userId}",
        "profiles function: the admins group claim, then current membership from the user pool",
        _admin_route,
    ),
    Scenario("no-token", "Attack: call the API without a token", "API Gateway Cognito authorizer", _no_token),
    Scenario(
        "forged-token",
        "Attack: forged and tampered tokens",
        "API Gateway Cognito authorizer (RS256 signature, pool JWKS)",
        _forged_token,
    ),
    Scenario(
        "expired-token",
        "Attack: replay an expired token",
        "API Gateway Cognito authorizer (exp)",
        _expired_token,
        frozenset({CLOCK}),
    ),
    Scenario(
        "wrong-token-type",
        "Attack: access token instead of ID token",
        "API Gateway Cognito authorizer (token_use)",
        _wrong_token_type,
    ),
    Scenario(
        "cross-user-read",
        "Attack: Bob reads Alice's note",
        "notes function: owner = token sub, never the path",
        _cross_user_read,
    ),
    Scenario(
        "cross-user-update",
        "Attack: Bob updates and deletes Alice's note",
        "notes function: conditional writes keyed by token sub",
        _cross_user_update,
    ),
    Scenario(
        "cross-table",
        "Attack: code in a function reads another service's table",
        "each function's own IAM role (exact actions on its own table), enforced by the emulator",
        _cross_table,
        frozenset({SANDBOX}),
    ),
    Scenario(
        "bucket-perimeter",
        "Attack: code in a function reads the files bucket outside its prefix",
        "each function's own IAM role (files: <bucket>/files/* only), enforced by the emulator",
        _bucket_perimeter,
        frozenset({SANDBOX}),
    ),
    Scenario(
        "invalid-body",
        "Attack: malformed and over-posted bodies",
        "API Gateway request validator + JSON-schema model",
        _invalid_body,
    ),
    Scenario(
        "oversized-field",
        "Attack: a field longer than the model allows",
        "API Gateway model (maxLength)",
        _oversized_field,
    ),
    Scenario(
        "oversized-body",
        "Attack: a body over the web ACL's limit",
        "WAF web ACL (AWS managed common rule set, SizeRestrictions_BODY), emulated by the local gateway",
        _oversized_body,
    ),
    Scenario(
        "stale-update",
        "A stale update does not overwrite a newer one",
        "notes function: conditional write on version (409)",
        _stale_update,
    ),
)
_REGISTERED: list[Scenario] = list(SCENARIOS)


def register(scenario: Scenario) -> Scenario:
    """Add a scenario to the suite (``make local`` and ``make verify``); keys must be unique."""
    if any(existing.key == scenario.key for existing in _REGISTERED):
        raise ValueError(f"a scenario with key {scenario.key!r} is already registered")
    _REGISTERED.append(scenario)
    return scenario


def all_scenarios() -> tuple[Scenario, ...]:
    """The built-in scenarios, then those of every ``EXTRA_SCENARIO_MODULES`` module that exists."""
    import importlib
    import importlib.util

    for module in EXTRA_SCENARIO_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return tuple(_REGISTERED)


def scenario_keys() -> tuple[str, ...]:
    return tuple(scenario.key for scenario in all_scenarios())


def run_scenario(demo: Demo, key: str) -> ScenarioResult:
    scenario = next((s for s in all_scenarios() if s.key == key), None)
    if scenario is None:
        raise KeyError(f"no scenario {key!r}; known: {', '.join(scenario_keys())}")
    result = ScenarioResult(scenario.key, scenario.title, scenario.control)
    missing = sorted(scenario.needs - demo.target.capabilities)
    if missing:
        result.skipped = "; ".join(CAPABILITY_REASONS.get(m, m) for m in missing)
        return result
    try:
        scenario.run(demo, Run(result))
    except Exception as error:  # a scenario that crashes did not behave as expected
        result.error = f"{type(error).__name__}: {_short(str(error), 300)}"
    return result


def print_result(result: ScenarioResult, index: int, total: int, out: Callable[[str], None]) -> None:
    out(f"\n[{index}/{total}] {result.title}")
    if result.skipped:
        out(f"  skipped:  {result.skipped}")
        return
    for step in result.steps:
        out(f"  sent:     {step.sent}")
        out(f"  received: {step.received}")
        out(f"  expected: {step.expected}{'' if step.ok else '   <-- NOT as expected'}")
    out(f"  control:  {result.control}")
    if result.error:
        out(f"  error:    {result.error}")
    out("  => behaved as expected" if result.ok else "  => NOT as expected")


def run_all(
    target: Target | LocalEnvironment | Demo,
    *,
    keys: tuple[str, ...] | None = None,
    out: Callable[[str], None] = print,
) -> list[ScenarioResult]:
    """Run the scenarios (all, or ``keys``), print each, and end with the summary line.

    Skipped scenarios are listed with their reason and are not counted in ``N/N``.
    """
    demo = target if isinstance(target, Demo) else Demo(target)
    selected = [s.key for s in all_scenarios() if keys is None or s.key in keys]
    results = []
    for index, key in enumerate(selected, start=1):
        result = run_scenario(demo, key)
        print_result(result, index, len(selected), out)
        results.append(result)
    ran = [result for result in results if not result.skipped]
    passed = sum(result.ok for result in ran)
    out("")
    for result in results:
        if result.skipped:
            out(f"skipped: {result.title} ({result.key}): {result.skipped}")
    for result in ran:
        if not result.ok:
            out(f"NOT as expected: {result.title} ({result.key})")
    out(f"{passed}/{len(ran)} scenarios behaved as expected")
    return ran
