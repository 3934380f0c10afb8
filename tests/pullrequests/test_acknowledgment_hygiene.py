"""Acknowledgment hygiene: stale, short-reason, never-acknowledgeable and expired acknowledgments fail."""

from __future__ import annotations

import datetime
import functools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from secure_serverless_checks._acknowledgment_record import format_reason, parse_reason
from secure_serverless_checks.acknowledgments import MIN_REASON_LENGTH, check_acknowledgments
from secure_serverless_checks.never_acknowledge import forbidden
from secure_serverless_checks.summary import summarize

#: After the expired acknowledgment's review-by date (2026-12-31), before the sound one's (2099-12-31).
CHECK_DATE = "2027-01-15"


Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def run(run_module: Run) -> Run:
    return functools.partial(run_module, "secure_serverless_checks.acknowledgments")


@pytest.fixture(scope="module")
def hygiene_output(run: Run, hygiene_assembly: Path) -> subprocess.CompletedProcess[str]:
    return run(hygiene_assembly, "--today", CHECK_DATE)


def test_the_reference_app_acknowledgments_are_sound(run: Run, synthesized_assembly: Path) -> None:
    result = run(synthesized_assembly, "--today", CHECK_DATE)

    recorded = summarize(synthesized_assembly).acknowledgments
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith(
        f"OK: {len(recorded)} acknowledgments checked, none stale, short, forbidden or expired.\n"
    )


def test_acknowledgments_of_packs_that_did_not_run_are_not_called_stale(synthesized_assembly: Path) -> None:
    """The kit acknowledges findings of the extended packs, which the default synth does not run."""
    report = check_acknowledgments(synthesized_assembly, today=datetime.date(2026, 1, 1))
    extended = [a for a in report.checked if a.pack in {"NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"}]

    assert extended, "the reference app no longer acknowledges extended-pack findings: drop this test"
    assert report.ok
    assert report.packs_not_run == tuple(sorted({a.pack for a in extended}))
    assert f"Not checked for staleness: {len(extended)} acknowledgment(s) of packs that did not run" in report.to_text()


def test_bad_acknowledgments_fail_with_exit_one(hygiene_output: subprocess.CompletedProcess[str]) -> None:
    assert hygiene_output.returncode == 1, hygiene_output.stdout + hygiene_output.stderr
    assert hygiene_output.stdout.splitlines()[-1] == "FAILED: 4 problem(s) in 4 of 5 acknowledgments."


def test_a_stale_acknowledgment_fails_naming_it_its_path_and_the_fix(
    hygiene_output: subprocess.CompletedProcess[str],
) -> None:
    assert (
        "stale: AwsSolutions::AwsSolutions-S1 at /Hygiene/Sound: it excuses no finding any more: the rule no "
        "longer fires on this construct or its children. Fix: remove the acknowledgment (the finding it excused "
        "is gone), or move it to the construct the finding is now reported on.\n"
    ) in hygiene_output.stdout


def test_a_short_reason_fails(hygiene_output: subprocess.CompletedProcess[str]) -> None:
    assert (
        "short-reason: AwsSolutions::AwsSolutions-SQS3 at /Hygiene/ShortReason: the reason 'ok' is 2 "
        f"characters, fewer than {MIN_REASON_LENGTH}. Fix: say why the finding is acceptable here, in words a "
        "security reviewer can check.\n"
    ) in hygiene_output.stdout


def test_a_never_acknowledgeable_rule_fails_whatever_the_reason(
    hygiene_output: subprocess.CompletedProcess[str],
) -> None:
    assert (
        "never-acknowledge: AwsSolutions::AwsSolutions-SQS4 at /Hygiene/PlainHttp: AwsSolutions-SQS4 is never "
        "acknowledgeable: without a policy that denies requests without TLS, data can travel unencrypted. "
        "Fix: keep the SSL-only resource policy"
    ) in hygiene_output.stdout


def test_an_acknowledgment_past_its_review_date_fails(hygiene_output: subprocess.CompletedProcess[str]) -> None:
    assert (
        "expired: AwsSolutions::AwsSolutions-SQS3 at /Hygiene/Expired: its review-by date 2026-12-31 has "
        "passed (owner: orders-team). Fix: review it"
    ) in hygiene_output.stdout


def test_before_the_review_date_the_same_acknowledgment_passes(hygiene_assembly: Path) -> None:
    report = check_acknowledgments(hygiene_assembly, today=datetime.date(2026, 12, 31))

    assert sorted(problem.kind for problem in report.problems) == ["never-acknowledge", "short-reason", "stale"]


def test_the_sound_acknowledgment_records_owner_and_review_date_in_its_reason(hygiene_assembly: Path) -> None:
    report = check_acknowledgments(hygiene_assembly, today=datetime.date(2026, 12, 31))
    (sound,) = [a for a in report.checked if a.path == "/Hygiene/Sound" and a.rule == "AwsSolutions-SQS3"]

    assert sound.reason.endswith(" [owner: platform-team; review-by: 2099-12-31]")
    assert parse_reason(sound.reason).review_by == datetime.date(2099, 12, 31)
    assert not [problem for problem in report.problems if problem.acknowledgment == sound]


