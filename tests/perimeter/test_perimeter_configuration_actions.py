"""A bucket's notification configuration (what CDK's notifications handler writes) is not data reach.

``s3:GetBucketNotification`` / ``s3:PutBucketNotification`` act on the bucket ARN, which overlaps
every prefix: counted as data reach they would make every function with a prefix of that bucket a
P13 conflict. They are judged like any action against the declared access level
(``configure-notifications``), and only kept out of the shared-data check.
"""

from __future__ import annotations

from perimeter_support import BUCKET, NOTES_FUNCTION, NOTES_POLICY, TemplateBuilder, codes, getatt

ACTIONS = ["s3:GetBucketNotification", "s3:PutBucketNotification"]


def test_configuring_notifications_undeclared_is_undeclared_reach_but_not_a_shared_bucket(
    builder: TemplateBuilder,
) -> None:
    builder.perimeter(NOTES_FUNCTION)["reach"] = [
        entry for entry in builder.perimeter(NOTES_FUNCTION)["reach"] if entry["resource"] != BUCKET
    ]
    builder.statements(NOTES_POLICY)[:] = [
        s for s in builder.statements(NOTES_POLICY) if BUCKET not in str(s.get("Resource"))
    ]
    builder.allow(NOTES_POLICY, ACTIONS, getatt(BUCKET))

    report = builder.analyze()

    assert {code for code, _function, _resource in codes(report)} == {"P07"}, report.to_text()


def test_declared_configure_notifications_on_the_bucket_passes_beside_another_functions_prefix(
    builder: TemplateBuilder,
) -> None:
    builder.perimeter(NOTES_FUNCTION)["reach"].append(
        {"kind": "s3-prefix", "resource": BUCKET, "access": "configure-notifications", "prefix": "", "shared": False}
    )
    builder.allow(NOTES_POLICY, ACTIONS, getatt(BUCKET))

    report = builder.analyze()

    assert report.ok, report.to_text()


def test_a_data_action_on_the_bucket_arn_still_conflicts_with_every_prefix(builder: TemplateBuilder) -> None:
    builder.perimeter(NOTES_FUNCTION)["reach"].append(
        {"kind": "s3-prefix", "resource": BUCKET, "access": "configure-notifications", "prefix": "", "shared": False}
    )
    builder.allow(NOTES_POLICY, [*ACTIONS, "s3:ListBucket"], getatt(BUCKET))

    report = builder.analyze()

    assert ("P13", NOTES_FUNCTION, BUCKET) in codes(report), report.to_text()
