"""Client side of the reference stack's sign-in: Cognito SRP, TOTP, a private token file, API calls.

Standard library and boto3 only, so the script runs anywhere the kit's virtual environment does.
``kit_user.py`` (next to this package) is the command line; the modules are importable for tests
and for your own tooling:

- ``srp``: AWS Cognito's SRP-6a variant (3072-bit group of RFC 5054, SHA-256, HKDF).
- ``totp``: RFC 6238 one-time codes (SHA-1, 30 s, 6 digits) and ``otpauth://`` URIs.
- ``tokens``: the token file (mode 0600) and expiry checks.
- ``cognito``: stack outputs, creating users, the sign-in state machine, refresh, sign-out.
- ``api``: calling the REST API with the ID token.
- ``cli``: argument parsing, prompts and one-line error messages.
"""

from __future__ import annotations


class KitError(Exception):
    """An expected failure: the CLI prints its message on one line and exits non-zero."""
