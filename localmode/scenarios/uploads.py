"""Files: the presigned upload and download, and the attacks the POST policy and the
files function's ownership stop (size, content type, key, another user's file)."""

from __future__ import annotations

import secrets
from typing import Any

from .demo import Demo
from .model import ALICE, BOB, DemoUser, Reply, Run


def upload_form(
    demo: Demo, user: DemoUser, *, content_type: str = "application/pdf", size: int = 2048
) -> tuple[Reply, dict[str, Any]]:
    created = demo.call(
        "POST",
        "/files",
        token=user.id_token,
        body={"fileName": "report.pdf", "contentType": content_type, "size": size},
    )
    return created, (created.json() or {})


def files(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    content = b"%PDF-1.7 " + secrets.token_bytes(1024)
    created, data = upload_form(demo, alice, size=len(content))
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


def oversized_upload(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    created, data = upload_form(demo, alice, size=1024)
    upload = data.get("upload") or {}
    run.http(created, 201, expected="201, a presigned POST for at most 1024 bytes")
    reply = demo.post_form(upload.get("url", ""), upload.get("fields", {}), b"x" * 4096)
    run.http(reply, 400, also=b"EntityTooLarge" in reply.body, expected="400 EntityTooLarge (content-length-range)")
    demo.call("DELETE", f"/files/{data.get('fileId', 'missing')}", token=alice.id_token)


def wrong_content_type(demo: Demo, run: Run) -> None:
    alice = demo.user(ALICE)
    _created, data = upload_form(demo, alice, content_type="image/png", size=64)
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


def key_outside_prefix(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    _created, data = upload_form(demo, alice, size=64)
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


def cross_user_file(demo: Demo, run: Run) -> None:
    alice, bob = demo.user(ALICE), demo.user(BOB)
    content = b"%PDF alice's"
    _, data = upload_form(demo, alice, size=len(content))
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
