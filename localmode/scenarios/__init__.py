"""The attack suite: the reference architecture used as a client would, then attacked.

The same scenarios run against local mode (``make local``) and against a deployed stack
(``make verify``, ``localmode.verify``) through one code path: a ``Target`` names the API URL,
the user pool and its client (local mode and ``kit-verify`` both read them from the stack's
outputs), and what the target allows beyond plain HTTP: ``SANDBOX`` (run one SDK call inside
a function's worker, count invocations; local workers only) and ``CLOCK`` (present a token
after its expiry; the local gateway's clock). A scenario that needs what a target lacks is
reported as skipped, with the reason, never silently left out.

Each scenario sends real requests (HTTP to the API, presigned S3 requests, Cognito's API with
SRP sign-in and TOTP codes) and records, per step, what was sent, what came back, what was
expected and which control is responsible. It behaves as expected only if every step does.
``run_all`` prints them and ends with ``N/N scenarios behaved as expected``.

The package, one module per job:

- ``model``: the vocabulary (``Target``, ``Reply``, ``Run``, ``Scenario``, results, tokens);
- ``demo``: ``Demo``, the client (users, sign-in, HTTP, presigned S3 requests);
- ``catalogue``: the built-in scenarios in the order they run, each with its control; their
  code by theme in ``accounts``, ``services``, ``uploads``, ``edge`` (what the API refuses
  before a function runs) and ``perimeter`` (each function's reach, from inside);
- ``hardening`` and ``round2``: the scenarios of the two independent reviews' findings;
- ``suite``: ``register``, ``all_scenarios``, ``run_scenario``, ``run_all``.

Registering a scenario (in a module of this package or another one)::

    from localmode.scenarios import ALICE, Demo, Run, Scenario, register

    def _my_attack(demo: Demo, run: Run) -> None:
        alice = demo.user(ALICE)
        run.http(demo.call("GET", "/notes", token=alice.id_token), 200)

    register(Scenario("my-attack", "Attack: ...", "the control that stops it", _my_attack))
    # needs=frozenset({SANDBOX}) when it runs code inside a function

A module listed in ``EXTRA_SCENARIO_MODULES`` is imported by ``all_scenarios()`` (when it
exists), so its ``register`` calls join the suite of both ``make local`` and ``make verify``.
"""

from __future__ import annotations

from kit_auth.totp import totp

from .catalogue import SCENARIOS
from .demo import Demo
from .model import (
    ADMIN_GROUP,
    ALICE,
    BOB,
    CAPABILITY_REASONS,
    CLOCK,
    GATEWAY,
    LOCAL_CODE_MARGIN,
    SANDBOX,
    TOKEN_LIFETIME_SHIFT,
    DemoUser,
    Reply,
    Run,
    Scenario,
    ScenarioResult,
    Step,
    Target,
    forge_token,
    jwt_parts,
    tamper_token,
)
from .suite import EXTRA_SCENARIO_MODULES, all_scenarios, print_result, register, run_all, run_scenario, scenario_keys

__all__ = [
    "ADMIN_GROUP",
    "ALICE",
    "BOB",
    "CAPABILITY_REASONS",
    "CLOCK",
    "EXTRA_SCENARIO_MODULES",
    "GATEWAY",
    "LOCAL_CODE_MARGIN",
    "SANDBOX",
    "SCENARIOS",
    "TOKEN_LIFETIME_SHIFT",
    "Demo",
    "DemoUser",
    "Reply",
    "Run",
    "Scenario",
    "ScenarioResult",
    "Step",
    "Target",
    "all_scenarios",
    "forge_token",
    "jwt_parts",
    "print_result",
    "register",
    "run_all",
    "run_scenario",
    "scenario_keys",
    "tamper_token",
    "totp",
]
