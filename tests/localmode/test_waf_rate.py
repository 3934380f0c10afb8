"""The local gateway's emulation of the web ACL's rate rules (issue 11, finding 3)."""

from __future__ import annotations

from typing import Any

from gateway_support import reference_template

from localmode.gateway.template import parse_template
from localmode.gateway.waf_rate import WafRateLimiter, WafRateRule, rate_rules
from secure_serverless.rest_api import WELL_FORMED_BEARER_PATTERN
from stacks.contract import CONTRACT

TOKEN = "eyJraWQiOiJrIn0.eyJzdWIiOiJzIn0." + "s" * 342


def web_acl(template: dict[str, Any]) -> dict[str, Any]:
    (acl,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL"]
    return acl


def test_the_reference_web_acls_rate_rules_and_body_limit_are_read_from_the_template() -> None:
    definition = parse_template(reference_template())
    assert definition.waf_body_limit == CONTRACT.max_body_bytes
    assert definition.waf_rate_rules == (
        WafRateRule(name="RateLimitPerIp", priority=0, limit=1000, window_seconds=300),
        WafRateRule(
            name="RateLimitUnauthenticatedPerIp",
            priority=1,
            limit=100,
            window_seconds=300,
            unless_header=("authorization", WELL_FORMED_BEARER_PATTERN),
            except_methods=frozenset({"OPTIONS"}),
        ),
        WafRateRule(
            name="RateLimitTokenPerIp",
            priority=2,
            limit=250,
            window_seconds=60,
            when_header=("authorization", WELL_FORMED_BEARER_PATTERN),
        ),
    )


def test_a_rate_rule_with_a_scope_down_it_cannot_read_is_not_emulated() -> None:
    acl = web_acl(reference_template())
    odd = {
        "Rules": [
            {
                "Name": "Odd",
                "Priority": 0,
                "Action": {"Block": {}},
                "Statement": {
                    "RateBasedStatement": {
                        "AggregateKeyType": "IP",
                        "Limit": 10,
                        "ScopeDownStatement": {"GeoMatchStatement": {"CountryCodes": ["NL"]}},
                    }
                },
            }
        ]
    }
    assert rate_rules(odd) == ()
    assert len(rate_rules(acl)) == 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: FakeClock) -> WafRateLimiter:
    return WafRateLimiter(rate_rules(web_acl(reference_template())), clock)


def test_requests_without_a_well_formed_token_are_blocked_after_their_limit() -> None:
    clock = FakeClock()
    waf = limiter(clock)
    garbage = {"authorization": "garbage"}
    outcomes = [waf.blocking_rule("GET", "203.0.113.7", garbage.get) for _ in range(101)]
    assert outcomes == [None] * 100 + ["RateLimitUnauthenticatedPerIp"]
    # Another IP, a signed-in caller and a CORS preflight are outside that count.
    assert waf.blocking_rule("GET", "198.51.100.1", garbage.get) is None
    assert waf.blocking_rule("GET", "203.0.113.7", {"authorization": f"Bearer {TOKEN}"}.get) is None
    assert waf.blocking_rule("OPTIONS", "203.0.113.7", {}.get) is None


def test_the_window_moves_on() -> None:
    clock = FakeClock()
    waf = limiter(clock)
    for _ in range(100):
        waf.blocking_rule("GET", "203.0.113.7", {}.get)
    clock.now += 301
    assert waf.blocking_rule("GET", "203.0.113.7", {}.get) is None


def test_every_request_counts_against_the_per_ip_limit() -> None:
    clock = FakeClock()
    waf = limiter(clock)
    signed_in = {"authorization": TOKEN}.get
    outcomes = []
    for _minute in range(4):  # 250 a minute (the token rule's limit), 1,000 within 5 minutes
        outcomes += [waf.blocking_rule("GET", "203.0.113.7", signed_in) for _ in range(250)]
        clock.now += 61
    outcomes.append(waf.blocking_rule("GET", "203.0.113.7", signed_in))
    assert outcomes[-1] == "RateLimitPerIp" and set(outcomes[:-1]) == {None}


def test_requests_with_a_well_formed_token_are_limited_per_ip_per_minute() -> None:
    clock = FakeClock()
    waf = limiter(clock)
    forged = {"authorization": TOKEN}.get  # the shape of a token; the WAF cannot check its signature
    outcomes = [waf.blocking_rule("GET", "203.0.113.7", forged) for _ in range(251)]
    assert outcomes == [None] * 250 + ["RateLimitTokenPerIp"]
    # Another address, and requests without a token (their own rule), are outside that count.
    assert waf.blocking_rule("GET", "198.51.100.1", forged) is None
    assert waf.blocking_rule("GET", "203.0.113.7", {"authorization": "garbage"}.get) is None
    clock.now += 61  # the 60-second window moves on
    assert waf.blocking_rule("GET", "203.0.113.7", forged) is None
