"""`kit_user.py call` against a tiny local HTTP server (127.0.0.1, ephemeral port) standing in for API Gateway.

The server records every request, so the tests see exactly what would reach the API: the
Authorization header carrying the ID token, the method, the path under the stage, the body.
Token refresh goes to moto's Cognito.
"""

from __future__ import annotations

import base64
import json
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kit_user_support import REGION, Pool, Terminal, create_and_first_sign_in

from kit_auth import tokens


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeApi:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    #: path -> (status, body, extra headers)
    routes: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            api.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
            status, text, extra = api.routes.get(self.path, (404, '{"message": "Not Found"}', {}))
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/dev/"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.signature"


def _write_tokens(
    token_file: Path,
    *,
    api_url: str | None,
    exp: float,
    refresh_token: str = "refresh",  # noqa: S107 - a placeholder, not a credential
    **extra: Any,
) -> str:
    id_token = _jwt({"exp": int(exp), "email": "ada@example.com"})
    tokens.save(
        token_file,
        {
            "Region": REGION,
            "UserPoolId": f"{REGION}_pool",
            "ClientId": "client",
            "ApiUrl": api_url,
            "IdToken": id_token,
            "AccessToken": "access",
            "RefreshToken": refresh_token,
            "ExpiresAt": int(exp),
            **extra,
        },
    )
    return id_token


def test_get_sends_the_id_token_and_prints_status_and_body(
    fake_api: FakeApi, terminal: Terminal, token_file: Path
) -> None:
    id_token = _write_tokens(token_file, api_url=fake_api.url, exp=time.time() + 3600)
    fake_api.routes["/dev/me"] = (200, '{"userId": "abc", "email": "ada@example.com"}', {})

    code = terminal.run("call", "GET", "/me", "--token-file", str(token_file))

    assert code == 0, terminal.screen
    [request] = fake_api.requests
    assert (request.method, request.path) == ("GET", "/dev/me")
    assert request.headers["Authorization"] == id_token  # the raw ID token, as the Cognito authorizer expects
    assert terminal.stdout.splitlines()[0] == "HTTP 200 OK"
    assert json.loads(terminal.stdout.split("\n", 1)[1]) == {"userId": "abc", "email": "ada@example.com"}
    assert id_token not in terminal.stdout + terminal.screen


def test_post_sends_the_json_body(fake_api: FakeApi, terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() + 3600)
    fake_api.routes["/dev/notes"] = (201, '{"noteId": "n1", "version": 1}', {})

    code = terminal.run(
        "call", "post", "notes", "--data", '{"title": "first", "content": "hello"}', "--token-file", str(token_file)
    )

    assert code == 0, terminal.screen
    [request] = fake_api.requests
    assert (request.method, request.path) == ("POST", "/dev/notes")
    assert json.loads(request.body) == {"title": "first", "content": "hello"}
    assert request.headers["Content-Type"] == "application/json"
    assert terminal.stdout.startswith("HTTP 201 Created\n")
    assert '"noteId": "n1"' in terminal.stdout


def test_error_status_is_printed_and_exits_non_zero(fake_api: FakeApi, terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() + 3600)
    fake_api.routes["/dev/notes/n1"] = (409, '{"message": "Conflict", "correlationId": "c-1"}', {})

    code = terminal.run("call", "PUT", "/notes/n1", "--data", "{}", "--token-file", str(token_file))

    assert code == 1
    assert terminal.stdout.startswith("HTTP 409 Conflict\n")
    assert '"correlationId": "c-1"' in terminal.stdout


def test_unauthorized_suggests_signing_in_again(fake_api: FakeApi, terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() + 3600)
    fake_api.routes["/dev/me"] = (401, '{"message": "Unauthorized"}', {})
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 1
    assert "sign in again (python scripts/kit_user.py sign-in --email ada@example.com)" in terminal.screen


def test_redirects_are_not_followed(fake_api: FakeApi, terminal: Terminal, token_file: Path) -> None:
    """A redirect could carry the Authorization header elsewhere: show it, do not follow it."""
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() + 3600)
    fake_api.routes["/dev/me"] = (302, "", {"Location": "/elsewhere"})
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 1
    assert terminal.stdout.startswith("HTTP 302")
    assert [r.path for r in fake_api.requests] == ["/dev/me"]


