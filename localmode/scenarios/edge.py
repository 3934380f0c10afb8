"""What the API's edge refuses before any function runs: missing, forged, expired and
wrong-type tokens (the authorizer), malformed bodies (the validator and its model) and bodies
over the web ACL's limit; each checks the function behind the route was not invoked."""

from __future__ import annotations

import json

from secure_serverless_checks.waf_limits import WAF_MAX_BODY_INSPECTION_BYTES

from ..gateway.definition import Throttle
from ..gateway.waf_rate import WafRateRule
from .demo import Demo
from .model import ALICE, BOB, TOKEN_LIFETIME_SHIFT, Reply, Run, forge_token, jwt_parts, tamper_token


def gateway_rejects(demo: Demo, run: Run, reply: Reply, before: int | None, expected: str, status: int = 401) -> None:
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


def no_token(demo: Demo, run: Run) -> None:
    before = demo.invocations()
    gateway_rejects(demo, run, demo.call("GET", "/notes"), before, "401 Unauthorized")


def forged_token(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    before = demo.invocations()
    forged = forge_token(alice.id_token)
    reply = demo.call("GET", "/notes", token=forged, label="<Alice's claims, RS256, signed by an attacker's key>")
    gateway_rejects(demo, run, reply, before, "401: the signature does not verify against the pool's JWKS")
    before = demo.invocations()
    tampered = tamper_token(bob.id_token, sub=alice.sub)
    reply = demo.call("GET", "/notes", token=tampered, label="<Bob's ID token with sub changed to Alice's>")
    gateway_rejects(demo, run, reply, before, "401: the claims no longer match the signature")


def expired_token(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    run.http(demo.call("GET", "/notes", token=alice.id_token), 200, expected="200 while the token is valid")
    _, claims = jwt_parts(alice.id_token)
    with demo.env.clock.shifted(TOKEN_LIFETIME_SHIFT):
        before = demo.invocations()
        reply = demo.call(
            "GET", "/notes", token=alice.id_token, label=f"<the same ID token, 2 h later (exp was {claims.get('exp')})>"
        )
        gateway_rejects(demo, run, reply, before, "401: the token has expired")


def wrong_token_type(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    reply = demo.call("GET", "/notes", token=alice.access_token)
    gateway_rejects(demo, run, reply, before, "401: methods without OAuth scopes accept ID tokens only")


def invalid_body(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    reply = demo.call("POST", "/notes", token=alice.id_token, body={"title": "", "ownerId": "someone-else"})
    gateway_rejects(demo, run, reply, before, "400: body violates the CreateNote model", status=400)
    before = demo.invocations()
    reply = demo.call("POST", "/notes", token=alice.id_token, raw_body=b'{"title": "x", "content": ')
    gateway_rejects(demo, run, reply, before, "400: body is not JSON", status=400)


def oversized_field(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    before = demo.invocations()
    reply = demo.call("POST", "/notes", token=alice.id_token, body={"title": "big", "content": "x" * 8001})
    gateway_rejects(demo, run, reply, before, "400: content longer than the model's maxLength 8000", status=400)


def oversized_body(demo: Demo, run: Run) -> None:
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
    gateway_rejects(
        demo, run, reply, before, f"403: a body over {limit // 1024} KB is blocked by the web ACL", status=403
    )


def rate_rule_and_notes_throttle(
    demo: Demo, run: Run, *, well_formed_token: bool
) -> tuple[WafRateRule, Throttle | None] | None:
    """The local stage's web ACL rate rule for requests with (or without) a well-formed token, and
    the throttle of GET /notes; None, recorded as a step not as expected, when there is no such rule."""
    api = demo.env.api
    rules = [
        rule
        for rule in api.definition.waf_rate_rules
        if (rule.when_header if well_formed_token else rule.unless_header) is not None
    ]
    if not rules:
        which = "with a well-formed token" if well_formed_token else "without a token"
        run.check("the stage's web ACL", f"no rate rule for requests {which}", "such a rule", False)
        return None
    (rule,) = rules
    stage = api.definition.stage
    return rule, stage.method_throttles.get(("/notes", "GET"), stage.default_throttle)
