"""Fixtures of the perimeter analyzer tests."""

from __future__ import annotations

import pytest

from perimeter_support import TemplateBuilder


@pytest.fixture
def builder() -> TemplateBuilder:
    """A fresh deep copy of the compliant template, ready to be broken."""
    return TemplateBuilder()
