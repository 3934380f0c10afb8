"""The Cognito user pool authorizer of the local gateway: JWT checks and the claims it passes on.

What API Gateway's COGNITO_USER_POOLS authorizer checks, and so what is checked here:
- the token comes from the authorizer's identity-source header, either raw or after a
  ``Bearer `` scheme (both are accepted by API Gateway);
- a JWS signed with RS256 by a key of the pool's JWKS, selected by the header's ``kid``;
- ``iss`` is the pool's issuer URL and ``exp`` is in the future (no leeway);
- a method without OAuth scopes needs an ID token (``token_use`` "id", ``aud`` one of the pool's
  app clients); a method with scopes needs an access token (``token_use`` "access",
  ``client_id`` one of the pool's app clients, and at least one of the method's scopes in the
  space-separated ``scope`` claim);
- the authorizer's IdentityValidationExpression, when set, must match ``aud`` (``client_id``
  for access tokens).

Not checked, as in AWS: revocation (a token revoked by GlobalSignOut or RevokeToken stays valid
at the gateway until it expires; only Cognito's own APIs reject it), ``iat``/``auth_time``.

Every failure is a 401 UNAUTHORIZED gateway response; an expired token carries the message
"The incoming token has expired", any other failure "Unauthorized".
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwk, jwt
from joserfc.errors import JoseError

__all__ = ["EXPIRED_MESSAGE", "UNAUTHORIZED_MESSAGE", "CognitoTokenVerifier", "TokenRejected", "flatten_claims"]

UNAUTHORIZED_MESSAGE = "Unauthorized"
EXPIRED_MESSAGE = "The incoming token has expired"
_BEARER = re.compile(r"^[Bb][Ee][Aa][Rr][Ee][Rr] +")
#: Claims API Gateway renders as a date (``Fri Nov 28 13:00:00 UTC 2025``) rather than a number.
_DATE_CLAIMS = frozenset({"exp", "iat"})


class TokenRejected(Exception):
    """The authorizer refuses the request; ``message`` is what API Gateway would report."""

    def __init__(self, reason: str, *, message: str = UNAUTHORIZED_MESSAGE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def token_from_header(value: str | None) -> str:
    """The token in an Authorization header value: raw, or after the ``Bearer`` scheme."""
    if value is None or not value.strip():
        raise TokenRejected("no token in the identity source")
    text = value.strip()
    return _BEARER.sub("", text, count=1)


@dataclass(frozen=True)
class CognitoTokenVerifier:
    """Verifies user pool tokens as a REST API Cognito authorizer does."""

    issuer: str
    client_ids: frozenset[str]
    jwks: Mapping[str, Any]
    now: Callable[[], float] = time.time

    def _key(self, kid: Any) -> jwk.RSAKey:
        if not isinstance(kid, str):
            raise TokenRejected("token header has no kid")
        for key in self.jwks.get("keys") or []:
            if isinstance(key, Mapping) and key.get("kid") == kid:
                if key.get("kty") != "RSA":
                    raise TokenRejected(f"key {kid} is not an RSA key")
                return jwk.RSAKey.import_key(dict(key))
        raise TokenRejected("token signed by a key that is not in the pool's JWKS")

    def verify(
        self, header_value: str | None, *, scopes: Iterable[str] = (), validation_expression: str | None = None
    ) -> dict[str, Any]:
        """The token's claims, or ``TokenRejected``."""
        token = token_from_header(header_value)
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected("not a JWS compact token")
        try:
            header = json.loads(_b64url(parts[0]))
        except (ValueError, TypeError):
            raise TokenRejected("token header is not JSON") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise TokenRejected("token is not signed with RS256")
        key = self._key(header.get("kid"))
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"]).claims
        except (JoseError, ValueError, TypeError) as error:
            raise TokenRejected(f"signature or format invalid ({type(error).__name__})") from None
        if not isinstance(claims, dict):
            raise TokenRejected("claims are not a JSON object")
        if claims.get("iss") != self.issuer:
            raise TokenRejected("issuer is not the user pool")
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise TokenRejected("token has no numeric exp")
        if exp <= self.now():
            raise TokenRejected("token expired", message=EXPIRED_MESSAGE)
        wanted = list(scopes)
        if wanted:
            if claims.get("token_use") != "access":
                raise TokenRejected("method has OAuth scopes: an access token is required")
            client = claims.get("client_id")
            if client not in self.client_ids:
                raise TokenRejected("access token of an unknown app client")
            granted = claims.get("scope")
            granted_scopes = set(granted.split()) if isinstance(granted, str) else set()
            if not granted_scopes.intersection(wanted):
                raise TokenRejected("access token carries none of the method's scopes")
            audience: Any = client
        else:
            if claims.get("token_use") != "id":
                raise TokenRejected("method has no OAuth scopes: an ID token is required")
            audience = claims.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if not any(isinstance(a, str) and a in self.client_ids for a in audiences):
                raise TokenRejected("ID token of an unknown app client (aud)")
        if validation_expression is not None:
            values = audience if isinstance(audience, list) else [audience]
            if not any(isinstance(v, str) and re.fullmatch(validation_expression, v) for v in values):
                raise TokenRejected("audience does not match the IdentityValidationExpression")
        return claims


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _java_date(epoch: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(epoch))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def flatten_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API passes them in ``requestContext.authorizer.claims``: all strings.

    ``exp`` and ``iat`` become dates (``Fri Nov 28 13:00:00 UTC 2025``), other numbers and
    booleans their text, a list (``cognito:groups``) its items joined with commas ("admins" or
    "admins,editors"), an object its compact JSON. AWS's exact rendering of lists has varied;
    the kit's handlers (``kit_common.identity.parse_groups``) accept every known form.
    """
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = _java_date(value)
        elif isinstance(value, list):
            flat[name] = ",".join(_scalar(item) for item in value)
        else:
            flat[name] = _scalar(value)
    return flat
