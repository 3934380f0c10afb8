"""Client side of the reference stack's sign-in: Cognito SRP, TOTP, a private token file, API calls.

An installed package (``make setup``; source root ``scripts/``), imported as ``kit_auth`` by the
script, local mode and the tests. ``kit_user.py`` (next to this package, also ``kit-user``) is the
command line; the modules are importable for tests and for your own tooling:

- ``srp``: AWS Cognito's SRP-6a sign-in through pycognito's ``AWSSRP``, with Cognito's challenge
  checked first.
- ``totp``: RFC 6238 one-time codes through ``cryptography``'s TOTP, and ``otpauth://`` URIs.
- ``tokens``: the token file (mode 0600) and expiry checks.
- ``cognito``: stack outputs, creating users, the sign-in state machine, refresh, sign-out.
- ``api``: calling the REST API with the ID token.
- ``cli``: argument parsing, prompts and one-line error messages.
"""

from __future__ import annotations


class KitError(Exception):
    """An expected failure: the CLI prints its message on one line and exits non-zero."""
