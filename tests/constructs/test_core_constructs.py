"""EncryptionKey, SecureTable and SecureBucket: defaults, options, failures, cdk-nag verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_dynamodb as dynamodb

from cdk_support import nag_report, only_resource, open_findings, resources, template
from secure_serverless import ConfigurationError, EncryptionKey, SecureBucket, SecureTable, TableIndex

PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
SK = dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING)


# ---------------------------------------------------------------- EncryptionKey
@pytest.fixture(scope="module")
def default_key() -> assertions.Template:
    return template(lambda stack: EncryptionKey(stack, "Key"))


def test_key_default_rotates_retains_and_waits_30_days(default_key: assertions.Template) -> None:
    key = only_resource(default_key, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"


def test_key_default_lets_logs_use_it_only_for_this_accounts_log_groups(default_key: assertions.Template) -> None:
    statements = only_resource(default_key, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    logs = [s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"]
    assert len(logs) == 1
    statement = logs[0]
    assert not any("*" in action for action in statement["Action"])
    condition = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    rendered = str(condition)
    assert "AWS::AccountId" in rendered and "log-group:*" in rendered


def test_key_alias_option() -> None:
    tmpl = template(lambda stack: EncryptionKey(stack, "Key", alias="notes"))
    tmpl.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/notes"})


def test_key_without_logs_statement() -> None:
    tmpl = template(lambda stack: EncryptionKey(stack, "Key", allow_cloudwatch_logs=False))
    statements = only_resource(tmpl, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    assert [s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"] == []


def test_key_fails_on_bad_pending_window_and_reserved_alias() -> None:
    with pytest.raises(ConfigurationError) as error:
        template(lambda stack: EncryptionKey(stack, "Key", pending_window_days=3, alias="alias/aws/s3"))
    message = str(error.value)
    assert "2 problem(s)" in message
    assert "pending_window_days=3" in message and "between 7 and 30" in message
    assert "alias='alias/aws/s3'" in message


# ---------------------------------------------------------------- SecureTable
@pytest.fixture(scope="module")
def default_table() -> assertions.Template:
    return template(lambda stack: SecureTable(stack, "Table", partition_key=PK))


def test_table_default_is_encrypted_recoverable_protected_on_demand_retained(
    default_table: assertions.Template,
) -> None:
    table = only_resource(default_table, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"]["SSEType"] == "KMS"
    key_id = next(iter(resources(default_table, "AWS::KMS::Key")))
    assert props["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert props["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True,
        "RecoveryPeriodInDays": 35,
    }
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert "StreamSpecification" not in props


def test_table_is_not_a_global_table(default_table: assertions.Template) -> None:
    assert resources(default_table, "AWS::DynamoDB::GlobalTable") == {}


def test_table_options_sort_key_indexes_ttl_pitr_and_shared_key() -> None:
    def build(stack: cdk.Stack) -> None:
        key = EncryptionKey(stack, "SharedKey")
        SecureTable(
            stack,
            "Table",
            partition_key=PK,
            sort_key=SK,
            encryption_key=key,
            indexes=[TableIndex(name="byDate", partition_key=SK, sort_key=PK)],
            time_to_live_attribute="expiresAt",
            point_in_time_recovery_days=7,
            deletion_protection=False,
        )

    tmpl = template(build)
    assert len(resources(tmpl, "AWS::KMS::Key")) == 1
    props = only_resource(tmpl, "AWS::DynamoDB::Table")["Properties"]
    assert props["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    assert props["GlobalSecondaryIndexes"][0]["IndexName"] == "byDate"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["RecoveryPeriodInDays"] == 7
    assert props["DeletionProtectionEnabled"] is False


def test_table_fails_on_bad_pitr_and_duplicate_index() -> None:
    index = TableIndex(name="byDate", partition_key=SK)
    with pytest.raises(ConfigurationError) as error:
        template(
            lambda stack: SecureTable(
                stack, "Table", partition_key=PK, point_in_time_recovery_days=40, indexes=[index, index]
            )
        )
    message = str(error.value)
    assert "point_in_time_recovery_days=40" in message
    assert "indexes='byDate'" in message and "unique" in message


# ---------------------------------------------------------------- SecureBucket
@pytest.fixture(scope="module")
def default_bucket() -> assertions.Template:
    return template(lambda stack: SecureBucket(stack, "Files"))


def _data_bucket(tmpl: assertions.Template) -> tuple[str, dict[str, Any]]:
    buckets = resources(tmpl, "AWS::S3::Bucket")
    (logical_id,) = [k for k, v in buckets.items() if "LoggingConfiguration" in v["Properties"]]
    return logical_id, buckets[logical_id]


def test_bucket_default_blocks_public_access_and_acls(default_bucket: assertions.Template) -> None:
    for bucket in resources(default_bucket, "AWS::S3::Bucket").values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["DeletionPolicy"] == "Retain"


def test_bucket_default_sse_kms_with_bucket_key(default_bucket: assertions.Template) -> None:
    _, bucket = _data_bucket(default_bucket)
    rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["BucketKeyEnabled"] is True
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]


def test_bucket_default_policy_denies_plain_http_and_old_tls(default_bucket: assertions.Template) -> None:
    data_id, _ = _data_bucket(default_bucket)
    policies = [
        p
        for p in resources(default_bucket, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": data_id}
    ]
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_bucket_default_logs_access_and_expires_old_versions(default_bucket: assertions.Template) -> None:
    _, bucket = _data_bucket(default_bucket)
    props = bucket["Properties"]
    assert "DestinationBucketName" in props["LoggingConfiguration"]
    rule = props["LifecycleConfiguration"]["Rules"][0]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert "CorsConfiguration" not in props


def test_bucket_options_cors_shared_log_bucket_and_retention() -> None:
    def build(stack: cdk.Stack) -> None:
        logs = SecureBucket(stack, "Logs")
        SecureBucket(
            stack,
            "Files",
            server_access_logs_bucket=logs.access_logs_bucket,
            cors_allowed_origins=["https://app.example.com"],
            noncurrent_version_expiration_days=30,
        )

    tmpl = template(build)
    buckets = resources(tmpl, "AWS::S3::Bucket")
    assert len(buckets) == 3  # two data buckets, one shared log bucket
    files = next(v for k, v in buckets.items() if k.startswith("Files"))
    assert files["Properties"]["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == ["https://app.example.com"]
    assert files["Properties"]["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 30
    }


@pytest.mark.parametrize(
    ("origin", "fix"),
    [("*", "wildcard"), ("https://*.example.com", "wildcard"), ("http://app.example.com", "scheme and host"),
     ("https://app.example.com/path", "no path")],
)  # fmt: skip
def test_bucket_fails_on_bad_cors_origin(origin: str, fix: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        template(lambda stack: SecureBucket(stack, "Files", cors_allowed_origins=[origin]))
    assert f"cors_allowed_origins={origin!r}" in str(error.value)
    assert fix in str(error.value)


def test_bucket_collects_every_problem() -> None:
    with pytest.raises(ConfigurationError) as error:
        template(
            lambda stack: SecureBucket(
                stack, "Files", access_log_retention_days=0, noncurrent_version_expiration_days=-1
            )
        )
    assert "2 problem(s)" in str(error.value)


# ---------------------------------------------------------------- cdk-nag, each construct alone
@pytest.mark.parametrize(
    "build",
    [
        lambda stack: EncryptionKey(stack, "Key"),
        lambda stack: SecureTable(stack, "Table", partition_key=PK),
        lambda stack: SecureBucket(stack, "Files"),
    ],
    ids=["EncryptionKey", "SecureTable", "SecureBucket"],
)
def test_construct_alone_has_no_open_findings(build: Any, tmp_path: Path) -> None:
    report = nag_report(build, tmp_path)
    assert open_findings(report) == []
