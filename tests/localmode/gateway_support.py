"""Helpers of the local gateway tests: a clock, signed Cognito-style tokens, a recording invoke.

No AWS fake is involved: ``invoke`` is the gateway's own seam (function id, proxy event) ->
proxy result, and the tokens are signed here with keys generated for the test.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc import jwk, jwt

from localmode.gateway import GatewayConfig, LocalRestApi

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
POOL_ID = f"{REGION}_LocalTest"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
CLIENT_ID = "localtestclient"
OTHER_CLIENT_ID = "someotherclient"
REST_EVENT_FIXTURE = ROOT / "tests" / "lambdas" / "events" / "rest_api_request.json"


def kit_common() -> Any:
    """The handlers' shared package (a Lambda layer folder; tests/conftest.py keeps its bytecode out of it)."""
    layer = str(ROOT / "lambdas" / "common" / "python")
    if layer not in sys.path:
        sys.path.insert(0, layer)
    import kit_common as module

    return module


@functools.cache
def reference_template() -> dict[str, Any]:
    """The reference app's NotesService template, synthesized once per process (no cdk-nag)."""
    from cdk_support import new_app
    from stacks.config import AppConfig
    from stacks.notes_service import build_app

    app = new_app()
    stacks = build_app(app, AppConfig())
    assembly = app.synth()
    for stack in stacks:
        template = assembly.get_stack_by_name(stack.stack_name).template
        if any(r.get("Type") == "AWS::ApiGateway::RestApi" for r in template.get("Resources", {}).values()):
            return dict(template)
    raise AssertionError("no stack of the reference app has a REST API")


class Clock:
    """An injectable ``now``: starts at the real time, moves only when told."""

    def __init__(self) -> None:
        self.t = float(int(time.time()))

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Tokens:
    """RS256 tokens shaped like Cognito's, signed by the pool's key or by an impostor's."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.key = jwk.RSAKey.generate_key(2048, parameters={"kid": "pool-key-1", "use": "sig"}, auto_kid=False)
        # Same kid as the pool's key: only the signature tells them apart.
        self.impostor = jwk.RSAKey.generate_key(2048, parameters={"kid": "pool-key-1"}, auto_kid=False)
        self.jwks = {"keys": [self.key.as_dict(private=False) | {"alg": "RS256"}]}

    def claims(self, kind: str = "id", /, **overrides: Any) -> dict[str, Any]:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "sub": str(uuid.uuid4()),
            "iss": ISSUER,
            "token_use": kind,
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
        }
        if kind == "id":
            claims |= {"aud": CLIENT_ID, "cognito:username": "user-a", "email": "user-a@example.com"}
        else:
            claims |= {"client_id": CLIENT_ID, "username": "user-a", "scope": "aws.cognito.signin.user.admin"}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: Mapping[str, Any], *, key: Any = None, header: Mapping[str, Any] | None = None) -> str:
        signing_key = key or self.key
        protected = {"alg": "RS256", "kid": signing_key.kid, **(header or {})}
        return jwt.encode(protected, dict(claims), signing_key)

    def id_token(self, **overrides: Any) -> str:
        return self.sign(self.claims("id", **overrides))

    def access_token(self, **overrides: Any) -> str:
        return self.sign(self.claims("access", **overrides))


@dataclass
class Recorder:
    """The ``invoke`` seam: records (function id, event) and answers a canned proxy result."""

    result: Any = field(default_factory=lambda: {"statusCode": 200, "headers": {}, "body": '{"ok": true}'})
    error: BaseException | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, function_id: str, event: dict[str, Any]) -> Any:
        self.calls.append((function_id, copy.deepcopy(event)))
        if self.error is not None:
            raise self.error
        return copy.deepcopy(self.result) if not callable(self.result) else self.result(function_id, event)

    @property
    def last_event(self) -> dict[str, Any]:
        assert self.calls, "invoke was not called"
        return self.calls[-1][1]


def config(
    tokens: Tokens, recorder: Recorder, clock: Clock, *, client_ids: set[str] | None = None, **kwargs: Any
) -> GatewayConfig:
    return GatewayConfig(
        region=REGION,
        user_pool_id=POOL_ID,
        client_ids=client_ids if client_ids is not None else {CLIENT_ID, OTHER_CLIENT_ID},
        jwks=tokens.jwks,
        issuer=ISSUER,
        invoke=recorder,
        now=clock,
        **kwargs,
    )


def gateway(
    template: Mapping[str, Any], tokens: Tokens, recorder: Recorder, clock: Clock, **kwargs: Any
) -> LocalRestApi:
    return LocalRestApi.from_template(template, config(tokens, recorder, clock, **kwargs))


def resources_of(template: Mapping[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def gateway_response_body(template: Mapping[str, Any], response_type: str, request_id: str) -> Any:
    """What the template's gateway response of ``response_type`` renders to, for ``request_id``."""
    for resource in resources_of(template, "AWS::ApiGateway::GatewayResponse").values():
        if resource["Properties"]["ResponseType"] == response_type:
            text = resource["Properties"]["ResponseTemplates"]["application/json"]
            return json.loads(text.replace("$context.requestId", request_id))
    raise AssertionError(f"the template has no {response_type} gateway response")


Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]
