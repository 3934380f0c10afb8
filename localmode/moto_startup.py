"""Two costs of moto that local mode's deploy pays for nothing, removed in the emulator process only.

Measured in the emulator while local mode deployed the reference assembly (cProfile over every
request thread, 2026-12-07): of about 3 s of deploy, moto spent 0.46 s parsing the two JSON
templates with PyYAML's pure-Python loader, and 0.33 s generating an RSA-2048 key for each of six
symmetric KMS keys. Neither changes what moto answers:

- ``Stack.parse_template``: CDK writes JSON. A template that is valid JSON is parsed with
  ``json.loads`` (JSON is what CloudFormation reads it as; PyYAML's YAML 1.1 reading of the same
  text can only differ where it is the one that is wrong, e.g. escaped surrogate pairs). Anything
  else, YAML included, goes to moto's own parser unchanged.
- KMS ``Key.private_key``: moto makes the asymmetric key for sign, verify and GetPublicKey when a
  key is created, whatever its spec. It is now made the first time one of those uses it, with the
  same function and spec; a symmetric key that is only used to encrypt never pays for it.

``apply()`` is called once by the emulator process (``localmode.emulator``), before its server starts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: the name ``moto.kms.models.Key.__init__`` calls to make a key's asymmetric pair
_KEY_FACTORY = "generate_private_key"


class LazyPrivateKey:
    """Stands in for moto's ``AbstractPrivateKey`` until an attribute is first read, then is that key."""

    def __init__(self, make: Callable[[str], Any], key_spec: str) -> None:
        self._make = make
        self._key_spec = key_spec
        self._key: Any = None
        self._lock = threading.Lock()

    @property
    def generated(self) -> bool:
        return self._key is not None

    def __getattr__(self, name: str) -> Any:  # only for names this class does not define
        with self._lock:
            if self._key is None:
                self._key = self._make(self._key_spec)
        return getattr(self._key, name)


def _json_first(yaml_parse: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    def parse_template(template: str) -> dict[str, Any]:
        try:
            parsed = json.loads(template)
        except (TypeError, ValueError):
            return yaml_parse(template)
        return parsed if isinstance(parsed, dict) else yaml_parse(template)

    return parse_template


@contextmanager
def applied() -> Iterator[None]:
    """Both changes for the duration of the block (tests); the emulator process calls ``apply()``."""
    undo = apply()
    try:
        yield
    finally:
        undo()


def apply() -> Callable[[], None]:
    """Install both changes in this process; returns a function that removes them."""
    from moto.cloudformation.models import Stack
    from moto.kms import models as kms_models

    yaml_parse = Stack.parse_template
    make_key = getattr(kms_models, _KEY_FACTORY)  # imported there from moto.kms.utils, and called by Key()
    Stack.parse_template = staticmethod(_json_first(yaml_parse))  # type: ignore[method-assign,assignment]
    setattr(kms_models, _KEY_FACTORY, lambda key_spec: LazyPrivateKey(make_key, key_spec))

    def undo() -> None:
        Stack.parse_template = staticmethod(yaml_parse)  # type: ignore[method-assign]
        setattr(kms_models, _KEY_FACTORY, make_key)

    return undo
