"""The typed access levels name exactly the levels of access_levels.ACCESS_LEVELS they stand for."""

from __future__ import annotations

import pytest

from secure_serverless_checks.access_levels import ACCESS_LEVELS, TYPED_LEVELS

#: Levels the analyzer knows that no typed enum offers, with the kit method that grants them instead.
NOT_TYPED = {
    "dynamodb-table": {"stream-read"},  # SecureTable.grant_stream_read: a different ARN (the stream)
    "s3-prefix": {"list", "read-versions", "configure-notifications"},  # not offered by SecureBucket.grant_prefix
}


@pytest.mark.parametrize("kind", sorted(TYPED_LEVELS))
def test_enum_values_are_the_kinds_levels(kind: str) -> None:
    values = {member.value for member in TYPED_LEVELS[kind]}
    assert values == set(ACCESS_LEVELS[kind]) - NOT_TYPED.get(kind, set())