def test_api_url_option_wins_over_the_saved_one(fake_api: FakeApi, terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url="https://old.example.com/dev/", exp=time.time() + 3600)
    fake_api.routes["/dev/me"] = (200, "{}", {})
    assert terminal.run("call", "GET", "/me", "--api-url", fake_api.url, "--token-file", str(token_file)) == 0
    assert len(fake_api.requests) == 1


def test_invalid_json_data_sends_nothing(fake_api: FakeApi, terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() + 3600)
    assert terminal.run("call", "POST", "/notes", "--data", "{title: x}", "--token-file", str(token_file)) == 1
    assert terminal.screen.startswith("--data is not valid JSON:")
    assert fake_api.requests == []


def test_plain_http_to_a_remote_host_is_refused(terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url="http://api.example.com/dev/", exp=time.time() + 3600)
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 1
    assert terminal.screen.strip() == (
        "refusing to send a token to 'http://api.example.com/dev/': the API URL must start with https://"
    )


def test_unreachable_api_is_one_line(terminal: Terminal, token_file: Path) -> None:
    _write_tokens(token_file, api_url="http://127.0.0.1:9/dev/", exp=time.time() + 3600)
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file), "--timeout", "2") == 1
    assert terminal.screen.startswith("call failed: cannot reach 127.0.0.1:9:")
    assert len(terminal.screen.strip().splitlines()) == 1


def test_not_signed_in(terminal: Terminal, token_file: Path) -> None:
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 1
    assert terminal.screen.strip() == f"not signed in (no token file at {token_file}): run sign-in first"


def test_damaged_token_file(terminal: Terminal, token_file: Path) -> None:
    token_file.parent.mkdir(parents=True)
    token_file.write_text("{not json")
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 1
    assert terminal.screen.strip() == f"cannot read the token file {token_file} (JSONDecodeError): sign in again"


def test_expired_token_and_revoked_refresh_token_say_sign_in_again(
    pool: Pool, fake_api: FakeApi, terminal: Terminal, token_file: Path
) -> None:
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() - 10, ClientId=pool.client_id)
    fake_api.routes["/dev/me"] = (200, "{}", {})

    code = terminal.run("call", "GET", "/me", "--token-file", str(token_file))

    assert code == 1
    assert terminal.screen.strip() == (
        "your session has expired or was revoked: sign in again "
        "(python scripts/kit_user.py sign-in --email ada@example.com)"
    )
    assert fake_api.requests == []  # nothing sent with an expired token


def test_expired_token_without_refresh_token_says_sign_in_again(
    fake_api: FakeApi, terminal: Terminal, token_file: Path
) -> None:
    _write_tokens(token_file, api_url=fake_api.url, exp=time.time() - 10, refresh_token="")
    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 1
    assert terminal.screen.startswith("your session has expired: sign in again")
    assert fake_api.requests == []


def test_expired_id_token_is_refreshed_then_used(
    pool: Pool, fake_api: FakeApi, terminal: Terminal, token_file: Path
) -> None:
    create_and_first_sign_in(pool, terminal, token_file)
    saved = json.loads(token_file.read_text())
    saved["IdToken"] = _jwt({"exp": int(time.time()) - 5, "email": "ada@example.com"})
    saved["ApiUrl"] = fake_api.url
    tokens.save(token_file, saved)
    fake_api.routes["/dev/me"] = (200, "{}", {})

    assert terminal.run("call", "GET", "/me", "--token-file", str(token_file)) == 0, terminal.screen

    refreshed = json.loads(token_file.read_text())
    assert refreshed["IdToken"] != saved["IdToken"]
    assert not tokens.is_expired(refreshed)
    assert refreshed["RefreshToken"] == saved["RefreshToken"]  # kept: a refresh returns none
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    [request] = fake_api.requests
    assert request.headers["Authorization"] == refreshed["IdToken"]
