"""The data-flow model: every way one service's data can reach another service's principal.

Each leak case moves data of one kit service (Notes or Files of the compliant fixture) to the
other by a path that is not an identity policy: a pipe, a log subscription, replication, an
inventory export, a state machine, a subscription, a redrive, an event source mapping, a code
package, a table import, a dynamic reference, overlapping EFS access points, a bucket ACL. Each
must be refused (P20) with a message naming the path ("A's <data> -> <edge> -> ... -> B's
<principal>") and the fix. Declared variants (both sides declare the data shared, with a reason)
pass. Resource-policy types the analyzer did not read, and types the model does not know, fail
closed. Three legitimate patterns are accepted. Pure Python: the whole file runs in about a second.

This file: every leak case is refused; the cases are in ``dataflow_leaks_*.py``.
"""

from __future__ import annotations

import pytest

from dataflow_leaks import LEAKS, Leak
from dataflow_support import _flows
from perimeter_support import TemplateBuilder

# -- the leaks -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", LEAKS, ids=[case.id for case in LEAKS])
def test_an_undeclared_data_path_is_refused_naming_the_path_and_the_fix(case: Leak) -> None:
    builder = TemplateBuilder()
    case.build(builder)

    report = builder.analyze()

    found = [v for v in _flows(report) if v.function == case.receiver and v.resource == case.source]
    assert found, report.to_text()
    message = found[0].message
    assert " -> " in message and "'s " in message, message
    position = 0
    for step in case.steps:  # the path names each step, in order
        position = message.find(step, position)
        assert position >= 0, f"{step!r} missing (in order) from: {message}"
    assert "share_reason" in message or "own" in message, message  # the fix


def test_every_class_of_the_issue_has_cases() -> None:
    assert {case.klass for case in LEAKS} >= {
        "pipe",
        "log-subscription",
        "s3-copy",
        "state-machine",
        "subscription-redrive",
        "event-source",
        "deploy-source",
        "dynamic-reference",
        "efs",
        "acl",
        "eventbridge",
        "custom-resource",
    }