def test_not_a_cloud_assembly_exits_two(run: Run, tmp_path: Path) -> None:
    result = run(tmp_path)

    assert result.returncode == 2
    assert f"{tmp_path} is not a cloud assembly (no manifest.json)" in result.stderr


def test_the_minimum_reason_length_is_the_one_the_constructs_enforce() -> None:
    from secure_serverless._validation import MIN_REASON_LENGTH as CONSTRUCTS_MIN_REASON_LENGTH

    assert MIN_REASON_LENGTH == CONSTRUCTS_MIN_REASON_LENGTH


# ------------------------------------------------------------- the record and the list (pure)
def test_owner_and_review_by_round_trip_through_the_reason() -> None:
    recorded = format_reason("A reason a reviewer can check.", owner="team-a", review_by=datetime.date(2027, 3, 1))

    assert recorded == "A reason a reviewer can check. [owner: team-a; review-by: 2027-03-01]"
    assert parse_reason(recorded) == parse_reason(recorded.replace("team-a", "team-a "))
    assert parse_reason(recorded).text == "A reason a reviewer can check."
    assert parse_reason(recorded).owner == "team-a"


def test_a_malformed_review_date_in_a_hand_written_reason_is_a_problem() -> None:
    assert parse_reason("A long enough reason for this. [review-by: next spring]").problems == (
        "review_by='next spring': not a date; give an ISO date such as '2027-06-30' or a datetime.date",
    )


@pytest.mark.parametrize(
    ("owner", "review_by", "message"),
    [
        ("", None, "owner='': give a team or person"),
        ("a; b", None, "owner='a; b': give a team or person"),
        (None, "31/12/2027", "review_by='31/12/2027': not a date"),
    ],
)
def test_bad_owner_or_review_date_is_refused(owner: str | None, review_by: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        format_reason("A reason a reviewer can check.", owner=owner, review_by=review_by)


def method(verb: str) -> dict[str, object]:
    return {"Type": "AWS::ApiGateway::Method", "Properties": {"HttpMethod": verb}}


@pytest.mark.parametrize("verb", ["POST", "PUT", "PATCH", "DELETE", "ANY"])
def test_an_open_route_that_changes_data_is_never_acknowledgeable(verb: str) -> None:
    for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
        entry = forbidden(rule, method(verb))
        assert entry is not None and entry.name == "open-data-changing-route"


@pytest.mark.parametrize("verb", ["GET", "HEAD"])
def test_an_open_read_only_route_may_be_acknowledged(verb: str) -> None:
    assert forbidden("AwsSolutions-APIG4", method(verb)) is None


def test_an_aws_managed_policy_is_never_acknowledgeable_on_a_function_role_only() -> None:
    lambda_role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "lambda.amazonaws.com"}}]}},
    }
    other_role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "apigateway.amazonaws.com"}}]}
        },
    }
    rule = "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"

    assert forbidden(rule, lambda_role) is not None
    assert forbidden(rule, other_role) is None


@pytest.mark.parametrize(
    "rule",
    [
        "AwsSolutions-S2",
        "NIST.800.53.R5-S3BucketLevelPublicAccessProhibited",
        "HIPAA.Security-S3BucketPublicReadProhibited",
        "PCI.DSS.321-S3BucketPublicWriteProhibited",
        "AwsSolutions-IAM5[Action::*]",
        "AwsSolutions-IAM5[Action::dynamodb:*]",
    ],
)
def test_public_buckets_and_whole_service_wildcards_are_never_acknowledgeable(rule: str) -> None:
    assert forbidden(rule, None) is not None


def test_a_narrow_wildcard_may_be_acknowledged() -> None:
    assert forbidden("AwsSolutions-IAM5[Action::kms:GenerateDataKey*]", None) is None
    assert forbidden("AwsSolutions-IAM5[Resource::*]", None) is None


def test_acknowledge_refuses_a_bad_review_date_on_a_construct() -> None:
    import aws_cdk as cdk

    from secure_serverless.compliance import acknowledge

    stack = cdk.Stack(cdk.App(), "Test")
    with pytest.raises(ValueError, match=r"review_by='next quarter': not a date; give an ISO date"):
        acknowledge(stack, "AwsSolutions-SQS3", "A reason a reviewer can check.", review_by="next quarter")


def test_the_pull_request_tools_do_not_import_cdk() -> None:
    """They run in CI steps and on reviewers' machines without aws-cdk-lib or Node.js."""
    code = (
        "import sys, secure_serverless_checks.acknowledgments, secure_serverless_checks.sarif, secure_serverless_checks.perimeter.diff_cli;"
        "print('aws_cdk' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert result.stdout.strip() == "False"


def test_an_assembly_without_a_validation_report_makes_every_acknowledgment_stale(
    hygiene_assembly: Path, tmp_path: Path
) -> None:
    import shutil

    copy = shutil.copytree(hygiene_assembly, tmp_path / "cdk.out")
    (copy / "validation-report.json").unlink()

    report = check_acknowledgments(copy, today=datetime.date(2026, 1, 1))

    stale = [problem for problem in report.problems if problem.kind == "stale"]
    assert len(stale) == 5
    assert "the assembly has no validation-report.json" in stale[0].message
