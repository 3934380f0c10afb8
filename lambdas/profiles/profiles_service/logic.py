"""The rules of the profiles service.

The profile's key is always the token's ``sub``. The admin route does not trust the token's
group claim alone (60 minutes old at worst and, flattened by API Gateway, ambiguous for names
with commas): the claim only pre-filters, and membership is then read from the user pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from kit_common import Caller, ForbiddenError, NotFoundError

from .data import ProfilesTable, UserPoolMembership
from .models import Profile


class ProfilesLogic:
    def __init__(
        self,
        *,
        table: ProfilesTable,
        membership: UserPoolMembership,
        admin_group: str,
        logger: Logger,
        metrics: Metrics,
        clock: Callable[[], str],
    ) -> None:
        self._table = table
        self._membership = membership
        self._admin_group = admin_group
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def read(self, user_id: str) -> Profile:
        profile = self._table.get(user_id)
        if profile is None:
            raise NotFoundError("no profile")
        return profile

    def save(self, owner_id: str, body: dict[str, Any]) -> Profile:
        """Create or replace the caller's profile from a validated put_profile body."""
        now = self._clock()
        profile = self._table.replace(owner_id, display_name=body["displayName"], bio=body.get("bio"), now=now)
        if profile.created_at == now:
            self._metrics.add_metric(name="ProfileCreated", unit=MetricUnit.Count, value=1)
        self._logger.info("Profile saved")
        return profile

    def require_current_admin(self, caller: Caller) -> None:
        """403 unless the claim names the admin group AND the pool says so now."""
        if not caller.groups.may_include(self._admin_group):
            raise ForbiddenError("caller's group claim does not name the admin group")
        if caller.username is None or not self._membership.is_enabled_member(caller.username, self._admin_group):
            raise ForbiddenError("caller is not a current member of the admin group")
