"""moto for the handler and kit_user tests: fresh AWS state per test, without paying twice for what never changes.

``fresh_aws()`` is ``moto.mock_aws()`` plus two reuses that change no behaviour (and
``shared_client()`` / ``shared_resource()`` a third, for the tests' own calls):

- one boto3 session: moto gives boto3 a fresh default session per mock, which re-parses every
  service model (most of a test's set-up); every call still goes to moto, whose state is fresh;
- one parse of moto's Cognito signing key: every ``CreateUserPool`` imports the same bundled
  private JWK (``moto/cognitoidp/resources/jwks-private.json``), which costs about 0.1 s of RSA
  arithmetic. The parsed key is shared by the pools; it is the same key either way.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import moto.cognitoidp.models as _cognito_models
from moto import mock_aws

# Created after moto is imported, so its clients carry moto's request hook.
_BOTO3_SESSION = boto3.Session()

_RSAKey = _cognito_models.jwk.RSAKey
_import_key = _RSAKey.import_key
_parsed_keys: dict[str, Any] = {}


def _import_key_once(value: Any, *args: Any, **kwargs: Any) -> Any:
    if args or kwargs or not isinstance(value, dict):
        return _import_key(value, *args, **kwargs)
    cache_key = json.dumps(value, sort_keys=True)
    if cache_key not in _parsed_keys:
        _parsed_keys[cache_key] = _import_key(value)
    return _parsed_keys[cache_key]


class _CognitoJwk:
    """moto's ``jwk`` module as seen by its Cognito backend, with ``RSAKey.import_key`` parsing once."""

    class RSAKey:
        import_key = staticmethod(_import_key_once)

    def __getattr__(self, name: str) -> Any:
        return getattr(_jwk_module, name)


_jwk_module = _cognito_models.jwk


@contextmanager
def fresh_aws() -> Iterator[None]:
    """An active moto mock with fresh state; boto3's default session and moto's key parse are reused."""
    with mock_aws():
        boto3.DEFAULT_SESSION = _BOTO3_SESSION
        saved = _cognito_models.jwk
        _cognito_models.jwk = _CognitoJwk()  # type: ignore[assignment]
        try:
            yield
        finally:
            _cognito_models.jwk = saved


def shared_client(service: str) -> Any:
    """A client of the shared session for a test's own calls (set-up, checks), one per service and region.

    A client holds no AWS state: each call goes to the active mock, whose state is fresh per test.
    The functions under test still build their own clients when they are imported.
    """
    return _cached_client(service, os.environ.get("AWS_DEFAULT_REGION"))


def shared_resource(service: str) -> Any:
    """``boto3.resource(service)`` of the shared session, one per service and region (see ``shared_client``)."""
    return _cached_resource(service, os.environ.get("AWS_DEFAULT_REGION"))


@functools.cache
def _cached_client(service: str, region: str | None) -> Any:
    return _BOTO3_SESSION.client(service, region_name=region)  # type: ignore[call-overload]


@functools.cache
def _cached_resource(service: str, region: str | None) -> Any:
    return _BOTO3_SESSION.resource(service, region_name=region)  # type: ignore[call-overload]
