"""WAF rate-based rules of the stage's web ACL, emulated by the local gateway (issue 11, finding 3).

Emulated: rules that block per source IP (``AggregateKeyType: IP``) with no scope-down, or with
a scope-down ``SecureRestApi`` writes: "the Authorization header does not match a regex, and
the method is not one of these" (requests without a well-formed token), or "the Authorization
header matches a regex" (requests with one, issue 25). Other rate rules are not emulated.

Difference from AWS, on purpose visible in the demo: AWS WAF estimates rates and acts within
about 30 seconds ("Rate-based rule caveats", AWS WAF developer guide), so a burst shorter than
that reaches API Gateway; this emulation counts exactly and blocks the request over the limit.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WafRateLimiter", "WafRateRule", "rate_rules"]


@dataclass(frozen=True)
class WafRateRule:
    """A blocking rate-based rule: more than ``limit`` requests per IP in ``window_seconds``."""

    name: str
    priority: int
    limit: int
    window_seconds: int
    #: (header name, regex): only requests whose header does not match are counted (None: all).
    unless_header: tuple[str, str] | None = None
    #: Requests with these methods are never counted.
    except_methods: frozenset[str] = frozenset()
    #: (header name, regex): only requests whose header matches are counted (None: all).
    when_header: tuple[str, str] | None = None

    def counts(self, method: str, header: Callable[[str], str | None]) -> bool:
        if method.upper() in self.except_methods:
            return False
        if self.when_header is not None:
            name, pattern = self.when_header
            if re.search(pattern, header(name) or "") is None:
                return False
        if self.unless_header is None:
            return True
        name, pattern = self.unless_header
        return re.search(pattern, header(name) or "") is None


_Scope = tuple[tuple[str, str] | None, frozenset[str], tuple[str, str] | None]


def _header_regex(statement: Mapping[str, Any]) -> tuple[str, str] | None:
    regex = statement.get("RegexMatchStatement")
    if regex and "SingleHeader" in regex.get("FieldToMatch", {}):
        return regex["FieldToMatch"]["SingleHeader"]["Name"], regex["RegexString"]
    return None


def _scope(statement: Mapping[str, Any] | None) -> _Scope | None:
    """(unless-header, excepted methods, when-header) of a supported scope-down; None when unsupported."""
    if statement is None:
        return None, frozenset(), None
    when = _header_regex(statement)
    if when is not None:
        return None, frozenset(), when
    unless_header: tuple[str, str] | None = None
    methods: set[str] = set()
    for part in (statement.get("AndStatement") or {}).get("Statements") or []:
        inner = (part.get("NotStatement") or {}).get("Statement") or {}
        regex, byte = inner.get("RegexMatchStatement"), inner.get("ByteMatchStatement")
        if regex and "SingleHeader" in regex.get("FieldToMatch", {}) and unless_header is None:
            unless_header = (regex["FieldToMatch"]["SingleHeader"]["Name"], regex["RegexString"])
        elif byte and "Method" in byte.get("FieldToMatch", {}) and byte.get("PositionalConstraint") == "EXACTLY":
            methods.add(str(byte["SearchString"]).upper())
        else:
            return None
    if unless_header is None and not methods:
        return None
    return unless_header, frozenset(methods), None


def rate_rules(acl: Mapping[str, Any]) -> tuple[WafRateRule, ...]:
    """The emulated rate rules of a web ACL's template properties, in priority order."""
    found = []
    for rule in acl.get("Rules") or []:
        rate = (rule.get("Statement") or {}).get("RateBasedStatement")
        if not rate or rate.get("AggregateKeyType") != "IP" or "Block" not in (rule.get("Action") or {}):
            continue
        has_scope = "ScopeDownStatement" in rate
        scope = _scope(rate.get("ScopeDownStatement"))
        if has_scope and scope is None:
            continue
        unless_header, methods, when_header = scope or (None, frozenset(), None)
        found.append(
            WafRateRule(
                name=str(rule["Name"]),
                priority=int(rule.get("Priority", 0)),
                limit=int(rate["Limit"]),
                window_seconds=int(rate.get("EvaluationWindowSec", 300)),
                unless_header=unless_header,
                except_methods=methods,
                when_header=when_header,
            )
        )
    return tuple(sorted(found, key=lambda r: r.priority))


@dataclass
class WafRateLimiter:
    """Counts requests per (rule, source IP) on the gateway's clock."""

    rules: tuple[WafRateRule, ...]
    now: Callable[[], float]
    _hits: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blocking_rule(self, method: str, source_ip: str, header: Callable[[str], str | None]) -> str | None:
        """Count the request; the name of the first rule whose limit it exceeds, else None."""
        now = self.now()
        blocked: str | None = None
        with self._lock:
            for rule in self.rules:
                if not rule.counts(method, header):
                    continue
                hits = self._hits.setdefault((rule.name, source_ip), deque())
                hits.append(now)
                # Only the window ending now counts (requests stamped on a shifted clock do not).
                in_window = sum(1 for t in hits if now - rule.window_seconds < t <= now)
                if in_window > rule.limit and blocked is None:
                    blocked = rule.name
        return blocked
