#!/usr/bin/env python3
"""Users of the Secure Serverless Kit's reference stack: create one, sign in (SRP + TOTP), call the API.

    python scripts/kit_user.py create-user --email you@example.com --group admins
    python scripts/kit_user.py sign-in --email you@example.com
    python scripts/kit_user.py call GET /me
    python scripts/kit_user.py sign-out

Run ``python scripts/kit_user.py --help`` (and ``<command> --help``) for every option; docs/first-user.md
walks through the first sign-in. The logic lives in the ``kit_auth`` package next to this file,
installed by ``make setup`` (``.venv/bin/kit-user`` is the same command).
"""

from __future__ import annotations

from kit_auth.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
