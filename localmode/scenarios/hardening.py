"""Scenarios of the independent review's findings (issue 11), played by ``make local``.

Registered with ``localmode.scenarios.register`` (so ``make local`` and ``make verify`` play them). Each shows a finding's attack or
valid request and the control that now answers it:

1. group-name confusion: a member of a group named "readers,admins" is not an admin;
2. the largest valid body: a note at every field's maxLength of 4-byte characters is created;
3. an unauthenticated burst: requests without a well-formed token get the WAF's lower limit;
4. revocation on the admin route: removal from "admins" ends admin access at once;
7. retries: the same Idempotency-Key creates one note.
(Finding 5, the file lifecycle, needs a presigned POST, which moto cannot serve locally.)
"""

from __future__ import annotations

import json
import secrets
from collections import Counter

from .demo import Demo
from .edge import rate_rule_and_notes_throttle
from .model import ALICE, BOB, GATEWAY, DemoUser, Run, Scenario, jwt_parts
from .suite import register

__all__ = ["HARDENING_SCENARIOS"]

CAROL = "carol@example.com"
ADMIN_GROUP = "admins"
CONFUSING_GROUP = "readers,admins"


def _fresh_id_token(demo: Demo, user: DemoUser) -> str:
    """A new sign-in of ``user``: the ID token then carries the user's current groups."""
    return str(demo.sign_in(user.email, user.password, demo.code(user.mfa_secret))["IdToken"])


def _group_name_confusion(demo: Demo, run: Run) -> None:
    alice, carol = demo.user(ALICE), demo.user(CAROL)
    pool = demo.target.user_pool_id
    existing = {g["GroupName"] for g in demo.cognito.list_groups(UserPoolId=pool)["Groups"]}
    created = CONFUSING_GROUP not in existing
    if created:
        demo.cognito.create_group(UserPoolId=pool, GroupName=CONFUSING_GROUP)
    try:
        _confused_member_calls_the_admin_route(demo, run, pool, alice, carol)
    finally:
        if created:  # leave a deployed pool as it was
            demo.cognito.delete_group(UserPoolId=pool, GroupName=CONFUSING_GROUP)


def _confused_member_calls_the_admin_route(demo: Demo, run: Run, pool: str, alice: DemoUser, carol: DemoUser) -> None:
    demo.cognito.admin_add_user_to_group(UserPoolId=pool, Username=carol.email, GroupName=CONFUSING_GROUP)
    token = _fresh_id_token(demo, carol)
    groups = jwt_parts(token)[1].get("cognito:groups")
    run.check(
        "Carol signs in after joining the group 'readers,admins'",
        f"ID token cognito:groups = {groups!r}",
        "one group, whose name contains a comma (API Gateway flattens it to 'readers,admins')",
        groups == [CONFUSING_GROUP],
    )
    run.http(
        demo.call("GET", f"/profiles/{alice.sub}", token=token, label="<Carol's ID token, group 'readers,admins'>"),
        403,
        expected="403: an ambiguous group claim proves no membership; the user pool says Carol is no admin",
    )


