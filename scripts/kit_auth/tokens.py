"""The token file: Cognito's tokens plus where they came from, readable by its owner only.

Layout (JSON)::

    {"Version": 1, "Region": ..., "UserPoolId": ..., "ClientId": ..., "ApiUrl": ... or null,
     "IdToken": ..., "AccessToken": ..., "RefreshToken": ..., "ExpiresAt": <epoch seconds>}

The file is written to a temporary file created with mode 0600 in the same directory, then
renamed over the old one, so no other user can read a token even for a moment, and a crash never
leaves half a file. The directory is created with mode 0700.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from . import KitError

DEFAULT_TOKEN_FILE = Path("~/.config/secure-serverless-kit/tokens.json")
FORMAT_VERSION = 1
#: Refresh when the ID token expires within this many seconds.
EXPIRY_MARGIN_SECONDS = 60
_REQUIRED = ("Region", "ClientId", "IdToken")


def save(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` with mode 0600 (atomically; parent directory created with 0700)."""
    path = path.expanduser()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), stat.S_IRUSR | stat.S_IWUSR)
            json.dump({"Version": FORMAT_VERSION, **data}, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def load(path: Path) -> dict[str, Any]:
    """The saved tokens; a clear error when there are none or the file is damaged."""
    path = path.expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(f"not signed in (no token file at {path}): run sign-in first") from None
    except (OSError, ValueError) as error:
        raise KitError(f"cannot read the token file {path} ({error.__class__.__name__}): sign in again") from None
    if not isinstance(data, dict) or any(not isinstance(data.get(key), str) for key in _REQUIRED):
        raise KitError(f"the token file {path} is incomplete: sign in again")
    return data


def remove(path: Path) -> bool:
    """Delete the token file; True when there was one."""
    try:
        path.expanduser().unlink()
    except FileNotFoundError:
        return False
    return True


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, NOT verified (only to read ``exp`` and ``email`` of our own tokens)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def expires_at(data: dict[str, Any]) -> float:
    """When the ID token expires: its ``exp`` claim, else the saved ExpiresAt, else now (treat as expired)."""
    exp = jwt_claims(str(data.get("IdToken", ""))).get("exp")
    if isinstance(exp, int | float):
        return float(exp)
    saved = data.get("ExpiresAt")
    return float(saved) if isinstance(saved, int | float) else 0.0


def is_expired(data: dict[str, Any], *, now: float | None = None, margin: float = EXPIRY_MARGIN_SECONDS) -> bool:
    """True when the ID token is expired or expires within ``margin`` seconds."""
    return expires_at(data) <= (time.time() if now is None else now) + margin
