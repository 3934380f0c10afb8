"""Call the reference API with the ID token (the Cognito authorizer reads the `Authorization` header)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any

from . import KitError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_TIMEOUT_SECONDS = 30.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it could carry the Authorization header to another host."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class ApiResponse:
    status: int
    reason: str
    body: str
    location: str | None = None  # of a redirect, which is never followed


def build_url(api_url: str, path: str) -> str:
    """``https://x.execute-api.../dev/`` + ``/notes?limit=5`` -> ``https://x.execute-api.../dev/notes?limit=5``.

    Only https is accepted, except for a local test server on localhost: the token must never
    travel in clear.
    """
    parsed = urllib.parse.urlsplit(api_url)
    if parsed.scheme == "http" and parsed.hostname in _LOCAL_HOSTS:
        pass
    elif parsed.scheme != "https" or not parsed.hostname:
        raise KitError(f"refusing to send a token to {api_url!r}: the API URL must start with https://")
    if not path.startswith("/"):
        path = "/" + path
    return api_url.rstrip("/") + path


def parse_json_body(data: str | None) -> bytes | None:
    """The request body: ``data`` must be JSON (the API validates bodies against JSON schemas)."""
    if data is None:
        return None
    try:
        json.loads(data)
    except ValueError as error:
        raise KitError(f"--data is not valid JSON: {error}") from None
    return data.encode("utf-8")


def call(
    api_url: str,
    method: str,
    path: str,
    *,
    id_token: str,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> ApiResponse:
    """Send one request with ``Authorization: <ID token>``; any HTTP status is returned, not raised."""
    method = method.upper()
    if method not in METHODS:
        raise KitError(f"unknown HTTP method {method!r}: use one of {', '.join(METHODS)}")
    url = build_url(api_url, path)
    headers = {"Authorization": id_token, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - scheme checked in build_url
        with _OPENER.open(request, timeout=timeout) as response:
            return ApiResponse(response.status, response.reason, _text(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return ApiResponse(error.code, str(error.reason), _text(error.read()), error.headers.get("Location"))
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as error:
        reason: Any = getattr(error, "reason", error)
        raise KitError(f"call failed: cannot reach {urllib.parse.urlsplit(url).netloc}: {reason}") from None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def format_body(body: str) -> str:
    """JSON bodies indented for reading; anything else as it came."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
