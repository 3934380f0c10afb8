"""Environment configuration read once at cold start.

Every reader validates its value and raises `ConfigurationError` naming the variable, the value
received and the expected form, so a bad deployment fails on the first invocation with a clear
message instead of misbehaving later.
"""

from __future__ import annotations

import os
import re

__all__ = ["ConfigurationError", "env_csv", "env_int", "env_str"]


class ConfigurationError(RuntimeError):
    """A function's environment is missing a variable or holds an invalid value."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, *, default: str | None = None, pattern: str | None = None) -> str:
    """Return the variable `name`; without `default` the variable is required.

    `pattern` (a regular expression) must match the whole value.
    """
    value = _raw(name)
    if value is None:
        if default is None:
            raise ConfigurationError(f"Environment variable {name} is required but not set; set it on the function.")
        value = default
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ConfigurationError(
            f"Environment variable {name} has the invalid value {value!r}; it must match {pattern!r}."
        )
    return value


def env_int(name: str, *, default: int, minimum: int, maximum: int) -> int:
    """Return the variable `name` as a decimal integer in [minimum, maximum] (default when unset)."""
    value = _raw(name)
    if value is None:
        number = default
    elif re.fullmatch(r"[0-9]{1,12}", value):
        number = int(value)
    else:
        raise ConfigurationError(
            f"Environment variable {name} has the invalid value {value!r}; "
            f"it must be a whole number between {minimum} and {maximum}."
        )
    if not minimum <= number <= maximum:
        raise ConfigurationError(
            f"Environment variable {name} is {number}; it must be between {minimum} and {maximum}."
        )
    return number


def env_csv(
    name: str,
    *,
    default: str,
    item_pattern: str | None = None,
    allow_empty: bool = False,
    lowercase: bool = False,
) -> tuple[str, ...]:
    """Return the comma-separated variable `name` as a tuple of unique, stripped items.

    Each item must fully match `item_pattern`; an empty list is an error unless `allow_empty`.
    """
    value = _raw(name)
    text = default if value is None else value
    items: list[str] = []
    for part in text.split(","):
        item = part.strip().lower() if lowercase else part.strip()
        if not item:
            continue
        if item_pattern is not None and not re.fullmatch(item_pattern, item):
            raise ConfigurationError(
                f"Environment variable {name} contains the invalid item {item!r}; "
                f"each comma-separated item must match {item_pattern!r}."
            )
        if item not in items:
            items.append(item)
    if not items and not allow_empty:
        raise ConfigurationError(f"Environment variable {name} must list at least one comma-separated item.")
    return tuple(items)
