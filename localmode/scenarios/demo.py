"""``Demo``: a client of the stack under test (users signed in by SRP and TOTP, HTTP calls,
presigned S3 requests) and, on local mode, a view of its functions and their declared reach."""

from __future__ import annotations

import http.client
import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kit_auth.cognito import generate_temporary_password
from kit_auth.srp import SrpClient
from kit_auth.totp import SingleUseCodes, current_code
from secure_serverless_checks.access_levels import DYNAMODB_TABLE, PERIMETER_METADATA_KEY

from .model import ADMIN_GROUP, ALICE, SANDBOX, DemoUser, Reply, Target, short, token_label

if TYPE_CHECKING:
    from .. import LocalEnvironment


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
        code: str
        if self.target.single_use_codes:
            code = self._single_use.code(secret)
        else:
            code = current_code(secret, min_remaining=self.target.code_margin)
        return code

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
        described += f"  Authorization: {label or token_label(token)}" if token is not None else "  (no Authorization)"
        if payload is not None:
            described += f"  body: {short(payload.decode('utf-8', errors='replace'), 90)} ({len(payload)} bytes)"
        return Reply(method, path, status, reply_headers, data, described)

    def post_form(self, url: str, fields: dict[str, str], content: bytes) -> Reply:
        """A browser-style upload: multipart form with the presigned fields, then the file."""
        import requests

        answer = requests.post(url, data=fields, files={"file": ("upload", content)}, timeout=60, allow_redirects=False)
        sent = f"POST {short(url, 60)}  (presigned form, key={short(fields.get('key', ''), 40)}, {len(content)} bytes)"
        return Reply("POST", url, answer.status_code, dict(answer.headers), answer.content, sent)

    def fetch(self, url: str) -> Reply:
        import requests

        answer = requests.get(url, timeout=60, allow_redirects=False)
        shown = f"{len(answer.content)} bytes, Content-Disposition: {answer.headers.get('Content-Disposition', '-')}"
        return Reply(
            "GET", url, answer.status_code, dict(answer.headers), answer.content, f"GET {short(url, 70)}", shown
        )

    def new_note(self, user: DemoUser, title: str = "Groceries", content: str = "milk, eggs") -> dict[str, Any]:
        reply = self.call("POST", "/notes", token=user.id_token, body={"title": title, "content": content})
        if reply.status != 201:
            raise AssertionError(f"could not create a note: {reply.received()}")
        note: dict[str, Any] = reply.json()
        return note
