"""What the analyzer does to stay linear must never change an answer: remembered intrinsic values,
the garbage-collector pause, and the split of policy-document reading (``documents``).

No test here asserts a time (timings belong to ``make bench``); each asserts a behaviour that a
wrong shortcut would break.
"""

from __future__ import annotations

import gc
import re
from typing import Any

import pytest

from secure_serverless_checks.perimeter import DanglingReferenceError, analyze
from secure_serverless_checks.perimeter._gc import cyclic_gc_paused
from secure_serverless_checks.perimeter.documents import walk_document
from secure_serverless_checks.perimeter.intrinsics import Resolver, Sym, Token
from secure_serverless_checks.perimeter.synthetic import synthetic_assembly
from secure_serverless_checks.perimeter.template import TemplateIndex

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String"}},
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
}
JOIN = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "-", {"Ref": "Stage"}]]}
SUB = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}-${Stage}"}


@pytest.mark.parametrize("value", [JOIN, SUB], ids=["join", "sub"])
def test_a_value_read_through_another_template_is_read_again(value: dict[str, Any]) -> None:
    # While an assembly is linked, a parent's parameter may not be known yet: a remembered value
    # would keep the parameter token for good.
    passed: dict[str, list[Sym]] = {}
    resolver = Resolver(TemplateIndex("child", TEMPLATE), parameter_value=lambda name: passed.get(name))
    before = resolver.resolve(value, "first")
    assert Token("parameter", "Stage") in before
    passed["Stage"] = [("prod",)]
    after = resolver.resolve(value, "second")
    assert after[-1] == "-prod"
    assert Token("parameter", "Stage") not in after


@pytest.mark.parametrize("value", [JOIN, SUB], ids=["join", "sub"])
def test_a_remembered_value_is_a_fresh_list_each_time(value: dict[str, Any]) -> None:
    resolver = Resolver(TemplateIndex("t", TEMPLATE))
    first = resolver.resolve_all(value, "a")
    first.append(("mutated by a caller",))
    assert resolver.resolve_all(value, "b") == first[:1]


def test_an_error_is_never_remembered_and_names_each_place() -> None:
    resolver = Resolver(TemplateIndex("t", TEMPLATE))
    dangling = {"Fn::Join": ["", [{"Ref": "Missing"}, "/x"]]}
    for where in ("Policy.Statement[0].Resource", "Policy.Statement[1].Resource"):
        with pytest.raises(DanglingReferenceError, match=re.escape(where)):
            resolver.resolve(dangling, where)


def test_the_pause_restores_the_collector_and_keeps_what_others_froze(monkeypatch: pytest.MonkeyPatch) -> None:
    was_enabled = gc.isenabled()
    real_unfreeze = gc.unfreeze
    gc.enable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0  # the objects it promoted are not left frozen
        gc.freeze()  # a pre-fork server froze its objects: the pause must not release them
        # (the freeze count itself is no measure: a frozen object freed by reference counting
        # leaves it, so the test watches for the call that would release them all)
        released: list[str] = []
        monkeypatch.setattr(gc, "unfreeze", lambda: released.append("unfreeze"))
        with cyclic_gc_paused():
            pass
        assert released == []
        assert gc.get_freeze_count() > 0
    finally:
        real_unfreeze()
        if not was_enabled:
            gc.disable()


def test_the_pause_leaves_a_disabled_collector_disabled() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()


def test_policy_documents_are_walked_from_json_text_and_both_branches() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    document = {"Fn::If": ["IsProd", {"Statement": [statement]}, '{"Statement": {"Sid": "Other"}}']}
    walked = list(walk_document(document, "Policy"))
    assert [(problem, where) for _, problem, where, _ in walked] == [("", "Statement[0]"), ("", "Statement Other")]
    opaque = list(walk_document({"Fn::Transform": {"Name": "AWS::Include"}}, "Policy"))
    assert "Fn::Transform, which the analyzer cannot read" in opaque[0][1]


def test_shared_bucket_functions_each_get_their_own_row_and_no_finding() -> None:
    # The cost work judges a grant's resource once for all its actions: every action must still
    # land in the matrix, and a function that exceeds its level still fails.
    report = analyze(synthetic_assembly(functions=3, shared_bucket=True))
    assert not report.violations
    rows = {row.resource: row for row in report.matrix[0].reach}
    assert rows["SharedBucket/F0000/*"].actions == ("s3:GetObject", "s3:PutObject")
    templates = synthetic_assembly(functions=3, shared_bucket=True)
    policy = templates["Synthetic0"]["Resources"]["F0001RoleDefaultPolicy"]["Properties"]["PolicyDocument"]
    policy["Statement"][5]["Action"] = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    violations = analyze(templates).violations
    assert [(v.function, v.rule.code, v.actions) for v in violations] == [
        ("F0001Function", "P08", ("s3:DeleteObject",))
    ]
