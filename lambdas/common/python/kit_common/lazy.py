"""One holder of a handler's dependencies (AWS clients and logic): built on first use, then reused
by every later invocation of the same execution environment; tests inject their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """``get()`` builds the value once with ``build``; ``use(value)`` replaces it (None: build again)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None

    @property
    def built(self) -> bool:
        """Whether the value exists yet (built or injected)."""
        return self._value is not None

    def get(self) -> T:
        if self._value is None:
            self._value = self._build()
        return self._value

    def use(self, injected: T | None) -> None:
        self._value = injected