def _largest_valid_body(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    wide = "\U0001f600"  # 4 bytes of UTF-8
    for title, content, what in (
        (wide * 200, wide * 8000, "200 + 8,000 four-byte characters (the models' maxLength)"),
        ("日記", "漢" * 2800, "2,800 CJK characters (blocked by the old 8 KB WAF rule)"),
    ):
        payload = json.dumps({"title": title, "content": content}, ensure_ascii=False).encode("utf-8")
        reply = demo.call("POST", "/notes", token=alice.id_token, raw_body=payload)
        created = reply.json() or {}
        run.http(reply, 201, expected=f"201: {what}, {len(payload):,} bytes, within the 48 KB body limit")
        if reply.status == 201:
            back = demo.call("GET", f"/notes/{created['noteId']}", token=alice.id_token)
            run.http(back, 200, also=(back.json() or {}).get("content") == content, expected="200, content intact")


def _unauthenticated_burst(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    api = demo.env.api
    found = rate_rule_and_notes_throttle(demo, run, well_formed_token=False)
    if found is None:
        return
    rule, throttle = found

    def garbage(count: int) -> Counter[int]:
        return Counter(demo.call("GET", "/notes", token=f"garbage-{secrets.token_hex(4)}").status for _ in range(count))

    api.forget_waf_rate_counts()  # a window of its own: earlier scenarios sent requests without tokens too
    try:
        first = garbage(rule.limit)
        run.check(
            f"{rule.limit} x GET /notes with a garbage Authorization header, from one IP",
            ", ".join(f"{n} x {status}" for status, n in sorted(first.items())),
            "401 from the authorizer (429 once they have spent the route's throttle: the finding)",
            set(first) <= {401, 429} and sum(first.values()) == rule.limit,
        )
        over = garbage(20)
        run.check(
            "20 more, over the rule's limit",
            ", ".join(f"{n} x {status}" for status, n in sorted(over.items())),
            f"20 x 403: the WAF rule {rule.name} blocks them before the throttle (on AWS within about 30 s)",
            over == Counter({403: 20}),
        )
        # The route's budget refills meanwhile: the gateway's clock moves on (well within the
        # rule's window) instead of the demo waiting for real time to pass.
        refill = min(5.0, throttle.burst / throttle.rate + 0.2) if throttle is not None and throttle.rate > 0 else 0.0
        with demo.env.clock.shifted(refill):
            for _ in range(3):
                flood = garbage(10)
                run.check(
                    "the flood goes on: 10 garbage requests",
                    str(dict(flood)),
                    "10 x 403, no budget spent",
                    flood == Counter({403: 10}),
                )
                run.http(
                    demo.call("GET", "/notes", token=alice.id_token),
                    200,
                    expected="200: Alice is served during the flood (her well-formed token is outside that rule)",
                )
    finally:
        api.forget_waf_rate_counts()  # as if five minutes had passed: later scenarios start afresh


def _admin_revocation(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    demo.call("PUT", "/me", token=bob.id_token, body={"displayName": "Bob"})
    pool = demo.target.user_pool_id
    run.http(demo.call("GET", f"/profiles/{bob.sub}", token=alice.id_token), 200, expected="200: Alice is an admin")
    demo.cognito.admin_remove_user_from_group(UserPoolId=pool, Username=alice.email, GroupName=ADMIN_GROUP)
    try:
        run.http(
            demo.call("GET", f"/profiles/{bob.sub}", token=alice.id_token, label="<Alice's ID token, still 'admins'>"),
            403,
            expected="403 at once: the admin route reads current membership from the user pool, not the token",
        )
    finally:
        demo.cognito.admin_add_user_to_group(UserPoolId=pool, Username=alice.email, GroupName=ADMIN_GROUP)
    run.http(demo.call("GET", f"/profiles/{bob.sub}", token=alice.id_token), 200, expected="200: back in the group")


def _idempotent_retry(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    key = {"Idempotency-Key": f"retry-{secrets.token_hex(8)}"}
    body = {"title": f"Retried {key['Idempotency-Key']}", "content": "sent twice after a timeout"}
    first = demo.call("POST", "/notes", token=alice.id_token, body=body, headers=key)
    again = demo.call("POST", "/notes", token=alice.id_token, body=body, headers=key)
    run.http(first, 201, expected="201: the note is created")
    run.http(again, 201, also=again.json() == first.json(), expected="201 with the first answer: the same noteId")
    listed = demo.call("GET", "/notes?limit=50", token=alice.id_token)
    copies = [n for n in (listed.json() or {}).get("items", []) if n.get("title") == body["title"]]
    run.http(listed, 200, also=len(copies) == 1, expected="200: exactly one such note")


HARDENING_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "group-name-confusion",
        "Attack: a member of a group named 'readers,admins' calls the admin route",
        "profiles function: exact group claim parsing, ambiguity denies, membership read from the user pool",
        _group_name_confusion,
    ),
    Scenario(
        "largest-valid-body",
        "The largest note the models allow is accepted (UTF-8, 4-byte characters)",
        "one body limit for WAF (BodySizeLimit, 48 KB), models and handlers (kit_common/contract.json)",
        _largest_valid_body,
    ),
    Scenario(
        "unauthenticated-burst",
        "Attack: a burst of requests with garbage tokens",
        "WAF rate rule for requests without a well-formed bearer token, emulated by the local gateway",
        _unauthenticated_burst,
        needs=frozenset({GATEWAY}),
    ),
    Scenario(
        "admin-revocation",
        "Revocation: Alice is removed from admins while her token still says admins",
        "profiles function: AdminGetUser + AdminListGroupsForUser on every admin call",
        _admin_revocation,
    ),
    Scenario(
        "idempotent-retry",
        "A retried POST /notes with the same Idempotency-Key creates one note",
        "notes function: Powertools Idempotency, records in the service's own table",
        _idempotent_retry,
    ),
)

for _scenario in HARDENING_SCENARIOS:
    register(_scenario)
