"""``asset_sources``: a helper's declared reads of CDK asset objects outside the assembly.

CDK's ``BucketDeployment`` handler reads its source archive from CDK's asset bucket, which no
template defines. The kit declares each such object, exactly (``s3:GetObject`` on one key named by
its 64-hex asset hash); anything broader or any other action stays undeclared reach (P07), and a
malformed entry is a metadata problem (P02) that declares nothing. Pure Python.
"""

from __future__ import annotations

from typing import Any

import pytest

from perimeter_support import NOTES_FUNCTION, NOTES_POLICY, TemplateBuilder, join
from secure_serverless_checks.perimeter import Report

ASSET = "31ba80771002ffa7a94a6c45eed1644577c35401e2896ebdfc58d98ba210db85.zip"
OTHER = "0" * 64 + ".zip"
ASSET_BUCKET = {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
DECLARED = f"arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/{ASSET}"


def object_arn(key: str) -> dict[str, Any]:
    return join("arn:", {"Ref": "AWS::Partition"}, ":s3:::", ASSET_BUCKET, f"/{key}")


def build(action: str = "s3:GetObject", key: str = ASSET, declared: Any = DECLARED) -> Report:
    builder = TemplateBuilder()
    builder.allow(NOTES_POLICY, action, object_arn(key))
    if declared is not None:
        builder.perimeter(NOTES_FUNCTION)["asset_sources"] = [{"resource": declared, "reason": "a CDK asset"}]
    return builder.analyze()


def _codes(report: Report) -> set[str]:
    return {v.code for v in report.violations if v.function == NOTES_FUNCTION}


def test_a_declared_asset_object_read_passes() -> None:
    report = build()
    assert report.violations == (), report.to_text()


def test_an_undeclared_asset_object_read_is_refused() -> None:
    assert "P07" in _codes(build(declared=None))


def test_another_object_of_the_asset_bucket_is_refused() -> None:
    assert "P07" in _codes(build(key=OTHER))


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"])
def test_only_reading_the_object_is_declared(action: str) -> None:
    assert "P07" in _codes(build(action=action))


@pytest.mark.parametrize(
    "declared",
    [
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/secrets/config.json",
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>",
        "*",
    ],
)
def test_a_pattern_or_a_non_asset_object_declares_nothing(declared: str) -> None:
    report = build(key="*" if declared.endswith("*") else ASSET, declared=declared)
    codes = _codes(report)
    assert "P02" in codes, report.to_text()  # the entry is reported as malformed
    assert codes & {"P07", "P10", "P11"}, report.to_text()  # and the read stays refused
