"""The reference app's settings, read from CDK context (cdk.json or ``-c key=value``).

Every key is documented in README.md with its default. A bad value fails the synth with one
message listing every problem, the value received and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Node

from secure_serverless._validation import MIN_REASON_LENGTH, ConfigurationError, has_reason, origin_problem
from secure_serverless.profile import Profile

if TYPE_CHECKING:  # imported where a replica is configured (the regulated profile), not on every synth
    from secure_serverless.bucket_replication import ReplicaTarget

_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(frozen=True)
class AppConfig:
    """Settings of the reference app. Defaults are the secure ones."""

    stage: str = "dev"
    allowed_origins: tuple[str, ...] = ()
    alarm_email: str | None = None
    feature_plan: str = "PLUS"
    feature_plan_reason: str | None = None
    log_retention_days: int = 365
    log_retention_reason: str | None = None
    throttle_rate_limit: float = 50
    throttle_burst_limit: int = 500
    waf_rate_limit: int = 1000
    waf_unauthenticated_rate_limit: int = 100
    #: Requests with a well-formed token per IP per minute; None: half of throttle_burst_limit.
    waf_token_rate_limit: int | None = None
    manage_api_gateway_account: bool = True
    profile: Profile = Profile.DEFAULT
    replica_region: str | None = None

    @property
    def stack_prefix(self) -> str:
        return f"SecureServerlessKit-{self.stage}"

    @property
    def files_replica(self) -> ReplicaTarget | None:
        """Where the files bucket replicates to (regulated profile with ``replicaRegion``), if anywhere."""
        if self.replica_region is None:
            return None
        from secure_serverless.bucket_replication import ReplicaTarget

        return ReplicaTarget(region=self.replica_region, name_prefix=f"ssk-{self.stage}-files")


def _parse(value: Any) -> Any:
    """Context given with ``-c key=value`` arrives as a string; accept JSON there too."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def load_config(node: Node) -> AppConfig:
    """Read and validate the app's context keys; raise one ConfigurationError listing all problems."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    context = node.get_all_context()  # one round trip to Node.js for every key (what try_get_context reads)

    def read(key: str, attr: str, check: Callable[[Any], str | None]) -> None:
        raw = context.get(key)
        if raw is None:
            return
        value = _parse(raw)
        problem = check(value)
        if problem:
            problems.append(f"context {key}={raw!r}: {problem}")
        else:
            values[attr] = value

    def stage(value: Any) -> str | None:
        ok = isinstance(value, str) and _STAGE.match(value)
        return None if ok else "use 1-20 lower-case letters, digits or '-', starting with a letter (e.g. 'dev')"

    def origins(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
            return 'give a JSON list of origins, e.g. ["https://app.example.com"]'
        # The kit's one origin rule: the API's CORS uses it, and every handler at start uses the
        # same pattern (contract.json's originPattern, checked equal to it by stacks/contract.py).
        bad = [f"{o!r} ({problem})" for o in value if (problem := origin_problem(o))]
        return "; ".join(bad) or None

    def email(value: Any) -> str | None:
        return (
            None if isinstance(value, str) and _EMAIL.match(value) else "give one e-mail address, e.g. ops@example.com"
        )

    def plan(value: Any) -> str | None:
        return None if value in ("PLUS", "ESSENTIALS") else "use PLUS (threat protection) or ESSENTIALS"

    def text(value: Any) -> str | None:
        ok = isinstance(value, str) and has_reason(value)
        return None if ok else f"give a reason of at least {MIN_REASON_LENGTH} characters"

    def positive_number(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        return None if ok else "use a number greater than 0"

    def positive_int(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return None if ok else "use a whole number greater than 0"

    def profile_name(value: Any) -> str | None:
        return None if value in ("default", "regulated") else "use default (cheap, no VPC) or regulated"

    def region(value: Any) -> str | None:
        ok = isinstance(value, str) and _REGION.match(value)
        return None if ok else "give an AWS region name other than the stack's own, e.g. eu-central-1"

    def regulated_only(key: str, check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        def checked(value: Any) -> str | None:
            if values.get("profile", "default") != "regulated":
                return f"applies to the regulated profile only; add -c profile=regulated or remove {key}"
            return check(value)

        return checked

    def boolean(value: Any) -> str | None:
        return None if isinstance(value, bool) else "use true or false"

    read("stage", "stage", stage)
    read("allowedOrigins", "allowed_origins", origins)
    read("alarmEmail", "alarm_email", email)
    read("featurePlan", "feature_plan", plan)
    read("featurePlanReason", "feature_plan_reason", text)
    read("logRetentionDays", "log_retention_days", positive_int)
    read("logRetentionReason", "log_retention_reason", text)
    read("throttleRateLimit", "throttle_rate_limit", positive_number)
    read("throttleBurstLimit", "throttle_burst_limit", positive_int)
    read("wafRateLimit", "waf_rate_limit", positive_int)
    read("wafUnauthenticatedRateLimit", "waf_unauthenticated_rate_limit", positive_int)
    read("wafTokenRateLimit", "waf_token_rate_limit", positive_int)
    read("manageApiGatewayAccount", "manage_api_gateway_account", boolean)
    read("profile", "profile", profile_name)
    read("reservedConcurrency", "reserved_concurrency", regulated_only("reservedConcurrency", positive_int))
    read("backupRetentionDays", "backup_retention_days", regulated_only("backupRetentionDays", positive_int))
    read("replicaRegion", "replica_region", regulated_only("replicaRegion", region))
    if "allowed_origins" in values:
        values["allowed_origins"] = tuple(values["allowed_origins"])
    profile = Profile.named(values.pop("profile", "default"))
    settings = {key: values.pop(key) for key in ("reserved_concurrency", "backup_retention_days") if key in values}
    if settings:
        try:
            profile = profile.with_settings(**settings)
        except ConfigurationError as error:
            problems.extend(f"context: {problem}" for problem in error.problems)
    if problems:
        raise ConfigurationError("reference app context", problems)
    return AppConfig(**values, profile=profile)
