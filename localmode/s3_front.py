"""A local stand-in for S3's browser endpoints, placed where S3 would be, in front of moto.

moto 5.2.5 cannot serve the files service's presigned requests once IAM is enforced: a
presigned POST (browser upload) fails with a 500 (it looks for an Authorization header), it
never checks a POST policy's conditions, and a presigned GET fails its signature check. This
front does what S3 does for those two, and passes every other request to moto unchanged:

- **POST upload** (``POST /<bucket>``, multipart form, no Authorization header): the SigV4
  signature of the policy (the signer's secret is known to local mode, which assumed the role
  for the function), the policy's expiration, every condition (exact match, ``eq``,
  ``starts-with``, ``content-length-range``), and that every form field is covered by a
  condition, as S3 documents it. Then the object is written with the *signer's* credentials:
  the emulator's IAM decides whether the signing role may ``s3:PutObject`` there. Success is
  204 (or the form's ``success_action_status``); a failed condition is 403 AccessDenied
  ("Invalid according to Policy: ..."), a size outside the range 400 EntityTooLarge/Small.
- **presigned GET** (``X-Amz-Signature`` in the query): the signature (host, path, query),
  ``X-Amz-Expires``, the session token; then the object is read with the signer's credentials
  and returned with the ``response-content-*`` and ``response-cache-control`` overrides the URL signed.
- **everything else** (the SDK calls of handlers and probes, signed in their Authorization
  header): forwarded to moto byte for byte, Host included, so moto verifies the signature and
  enforces IAM as before.

Errors are S3's XML error documents. The front binds loopback only.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import hmac
import http.client
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

__all__ = ["PolicyRejected", "S3Front", "check_post_policy", "presigned_get_problem", "signing_key"]

_log = logging.getLogger("localmode.s3")
_IGNORED_FIELDS = frozenset({"policy", "x-amz-signature", "file"})
_RESPONSE_OVERRIDES = {
    "response-cache-control": "CacheControl",
    "response-content-disposition": "ContentDisposition",
    "response-content-type": "ContentType",
}


class PolicyRejected(Exception):
    """A request S3 would refuse: ``status``, S3 error ``code`` and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    """SigV4's derived key: HMAC chain over date, region, service and "aws4_request"."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _sign(secret: str, scope: list[str], text: str) -> str:
    return hmac.new(signing_key(secret, scope[1], scope[2], scope[3]), text.encode(), hashlib.sha256).hexdigest()


def _credential_scope(credential: str) -> list[str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise PolicyRejected(400, "AuthorizationQueryParametersError", f"malformed credential {credential!r}")
    return parts  # access key, date, region, service, "aws4_request"


SecretLookup = Callable[[str], "tuple[str, str | None] | None"]


def _secret(lookup: SecretLookup, access_key: str, token: str | None) -> str:
    found = lookup(access_key)
    if found is None:
        raise PolicyRejected(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    secret, session_token = found
    if session_token is not None and token != session_token:
        raise PolicyRejected(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    return secret


def _condition_failed(condition: Any) -> PolicyRejected:
    return PolicyRejected(
        403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    )


def check_post_policy(
    *, bucket: str, fields: dict[str, str], size: int, lookup: SecretLookup, now: datetime | None = None
) -> None:
    """Raise ``PolicyRejected`` unless S3 would accept this POST upload (see the module docstring)."""
    lowered = {name.lower(): value for name, value in fields.items()}
    for required in ("policy", "x-amz-signature", "x-amz-credential", "x-amz-algorithm", "x-amz-date", "key"):
        if required not in lowered:
            raise PolicyRejected(400, "InvalidArgument", f"Bucket POST must contain a field named '{required}'.")
    if lowered["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise PolicyRejected(400, "InvalidArgument", "only AWS4-HMAC-SHA256 is supported")
    scope = _credential_scope(lowered["x-amz-credential"])
    secret = _secret(lookup, scope[0], lowered.get("x-amz-security-token"))
    if not hmac.compare_digest(_sign(secret, scope, lowered["policy"]), lowered["x-amz-signature"]):
        raise PolicyRejected(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
    try:
        policy = json.loads(base64.b64decode(lowered["policy"]))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy.get("conditions", []))
    except (ValueError, KeyError, TypeError) as error:
        raise PolicyRejected(400, "InvalidPolicyDocument", f"Invalid Policy: {error}") from None
    if (now or datetime.now(UTC)) >= expiration:
        raise PolicyRejected(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**lowered, "bucket": bucket}
    covered = {"bucket"}
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, expected),) = condition.items()
            operator, name = "eq", str(name).lower()
        elif isinstance(condition, list) and len(condition) == 3 and condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                raise PolicyRejected(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if size < low:
                raise PolicyRejected(
                    400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
                )
            continue
        elif isinstance(condition, list) and len(condition) == 3 and condition[0] in ("eq", "starts-with"):
            operator, name, expected = condition[0], str(condition[1]).lower().removeprefix("$"), condition[2]
        else:
            raise PolicyRejected(400, "InvalidPolicyDocument", f"Invalid Policy: unknown condition {condition!r}")
        covered.add(name)
        value = values.get(name)
        if value is None:
            raise _condition_failed(condition)
        if operator == "eq" and value != str(expected):
            raise _condition_failed(condition)
        if operator == "starts-with" and not value.startswith(str(expected)):
            raise _condition_failed(condition)
    for name in lowered:
        if name not in covered and name not in _IGNORED_FIELDS and not name.startswith("x-ignore-"):
            raise PolicyRejected(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {name}")


def _uri_encode(text: str) -> str:
    return quote(text, safe="-_.~")


def presigned_get_problem(
    *, host: str, path: str, query: str, lookup: SecretLookup, now: datetime | None = None
) -> None:
    """Raise ``PolicyRejected`` unless the presigned GET's signature and expiry hold (SigV4 query auth)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    params = dict(pairs)
    try:
        scope = _credential_scope(params["X-Amz-Credential"])
        stamp = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(params["X-Amz-Expires"])
        signed_headers = params["X-Amz-SignedHeaders"]
        signature = params["X-Amz-Signature"]
    except (KeyError, ValueError) as error:
        raise PolicyRejected(400, "AuthorizationQueryParametersError", f"malformed presigned URL: {error}") from None
    if (now or datetime.now(UTC)) > stamp + timedelta(seconds=expires):
        raise PolicyRejected(403, "AccessDenied", "Request has expired")
    if signed_headers != "host":
        raise PolicyRejected(400, "AuthorizationQueryParametersError", "the local front signs only the host header")
    secret = _secret(lookup, scope[0], params.get("X-Amz-Security-Token"))
    canonical_query = "&".join(f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature")
    canonical = "\n".join(["GET", path, canonical_query, f"host:{host}", "", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], "/".join(scope[1:]), hashlib.sha256(canonical.encode()).hexdigest()]
    )
    if not hmac.compare_digest(_sign(secret, scope, to_sign), signature):
        raise PolicyRejected(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")


def _error_document(error: PolicyRejected, resource: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"<Resource>{escape(resource)}</Resource></Error>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def version_string(self) -> str:
        return "AmazonS3"

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _reply(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, *, length: str | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        # A HEAD answer has no body but must keep the object's Content-Length (head_object reads it).
        self.send_header("Content-Length", length if length is not None else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reject(self, error: PolicyRejected) -> None:
        _log.info("S3 front rejected %s %s: %s %s", self.command, self.path.split("?")[0], error.code, error.message)
        self._reply(error.status, _error_document(error, self.path.split("?")[0]), {"Content-Type": "application/xml"})

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        body = self._body()
        try:
            if self.command == "POST" and "Authorization" not in self.headers and self._is_form():
                return self._post_upload(split.path, body)
            if self.command in ("GET", "HEAD") and "X-Amz-Signature=" in split.query:
                return self._presigned_get(split.path, split.query)
        except PolicyRejected as error:
            return self._reject(error)
        self._forward(body)

    def _is_form(self) -> bool:
        return (self.headers.get("Content-Type") or "").lower().startswith("multipart/form-data")

    def _post_upload(self, path: str, body: bytes) -> None:
        bucket = path.strip("/").split("/", 1)[0]
        raw = b"Content-Type: " + (self.headers.get("Content-Type") or "").encode() + b"\r\n\r\n" + body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields: dict[str, str] = {}
        content: bytes | None = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            if name == "file":
                content = payload
                break  # S3 ignores fields after the file
            if isinstance(name, str):
                fields[name] = payload.decode("utf-8")
        if content is None:
            raise PolicyRejected(400, "InvalidArgument", "POST requires exactly one file upload per request.")
        check_post_policy(bucket=bucket, fields=fields, size=len(content), lookup=self.server.lookup)
        lowered = {k.lower(): v for k, v in fields.items()}
        client = self.server.client_for(_credential_scope(lowered["x-amz-credential"])[0])
        extra = {"ContentType": lowered["content-type"]} if "content-type" in lowered else {}
        try:
            client.put_object(Bucket=bucket, Key=lowered["key"], Body=content, **extra)
        except Exception as error:  # botocore ClientError: the signer's role may not write there
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "AccessDenied")
            raise PolicyRejected(403, str(code), "Access Denied") from None
        status = int(lowered.get("success_action_status", "204"))
        _log.info("S3 front: POST upload of %d bytes to %s/%s", len(content), bucket, lowered["key"])
        self._reply(status if status in (200, 201, 204) else 204)

    def _presigned_get(self, path: str, query: str) -> None:
        presigned_get_problem(host=self.headers.get("Host", ""), path=path, query=query, lookup=self.server.lookup)
        params = dict(parse_qsl(query, keep_blank_values=True))
        bucket, _, key = path.lstrip("/").partition("/")
        client = self.server.client_for(_credential_scope(params["X-Amz-Credential"])[0])
        overrides = {arg: params[name] for name, arg in _RESPONSE_OVERRIDES.items() if name in params}
        from urllib.parse import unquote

        try:
            answer = client.get_object(Bucket=bucket, Key=unquote(key))
        except Exception as error:
            details = getattr(error, "response", {}).get("Error", {})
            status = 404 if details.get("Code") == "NoSuchKey" else 403
            raise PolicyRejected(status, str(details.get("Code", "AccessDenied")), "Access Denied") from None
        data = answer["Body"].read()
        headers = {
            "Content-Type": overrides.get("ContentType") or answer.get("ContentType", "binary/octet-stream"),
            "ETag": answer.get("ETag", ""),
        }
        if "ContentDisposition" in overrides:
            headers["Content-Disposition"] = overrides["ContentDisposition"]
        if "CacheControl" in overrides:
            headers["Cache-Control"] = overrides["CacheControl"]
        self._reply(200, data, headers)

    def _forward(self, body: bytes) -> None:
        upstream = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            passed = {
                k: v
                for k, v in response.getheaders()
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")
            }
            length = response.getheader("Content-Length") if self.command == "HEAD" else None
            self._reply(response.status, data, passed, length=length)
        finally:
            upstream.close()


for _method in ("GET", "HEAD", "PUT", "POST", "DELETE"):
    setattr(_Handler, f"do_{_method}", _Handler._dispatch)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, front: S3Front) -> None:
        self.front = front
        split = urlsplit(front.upstream)
        self.upstream_host, self.upstream_port = split.hostname or "127.0.0.1", split.port or 80
        super().__init__(("127.0.0.1", 0), _Handler)

    def lookup(self, access_key: str) -> tuple[str, str | None] | None:
        return self.front.lookup(access_key)

    def client_for(self, access_key: str) -> Any:
        return self.front.client_for(access_key)


class S3Front:
    """The front on ``http://127.0.0.1:<port>`` (``url``); ``remember`` the credentials it may verify."""

    def __init__(self, *, upstream: str, region: str) -> None:
        self.upstream = upstream
        self.region = region
        self._credentials: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(  # stops within 50 ms of shutdown(), as the gateway does
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-s3-front", daemon=True
        )
        self._thread.start()

    def remember(self, credentials: Any) -> Any:
        """Record credentials local mode handed out (a function's role); returns them unchanged."""
        with self._lock:
            self._credentials[credentials.access_key_id] = credentials
        return credentials

    def lookup(self, access_key: str) -> tuple[str, str | None] | None:
        with self._lock:
            found = self._credentials.get(access_key)
        return None if found is None else (found.secret_access_key, found.session_token)

    def client_for(self, access_key: str) -> Any:
        import boto3
        from botocore.config import Config

        with self._lock:
            credentials = self._credentials[access_key]
        return boto3.session.Session().client(
            "s3",
            region_name=self.region,
            endpoint_url=self.upstream,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
        )

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
