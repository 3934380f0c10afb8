"""The adversarial suite: every mutation of the compliant fixture gets its verdict.

``fail``: the analyzer reports a violation with the expected rule code on the expected function
(other violations may come with it). ``pass``: legitimate least privilege, no violation at all.
``error``: the input cannot be analyzed; ``analyze`` raises a ``PerimeterInputError`` (the CLI's
exit 2 with one line), never another exception. Pure Python, no synth: the whole table runs in
about a second.
"""

from __future__ import annotations

from collections import Counter

import pytest
from mutations import MUTATIONS, Mutation

from perimeter_support import TemplateBuilder
from secure_serverless_checks.perimeter import PerimeterInputError, analyze


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_gets_its_verdict(mutation: Mutation) -> None:
    builder = TemplateBuilder()
    assembly = mutation.apply(builder) or {"stack": builder.template}

    if mutation.verdict == "error":
        with pytest.raises(PerimeterInputError) as raised:
            analyze(assembly)
        assert "\n" not in str(raised.value).strip()
        return
    report = analyze(assembly)
    if mutation.verdict == "pass":
        assert report.violations == (), report.to_text()
        return
    found = {(v.code, v.function) for v in report.violations}
    assert (mutation.code, mutation.function) in found, report.to_text()


def test_the_table_has_every_class_and_at_least_150_rows() -> None:
    classes = Counter(m.klass for m in MUTATIONS)

    assert len(MUTATIONS) >= 150
    assert len({m.id for m in MUTATIONS}) == len(MUTATIONS)
    assert set(classes) >= {
        "unresolved-intrinsic",
        "no-value",
        "arn-region-account",
        "resource-policy",
        "metadata-excuse",
        "computed-role",
        "shared-compute",
        "assembly",
        "outside-iam",
        "least-privilege",
        "hostile",
    }
    assert Counter(m.verdict for m in MUTATIONS)["pass"] >= 20
