"""The kit's one definition of an allowed CORS origin (docs/layout.md, "One CORS origin rule").

``ORIGIN_PATTERN`` is the one regex and ``origin_problem`` the one validator: the constructs
(``SecureRestApi``, ``SecureBucket``, through ``secure_serverless._validation``) and the
reference stack's configuration use this function. The handlers run in Lambda without this
package, so the Lambda layer carries the pattern as data (``originPattern`` in
``kit_common/contract.json``); the stack refuses to synthesize when that copy differs from
``ORIGIN_PATTERN`` (``stacks/contract.py``) and a test holds the same (tests/reference/test_contract.py).
Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["ORIGIN_PATTERN", "origin_problem"]

#: An exact CORS origin: https with any host, or http only for localhost and 127.0.0.1; an optional
#: port; no wildcard, no path. Matched whole (``re.fullmatch``), so a trailing newline is refused too.
ORIGIN_PATTERN = r"(https://[A-Za-z0-9.-]+|http://(localhost|127\.0\.0\.1))(:[0-9]{1,5})?"
_ORIGIN = re.compile(ORIGIN_PATTERN)


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not an acceptable CORS origin, or None when it is.

    Accepted: ``https://host[:port]``, and ``http://localhost[:port]`` or ``http://127.0.0.1[:port]``
    for development; no wildcard, no path.
    """
    if "*" in origin:
        return "wildcard origins let any site call with a user's browser; list exact origins"
    if not _ORIGIN.fullmatch(origin):
        return "use an origin like 'https://app.example.com' (scheme and host, optional port, no path)"
    return None
