"""Profile: one object that says how much compliance machinery an app buys.

``Profile.DEFAULT`` is the kit as it always was: cheap, no VPC, verdict packs AwsSolutions and
Serverless. ``Profile.REGULATED`` is what NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 ask
for where it buys real protection: functions in an isolated VPC (``IsolatedNetwork``), reserved
concurrency per function, every table in an AWS Backup plan (``TableBackup``), and all five
cdk-nag packs registered as the verdict. The object only holds settings; stacks (the reference
app's, or a consumer's) read it and compose the constructs. CDK-free on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from ._validation import ConfigurationError

#: Every pack the kit knows: the regulated profile's verdict.
ALL_PACKS = ("AwsSolutions", "Serverless", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")
_DEFAULT_PACKS = ALL_PACKS[:2]


class _Unset:
    """Marker for ``with_settings``: the setting is left as it is."""


UNSET = _Unset()


@dataclass(frozen=True)
class Profile:
    """Settings of a compliance profile.

    :param name: "default" or "regulated" (or a name of your own for a variant).
    :param packs: cdk-nag packs registered as the pass/fail verdict (``register_compliance_checks``).
    :param isolated_network: put every function in an ``IsolatedNetwork`` (isolated subnets, no
        internet route, VPC endpoints only).
    :param reserved_concurrency: reserved concurrent executions per function, or None (unreserved).
        Reserving fails to deploy when the account's concurrency quota minus the sum of
        reservations drops below 100 (new accounts may have a quota of 10 or 50): raise the quota
        first, or lower this.
    :param backup_retention_days: days AWS Backup keeps each daily recovery point of every table,
        or None (no backup plan; point-in-time recovery still covers 35 days).
    """

    name: str
    packs: tuple[str, ...]
    isolated_network: bool = False
    reserved_concurrency: int | None = None
    backup_retention_days: int | None = None

    DEFAULT: ClassVar[Profile]
    REGULATED: ClassVar[Profile]

    def __post_init__(self) -> None:
        problems = []
        unknown = [pack for pack in self.packs if pack not in ALL_PACKS]
        if unknown:
            problems.append(f"packs={unknown!r}: unknown cdk-nag pack; choose from {list(ALL_PACKS)}")
        if self.reserved_concurrency is not None and not _whole(self.reserved_concurrency, 1, 1000):
            problems.append(
                f"reserved_concurrency={self.reserved_concurrency!r}: use a whole number from 1 to 1000, or None "
                "for unreserved concurrency"
            )
        if self.backup_retention_days is not None and not _whole(self.backup_retention_days, 1, 36500):
            problems.append(
                f"backup_retention_days={self.backup_retention_days!r}: use a whole number of days from 1 to 36500, "
                "or None for no backup plan"
            )
        if problems:
            raise ConfigurationError(f"Profile {self.name!r}", problems)

    @property
    def table_backups(self) -> bool:
        return self.backup_retention_days is not None

    @property
    def runs_regulated_packs(self) -> bool:
        """NIST 800-53 R5, HIPAA Security or PCI DSS 3.2.1 is part of the verdict."""
        return any(pack not in _DEFAULT_PACKS for pack in self.packs)

    def with_settings(
        self,
        *,
        reserved_concurrency: int | _Unset | None = UNSET,
        backup_retention_days: int | _Unset | None = UNSET,
    ) -> Profile:
        """This profile with some settings changed (validated like the original)."""
        changes: dict[str, int | None] = {}
        if not isinstance(reserved_concurrency, _Unset):
            changes["reserved_concurrency"] = reserved_concurrency
        if not isinstance(backup_retention_days, _Unset):
            changes["backup_retention_days"] = backup_retention_days
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def named(cls, name: str) -> Profile:
        """``Profile.named("regulated")``; an unknown name raises naming the choices."""
        profiles = {profile.name: profile for profile in (cls.DEFAULT, cls.REGULATED)}
        if name not in profiles:
            raise ConfigurationError("Profile", [f"name={name!r}: choose one of {sorted(profiles)}"])
        return profiles[name]


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


Profile.DEFAULT = Profile(name="default", packs=_DEFAULT_PACKS)
Profile.REGULATED = Profile(
    name="regulated",
    packs=ALL_PACKS,
    isolated_network=True,
    reserved_concurrency=10,
    backup_retention_days=35,
)
