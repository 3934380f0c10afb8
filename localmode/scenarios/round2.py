"""Scenarios of the second independent review (issue 25), played by ``make local`` and ``make verify``.

Each plays a finding's attack and shows the control that now answers it:

- forged-token-flood: well-formed forged tokens from one client; another client is still served
  (WAF ``RateLimitTokenPerIp``, below the stage's burst; local gateway only: AWS WAF acts after
  a delay of up to about 30 s);
- error-response-headers: every refusal (gateway's and function's) says ``no-store``, ``nosniff``;
- duplicated-header: a request that repeats Authorization or Idempotency-Key is refused;
- idempotent-replay-after-delete: a retried create does not replay "created" for a deleted note;
- file-overwrite-after-confirm: an upload link used again after the confirmation; the record
  follows the object;
- upload-quota: one user holds at most MAX_PENDING_UPLOADS uploads in progress;
- disabled-user-writes: a disabled, then a deleted, user's still-valid token writes nothing.
"""

from __future__ import annotations

import http.client
import secrets
from collections import Counter

from kit_auth.cognito import generate_temporary_password

from .. import CLIENT_IP_HEADER
from .demo import Demo
from .edge import rate_rule_and_notes_throttle
from .model import ALICE, BOB, GATEWAY, Reply, Run, Scenario, forge_token, token_label
from .suite import register

__all__ = ["ROUND2_SCENARIOS"]

ERIN = "erin@example.com"
#: Addresses of the documentation ranges (RFC 5737): the flooding client and a signed-in user.
ATTACKER_IP = "203.0.113.66"
USER_IP = "198.51.100.20"
#: The reference stack's files function (stacks/notes_service.py, MAX_PENDING_UPLOADS).
MAX_PENDING_UPLOADS = 10


def _forged_token_flood(demo: Demo, run: Run) -> None:
    api = demo.env.api
    alice = demo.user(ALICE)
    found = rate_rule_and_notes_throttle(demo, run, well_formed_token=True)
    if found is None:
        return
    rule, throttle = found
    burst = throttle.burst if throttle is not None else 0
    forged = forge_token(alice.id_token)  # Alice's claims, an attacker's key: the shape of a real token
    flood_size = burst + 50
    api.forget_waf_rate_counts()  # a window of its own
    try:
        statuses = Counter(
            demo.call("GET", "/notes", token=forged, headers={CLIENT_IP_HEADER: ATTACKER_IP}).status
            for _ in range(flood_size)
        )
        run.check(
            f"{flood_size} x GET /notes from {ATTACKER_IP} with a forged, well-formed token (no credentials), "
            f"more than the route's burst of {burst}",
            ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items())),
            f"{rule.limit} x 401 (the authorizer: bad signature), then {flood_size - rule.limit} x 403: "
            f"WAF {rule.name} blocks that address before the throttle; never 429",
            statuses == Counter({401: rule.limit, 403: flood_size - rule.limit}),
        )
        run.http(
            demo.call("GET", "/notes", token=alice.id_token, headers={CLIENT_IP_HEADER: USER_IP}),
            200,
            expected=f"200: Alice, on another client ({USER_IP}), is served; the flood spent at most "
            f"{rule.limit} of the route's {burst} tokens",
        )
    finally:
        api.forget_waf_rate_counts()


