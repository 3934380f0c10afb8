"""Fixtures of the kit_user.py tests: moto-backed AWS, a pool like the reference stack's, a terminal."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from pathlib import Path

# kit_auth is an installed package (pyproject: scripts/ is its source root): one import name
# for the script, local mode and these tests. Only the helpers next to this file go on the path.
_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

import pytest  # noqa: E402
from kit_user_support import REGION, Pool, Terminal, make_pool  # noqa: E402
from moto_support import fresh_aws  # noqa: E402


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, one region, moto checking TOTP codes; no real AWS call can happen."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "KIT_PASSWORD", "KIT_NEW_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with fresh_aws():  # fresh moto state per test (tests/moto_support.py)
        yield


@pytest.fixture
def pool(aws: None) -> Pool:
    return make_pool()


@pytest.fixture
def terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Terminal:
    term = Terminal(capsys)
    monkeypatch.setattr(getpass, "getpass", term.getpass)
    monkeypatch.setattr("builtins.input", term.input)
    return term


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "secure-serverless-kit" / "tokens.json"
