"""The HTTP server in front of ``LocalRestApi``: loopback only, API Gateway's limits on the
request line and headers, bodies (plain or chunked) up to API Gateway's limit, the stage prefix,
and JSON answers with no ``Server`` banner for requests too malformed to reach the API."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .definition import API_GATEWAY_MAX_BODY_BYTES
from .responses import GatewayResponse, plain_error

if TYPE_CHECKING:
    from .api import LocalRestApi

#: API Gateway's limit for the request line and headers together.
API_GATEWAY_MAX_HEADER_BYTES = 10_240

_log = logging.getLogger("localmode.gateway")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the gateway writes its own access log
        return

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the API (TRACE, CONNECT, "FOO" ...): API Gateway answers an
        # undeclared method with its JSON 403, never an HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Status line and Date only: API Gateway sends no ``Server`` banner."""
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Requests too malformed to reach the API (bad request line, header overflow): JSON, no banner."""
        self.close_connection = True
        self.request_version = "HTTP/1.1"  # a status line even for a request line that never parsed
        status = 413 if code in (414, 431) else 400
        text = "Request Too Long" if status == 413 else "Bad Request"
        _log.info("gateway rejected a malformed request: %d (%s)", status, message or code)
        body = json.dumps({"message": text}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", "RequestTooLargeException" if status == 413 else "BadRequestException")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)

    def _header_bytes(self) -> int:
        """Request line plus headers, as API Gateway counts them against its 10,240-byte limit."""
        return len(self.requestline) + 2 + sum(len(k) + len(v) + 4 for k, v in self.headers.items())

    def _dispatch(self) -> None:
        api = self.server.api
        stage = api.stage_name
        target = self.path
        if "://" in target:  # absolute-form request target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, query = target.partition("?")
        prefix = f"/{stage}"
        if self._header_bytes() > API_GATEWAY_MAX_HEADER_BYTES:
            self.close_connection = True
            _log.info(
                "gateway rejected %s %s: 413 request line and headers are %d bytes, over API Gateway's %d",
                self.command,
                raw_path[:80],
                self._header_bytes(),
                API_GATEWAY_MAX_HEADER_BYTES,
            )
            self._send(plain_error(413, "RequestTooLargeException", "Request Too Long"))
            return
        try:
            body = self._read_body()
        except ValueError:  # malformed chunked framing: the connection cannot be trusted
            self.close_connection = True
            self._send(plain_error(400, "BadRequestException", "Bad Request"))
            return
        if raw_path != prefix and not raw_path.startswith(prefix + "/"):
            # Outside the stage: API Gateway's own answer, not one of the API's gateway responses.
            self.close_connection = self.close_connection or body is None
            self._send(plain_error(403, "ForbiddenException", "Forbidden"))
            return
        path = raw_path[len(prefix) :] or "/"
        if body is None:  # larger than API Gateway's limit: answer without reading it all
            self.close_connection = True
        response = api._handle(
            self.command,
            path,
            list(self.headers.items()),
            body,
            query,
            source_ip=api.client_address(self.client_address[0], list(self.headers.items())),
            oversized=body is None,
        )
        self._send(response)

    def _read_body(self) -> bytes | None:
        """The request body; None when over API Gateway's limit (left unread); ValueError on bad framing."""
        limit = API_GATEWAY_MAX_BODY_BYTES
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(65537)
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size += length
                if size > limit:
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline(3)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: GatewayResponse) -> None:
        self.send_response(response.status)
        for name, values in (response.multi_value_headers or {k: [v] for k, v in response.headers.items()}).items():
            if name.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # A thread per connection, and a listen backlog that absorbs bursts of parallel clients
    # (the default of 5 resets connections at about 20 at once).
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:  # e.g. a client that hung up
        _log.debug("connection from %s failed", client_address, exc_info=True)

    def __init__(self, api: LocalRestApi, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family
        self.api = api
        super().__init__(address, _Handler)


class LocalGatewayServer:
    """The gateway on ``http://<loopback>:<port>/<stage>/``; ``shutdown()`` stops it."""

    def __init__(self, api: LocalRestApi, host: str, port: int) -> None:
        family = socket.AF_INET6 if host == "::1" else socket.AF_INET
        bind = "127.0.0.1" if host == "localhost" else host
        self.api = api
        self._server = _Server(api, (bind, port), family)
        self.host = bind
        self.port: int = self._server.server_address[1]
        shown = f"[{bind}]" if family == socket.AF_INET6 else bind
        #: ``http://127.0.0.1:<port>``: no stage.
        self.base_url = f"http://{shown}:{self.port}"
        #: The stage's URL with a trailing slash, like CDK's ``RestApi.url``.
        self.url = f"{self.base_url}/{api.stage_name}/"
        # shutdown() waits for the serving loop's next poll: 50 ms, not socketserver's 0.5 s per stop
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"local-gateway-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalGatewayServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