def _error_response_headers(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    for reply, status, who in (
        (demo.call("GET", "/notes"), 401, "the authorizer (gateway response UNAUTHORIZED)"),
        (demo.call("GET", "/no-such-route", token=alice.id_token), 403, "API Gateway (MISSING_AUTHENTICATION_TOKEN)"),
        (demo.call("POST", "/notes", token=alice.id_token, body={"title": ""}), 400, "the request validator"),
        (demo.call("GET", f"/notes/{secrets.token_hex(8)}", token=alice.id_token), 404, "the notes function"),
    ):
        headers = f"Cache-Control: {reply.header('Cache-Control') or '-'}, "
        headers += f"X-Content-Type-Options: {reply.header('X-Content-Type-Options') or '-'}"
        run.http(
            reply,
            status,
            also=reply.header("Cache-Control") == "no-store" and reply.header("X-Content-Type-Options") == "nosniff",
            expected=f"{status} from {who}, with Cache-Control: no-store and X-Content-Type-Options: nosniff "
            f"(received {headers})",
        )


def _raw_call(demo: Demo, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
    """A request that repeats headers (``Demo.call`` sends a dict: one value per name)."""
    connection_class = http.client.HTTPSConnection if demo._https else http.client.HTTPConnection
    connection = connection_class(demo._host, demo._port, timeout=60)
    try:
        connection.putrequest(method, demo.stage_path + path)
        for name, value in [*headers, ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        reply_headers = dict(response.getheaders())
        status = response.status
    finally:
        connection.close()
    shown = ", ".join(f"{n}: {token_label(v) if n == 'Authorization' else v}" for n, v in headers)
    return Reply(method, path, status, reply_headers, data, f"{method} {demo.stage_path}{path}  {shown}")


def _duplicated_header(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    title = f"Duplicated {secrets.token_hex(4)}"
    body = f'{{"title": "{title}", "content": "sent with a repeated header"}}'.encode()
    local = demo.target.env is not None
    # The authorizer verifies one copy (which one is AWS's choice); the function sees both.
    two_tokens = _raw_call(
        demo, "POST", "/notes", [("Authorization", bob.id_token), ("Authorization", alice.id_token)], body
    )
    run.check(
        two_tokens.sent,
        two_tokens.received(),
        "400: the function refuses a repeated Authorization header (no layer picks a copy)"
        + ("" if local else "; 401 if API Gateway's authorizer refuses it first"),
        two_tokens.status == 400 or (not local and two_tokens.status == 401),
    )
    two_keys = _raw_call(
        demo,
        "POST",
        "/notes",
        [
            ("Authorization", alice.id_token),
            ("Idempotency-Key", f"key-{secrets.token_hex(6)}"),
            ("Idempotency-Key", f"key-{secrets.token_hex(6)}"),
        ],
        body,
    )
    run.http(two_keys, 400, expected="400: a repeated Idempotency-Key is refused, never resolved last-wins")
    for user in (alice, bob):
        listed = demo.call("GET", "/notes?limit=50", token=user.id_token)
        titles = [n.get("title") for n in (listed.json() or {}).get("items", [])]
        run.http(listed, 200, also=title not in titles, expected="200: no note was created")


def _idempotent_replay_after_delete(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    key = {"Idempotency-Key": f"replay-{secrets.token_hex(8)}"}
    body = {"title": f"Replayed {key['Idempotency-Key']}", "content": "created, deleted, then retried"}
    first = run.http(demo.call("POST", "/notes", token=alice.id_token, body=body, headers=key), 201)
    note_id = (first.json() or {}).get("noteId", "missing")
    run.http(demo.call("DELETE", f"/notes/{note_id}", token=alice.id_token), 204)
    run.http(
        demo.call("POST", "/notes", token=alice.id_token, body=body, headers=key),
        409,
        expected="409: the note this key created was deleted; the old '201 created' is not replayed",
    )
    run.http(demo.call("GET", f"/notes/{note_id}", token=alice.id_token), 404, expected="404: still deleted")


def _file_overwrite_after_confirm(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    first_bytes = b"%PDF-1.7 " + secrets.token_bytes(1024)
    created = demo.call(
        "POST",
        "/files",
        token=alice.id_token,
        body={"fileName": "report.pdf", "contentType": "application/pdf", "size": 2048},
    )
    data = created.json() or {}
    run.http(created, 201, expected="201, an upload link for up to 2048 bytes, valid 300 s")
    upload = data.get("upload") or {}
    file_id = data.get("fileId", "missing")
    run.http(demo.post_form(upload.get("url", ""), upload.get("fields", {}), first_bytes), 204)
    confirmed = demo.call("GET", f"/files/{file_id}", token=alice.id_token)
    run.http(
        confirmed,
        200,
        also=(confirmed.json() or {}).get("size") == len(first_bytes),
        expected=f"200: confirmed, size {len(first_bytes)}",
    )
    second_bytes = b"%PDF-1.7 " + secrets.token_bytes(100)
    run.http(
        demo.post_form(upload.get("url", ""), upload.get("fields", {}), second_bytes),
        204,
        expected="204: the same link writes again (a presigned POST cannot be revoked before it expires)",
    )
    again = demo.call("GET", f"/files/{file_id}", token=alice.id_token)
    link = (again.json() or {}).get("downloadUrl", "")
    run.http(
        again,
        200,
        also=(again.json() or {}).get("size") == len(second_bytes),
        expected=f"200 with size {len(second_bytes)}: while the link can write, each read checks the object "
        "again and the record follows it (not the old size)",
    )
    downloaded = demo.fetch(link)
    run.http(
        downloaded,
        200,
        also=downloaded.body == second_bytes and downloaded.header("Cache-Control") == "no-store",
        expected="200, the bytes the record describes, Cache-Control: no-store",
    )


def _upload_quota(demo: Demo, run: Run) -> None:
    erin = demo.user(ERIN)
    body = {"fileName": "part.pdf", "contentType": "application/pdf", "size": 1024}
    statuses = Counter(
        demo.call("POST", "/files", token=erin.id_token, body=body).status for _ in range(MAX_PENDING_UPLOADS)
    )
    run.check(
        f"{MAX_PENDING_UPLOADS} x POST /files by Erin (links valid 300 s, nothing uploaded)",
        str(dict(statuses)),
        f"{MAX_PENDING_UPLOADS} x 201",
        statuses == Counter({201: MAX_PENDING_UPLOADS}),
    )
    run.http(
        demo.call("POST", "/files", token=erin.id_token, body=body),
        409,
        expected=f"409: at most {MAX_PENDING_UPLOADS} uploads in progress per user (and 100 MiB in all)",
    )
    alice = demo.user(ALICE)
    other = demo.call("POST", "/files", token=alice.id_token, body=body)
    run.http(other, 201, expected="201: Alice's uploads are bounded on their own")


def _disabled_user_writes(demo: Demo, run: Run) -> None:
    pool = demo.target.user_pool_id
    email = f"frank-{secrets.token_hex(3)}@example.com"
    sub, temporary = demo.create_user(email)
    tokens, _secret = demo.first_sign_in(email, temporary, generate_temporary_password())
    token = tokens["IdToken"]
    note = {"title": "Frank's note", "content": "before"}
    run.http(demo.call("POST", "/notes", token=token, body=note), 201, expected="201: Frank writes")
    demo.cognito.admin_disable_user(UserPoolId=pool, Username=email)
    try:
        run.http(
            demo.call("POST", "/notes", token=token, body=note, label="<Frank's ID token, Frank disabled>"),
            403,
            expected="403: the token is still valid for API Gateway, but the function asks the user pool (disabled)",
        )
        run.http(
            demo.call("PUT", "/me", token=token, body={"displayName": "Frank"}, label="<Frank's ID token, disabled>"),
            403,
            expected="403: no profile write either",
        )
    finally:
        demo.cognito.admin_enable_user(UserPoolId=pool, Username=email)
    listed = demo.call("GET", "/notes", token=token)
    run.http(
        listed, 200, also=len((listed.json() or {}).get("items", [])) == 1, expected="200: one note, reads allowed"
    )
    for item in (listed.json() or {}).get("items", []):
        demo.call("DELETE", f"/notes/{item['noteId']}", token=token)  # leave nothing behind
    demo.cognito.admin_delete_user(UserPoolId=pool, Username=email)
    demo.created_users.pop(email, None)
    run.http(
        demo.call("POST", "/notes", token=token, body=note, label="<Frank's ID token, Frank deleted>"),
        403,
        expected="403: the user pool no longer has Frank; nothing is written",
    )
    del sub


ROUND2_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "forged-token-flood",
        "Attack: a flood of forged, well-formed tokens from one client while a user works on another",
        "WAF RateLimitTokenPerIp (per IP per minute, below the stage burst), emulated by the local gateway",
        _forged_token_flood,
        needs=frozenset({GATEWAY}),
    ),
    Scenario(
        "error-response-headers",
        "Every refusal carries Cache-Control: no-store and X-Content-Type-Options: nosniff",
        "SecureRestApi gateway responses (GATEWAY_RESPONSE_HEADERS) and kit_common.responses",
        _error_response_headers,
    ),
    Scenario(
        "duplicated-header",
        "Attack: repeated Authorization and Idempotency-Key headers",
        "kit_common.headers: one value per security-relevant header, else 400",
        _duplicated_header,
    ),
    Scenario(
        "idempotent-replay-after-delete",
        "A retried POST /notes whose note was deleted since",
        "notes function: a replay is checked against the table (409 once deleted)",
        _idempotent_replay_after_delete,
    ),
    Scenario(
        "file-overwrite-after-confirm",
        "Attack: the upload link is used again after the upload was confirmed",
        "files function: while the link can write, each read re-checks the object and the record follows it",
        _file_overwrite_after_confirm,
    ),
    Scenario(
        "upload-quota",
        "Attack: one user asks for more upload links than the per-user bound",
        "files function: MAX_PENDING_UPLOADS and USER_QUOTA_BYTES per user",
        _upload_quota,
    ),
    Scenario(
        "disabled-user-writes",
        "Revocation: a disabled, then deleted, user's still-valid ID token tries to write",
        "every write asks the user pool (AdminGetUser, access level read-status)",
        _disabled_user_writes,
    ),
)

for _scenario in ROUND2_SCENARIOS:
    register(_scenario)
