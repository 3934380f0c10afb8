"""The services' own rules, used and attacked: profiles and notes keyed by the token's sub,
the admin-only route, conditional writes (another user's note, a stale version)."""

from __future__ import annotations

from .demo import Demo
from .model import ALICE, BOB, Run


def profiles(demo: Demo, run: Run) -> None:
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


def notes(demo: Demo, run: Run) -> None:
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


def admin_route(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    run.http(demo.call("PUT", "/me", token=bob.id_token, body={"displayName": "Bob"}), 200)
    run.http(
        demo.call("GET", f"/profiles/{alice.sub}", token=bob.id_token),
        403,
        expected="403: Bob is not in the admins group (cognito:groups claim)",
    )
    read = demo.call("GET", f"/profiles/{bob.sub}", token=alice.id_token)
    run.http(read, 200, also=(read.json() or {}).get("displayName") == "Bob", expected="200: Alice is an admin")


def cross_user_read(demo: Demo, run: Run) -> None:
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


def cross_user_update(demo: Demo, run: Run) -> None:
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


def stale_update(demo: Demo, run: Run) -> None:
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
