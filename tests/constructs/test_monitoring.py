"""SecurityAlarms: the encrypted topic, each watch_* method, each option, each refusal, and cdk-nag.

One stack per module holds a bare SecurityAlarms (the default), one with every option and every
watcher, and one with a caller's key; tests read their resources by logical id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from cdk_support import StackResources, as_list, nag_report, new_app, open_findings, resources
from secure_serverless import ConfigurationError, EncryptionKey, Invocation, SecurityAlarms, TableFunction

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
EXACT_PUBLISH_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def _notes(stack: cdk.Stack) -> TableFunction:
    return TableFunction(
        stack,
        "Notes",
        code=CODE,
        handler="index.handler",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        invocation=Invocation.ASYNCHRONOUS,
    )


class Built(StackResources):
    def __init__(self, stack: cdk.Stack, made: dict[str, Any]) -> None:
        self.made = made
        self.template = assertions.Template.from_stack(stack)
        super().__init__(stack, self.template.to_json()["Resources"])

    def key_statements(self, key: EncryptionKey) -> list[dict[str, Any]]:
        return self.props(key.key)["KeyPolicy"]["Statement"]  # type: ignore[no-any-return]

    def alarm(self, alarms: SecurityAlarms, construct_id: str) -> dict[str, Any]:
        return self.props(alarms.node.find_child(construct_id))


@pytest.fixture(scope="module")
def built() -> Built:
    stack = cdk.Stack(new_app(), "Test")
    notes = _notes(stack)
    api = apigateway.RestApi(stack, "Api", rest_api_name="notes-api", deploy_options={"stage_name": "prod"})
    api.root.add_method("GET", apigateway.MockIntegration())
    jobs = sqs.Queue(stack, "JobsDeadLetterQueue")

    bare = SecurityAlarms(stack, "Bare")
    alarms = SecurityAlarms(stack, "Alarms", alarm_email="security@example.com")
    alarms.watch_api(api, "prod")
    alarms.watch_function(notes)
    alarms.watch_table(notes)
    alarms.watch_queue(jobs)
    alarms.watch_web_acl("notes-acl")

    shared_key = EncryptionKey(stack, "SharedKey")
    tuned = SecurityAlarms(stack, "Tuned", encryption_key=shared_key)
    tuned.watch_api(
        api,
        "prod",
        server_error_threshold=5,
        client_error_threshold=200,
        period=cdk.Duration.minutes(1),
        id_prefix="Public",
    )
    tuned.watch_function(notes.function, error_threshold=3, throttle_threshold=10)
    tuned.watch_table(notes.table, throttle_threshold=25)
    tuned.watch_queue(jobs, visible_messages_threshold=10, id_prefix="Jobs")
    tuned.watch_web_acl("notes-acl", region="eu-west-1", blocked_threshold=1000)

    made = {"notes": notes, "api": api, "jobs": jobs, "bare": bare, "alarms": alarms, "tuned": tuned, "key": shared_key}
    return Built(stack, made)


# ---------------------------------------------------------------------------- default
def test_default_topic_is_encrypted_ssl_only_and_only_this_accounts_alarms_may_publish(built: Built) -> None:
    bare: SecurityAlarms = built.made["bare"]
    assert built.props(bare.topic)["KmsMasterKeyId"] == built.arn(bare.encryption_key.key)
    assert bare.encryption_key.node.path == "Test/Bare/Key"
    assert bare.topic.node.id == "Topic"

    policies = [
        p["Properties"]
        for p in resources(built.template, "AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [built.ref(bare.topic)]
    ]
    assert len(policies) == 1
    statements = policies[0]["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*"
    assert deny["Action"] == "sns:Publish"
    allow = next(s for s in statements if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in str(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    assert len(statements) == 2

    assert bare.alarms == []
    assert bare.subscription_dead_letter_queue is None
    subscriptions = resources(built.template, "AWS::SNS::Subscription").values()
    assert [s for s in subscriptions if s["Properties"]["TopicArn"] == built.ref(bare.topic)] == []


def test_default_key_lets_cloudwatch_alarms_use_it_with_exact_actions(built: Built) -> None:
    bare: SecurityAlarms = built.made["bare"]
    statements = built.key_statements(bare.encryption_key)
    [cloudwatch] = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert sorted(as_list(cloudwatch["Action"])) == EXACT_PUBLISH_KEY_ACTIONS
    assert cloudwatch["Effect"] == "Allow"
    assert cloudwatch["Resource"] == "*"
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert ":cloudwatch:" in source_arn
    assert ":alarm:*" in source_arn
    assert not [s for s in statements if s["Principal"] == {"Service": "sns.amazonaws.com"}]


# ---------------------------------------------------------------------------- options
def test_alarm_email_subscribes_with_an_encrypted_ssl_only_dead_letter_queue(built: Built) -> None:
    alarms: SecurityAlarms = built.made["alarms"]
    queue = alarms.subscription_dead_letter_queue
    assert queue is not None
    [subscription] = [
        s["Properties"]
        for s in resources(built.template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == built.ref(alarms.topic)
    ]
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "security@example.com"
    assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": built.arn(queue)}

    assert built.props(queue)["KmsMasterKeyId"] == built.arn(alarms.encryption_key.key)
    [queue_policy] = [
        p["Properties"]
        for p in resources(built.template, "AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [built.ref(queue)]
    ]
    statements = queue_policy["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": built.ref(alarms.topic)}}

    [sns_key] = [
        s for s in built.key_statements(alarms.encryption_key) if s["Principal"] == {"Service": "sns.amazonaws.com"}
    ]
    assert sorted(as_list(sns_key["Action"])) == EXACT_PUBLISH_KEY_ACTIONS
    assert sns_key["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":sns:" in str(sns_key["Condition"]["ArnLike"]["aws:SourceArn"])


def test_encryption_key_is_used_and_given_the_cloudwatch_statement(built: Built) -> None:
    tuned: SecurityAlarms = built.made["tuned"]
    key: EncryptionKey = built.made["key"]
    assert tuned.encryption_key is key
    assert tuned.node.try_find_child("Key") is None
    assert built.props(tuned.topic)["KmsMasterKeyId"] == built.arn(key.key)
    cloudwatch = [s for s in built.key_statements(key) if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1


# ---------------------------------------------------------------------------- alarms
def _dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def test_every_alarm_notifies_its_topic_and_ignores_missing_data(built: Built) -> None:
    for name in ("alarms", "tuned"):
        owner: SecurityAlarms = built.made[name]
        assert owner.alarms
        for alarm in owner.alarms:
            props = built.props(alarm)
            assert props["AlarmActions"] == [built.ref(owner.topic)], alarm.node.path
            assert props["TreatMissingData"] == "notBreaching"
            assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert props["EvaluationPeriods"] == 1
            assert props["AlarmDescription"]
    assert len(resources(built.template, "AWS::CloudWatch::Alarm")) == 16


def test_alarm_ids_are_derived_from_the_watched_constructs(built: Built) -> None:
    alarms: SecurityAlarms = built.made["alarms"]
    assert [alarm.node.id for alarm in alarms.alarms] == [
        "ApiProdServerErrors",
        "ApiProdClientErrors",
        "NotesFunctionErrors",
        "NotesFunctionThrottles",
        "NotesFunctionDeadLetterQueueMessages",
        "NotesTableThrottles",
        "JobsDeadLetterQueueMessages",
        "NotesAclWebAclBlockedRequests",
    ]
    tuned: SecurityAlarms = built.made["tuned"]
    assert [alarm.node.id for alarm in tuned.alarms][:2] == ["PublicServerErrors", "PublicClientErrors"]
    assert "JobsMessages" in [alarm.node.id for alarm in tuned.alarms]


def test_watch_api(built: Built) -> None:
    alarms: SecurityAlarms = built.made["alarms"]
    for construct_id, metric, threshold in (
        ("ApiProdServerErrors", "5XXError", 1),
        ("ApiProdClientErrors", "4XXError", 50),
    ):
        alarm = built.alarm(alarms, construct_id)
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/ApiGateway", metric, "Sum")
        assert _dimensions(alarm) == {"ApiName": "notes-api", "Stage": "prod"}
        assert (alarm["Threshold"], alarm["Period"]) == (threshold, 300)


def test_watch_api_thresholds_and_period(built: Built) -> None:
    tuned: SecurityAlarms = built.made["tuned"]
    server, client = built.alarm(tuned, "PublicServerErrors"), built.alarm(tuned, "PublicClientErrors")
    assert (server["Threshold"], client["Threshold"]) == (5, 200)
    assert server["Period"] == client["Period"] == 60


def test_watch_function(built: Built) -> None:
    alarms: SecurityAlarms = built.made["alarms"]
    notes: TableFunction = built.made["notes"]
    function_name = built.ref(notes.lambda_function)
    for construct_id, metric in (("NotesFunctionErrors", "Errors"), ("NotesFunctionThrottles", "Throttles")):
        alarm = built.alarm(alarms, construct_id)
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", metric, "Sum")
        assert _dimensions(alarm) == {"FunctionName": function_name}
        assert alarm["Threshold"] == 1
    dead_letters = built.alarm(alarms, "NotesFunctionDeadLetterQueueMessages")
    assert (dead_letters["Namespace"], dead_letters["MetricName"], dead_letters["Statistic"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
    )
    assert _dimensions(dead_letters) == {
        "QueueName": {"Fn::GetAtt": [built.logical_id(notes.function.dead_letter_queue), "QueueName"]}
    }
    assert dead_letters["Threshold"] == 1


def test_watch_function_thresholds(built: Built) -> None:
    tuned: SecurityAlarms = built.made["tuned"]
    assert built.alarm(tuned, "NotesFunctionErrors")["Threshold"] == 3
    assert built.alarm(tuned, "NotesFunctionThrottles")["Threshold"] == 10


def test_watch_queue(built: Built) -> None:
    alarms: SecurityAlarms = built.made["alarms"]
    alarm = built.alarm(alarms, "JobsDeadLetterQueueMessages")
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert _dimensions(alarm) == {"QueueName": {"Fn::GetAtt": [built.logical_id(built.made["jobs"]), "QueueName"]}}
    assert alarm["Threshold"] == 1
    assert built.alarm(built.made["tuned"], "JobsMessages")["Threshold"] == 10


def test_watch_table(built: Built) -> None:
    alarms: SecurityAlarms = built.made["alarms"]
    notes: TableFunction = built.made["notes"]
    alarm = built.alarm(alarms, "NotesTableThrottles")
    expression, *metrics = alarm["Metrics"]
    assert expression["Expression"] == "FILL(reads, 0) + FILL(writes, 0)"
    assert expression["ReturnData"] is True
    table_name = built.ref(notes.table.table)
    assert sorted(
        (m["MetricStat"]["Metric"]["MetricName"], m["MetricStat"]["Stat"], m["MetricStat"]["Period"]) for m in metrics
    ) == [("ReadThrottleEvents", "Sum", 300), ("WriteThrottleEvents", "Sum", 300)]
    for m in metrics:
        assert m["MetricStat"]["Metric"]["Namespace"] == "AWS/DynamoDB"
        assert m["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "TableName", "Value": table_name}]
    assert alarm["Threshold"] == 1
    assert built.alarm(built.made["tuned"], "NotesTableThrottles")["Threshold"] == 25


def test_watch_web_acl(built: Built) -> None:
    alarm = built.alarm(built.made["alarms"], "NotesAclWebAclBlockedRequests")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/WAFV2", "BlockedRequests", "Sum")
    assert _dimensions(alarm) == {"WebACL": "notes-acl", "Region": {"Ref": "AWS::Region"}, "Rule": "ALL"}
    assert alarm["Threshold"] == 100


def test_watch_web_acl_region_and_threshold(built: Built) -> None:
    alarm = built.alarm(built.made["tuned"], "NotesAclWebAclBlockedRequests")
    assert _dimensions(alarm)["Region"] == "eu-west-1"
    assert alarm["Threshold"] == 1000


# ---------------------------------------------------------------------------- failures
def test_fails_if_alarm_email_is_not_an_address() -> None:
    stack = cdk.Stack(new_app(), "Test")
    with pytest.raises(ConfigurationError) as raised:
        SecurityAlarms(stack, "Alarms", alarm_email="security at example")
    assert raised.value.construct_path == "Test/Alarms"
    [problem] = raised.value.problems
    assert problem.startswith("alarm_email='security at example':")


@pytest.mark.parametrize("address", ["a@b", "a@@example.com", "ops@example.com, sec@example.com", ""])
def test_fails_for_other_malformed_addresses(address: str) -> None:
    with pytest.raises(ConfigurationError):
        SecurityAlarms(cdk.Stack(new_app(), "Test"), "Alarms", alarm_email=address)


def test_fails_if_thresholds_or_period_are_invalid() -> None:
    stack = cdk.Stack(new_app(), "Test")
    notes = _notes(stack)
    alarms = SecurityAlarms(stack, "Alarms")
    with pytest.raises(ConfigurationError) as raised:
        alarms.watch_function(notes, error_threshold=0, throttle_threshold=-1, period=cdk.Duration.seconds(90))
    assert [p.split("=")[0] for p in raised.value.problems] == ["error_threshold", "throttle_threshold", "period"]
    assert "greater than 0" in raised.value.problems[0]
    with pytest.raises(ConfigurationError) as raised:
        alarms.watch_web_acl("acl", blocked_threshold=0)
    assert raised.value.problems[0].startswith("blocked_threshold=0:")
    assert alarms.alarms == []


def test_fails_if_a_construct_is_watched_twice() -> None:
    stack = cdk.Stack(new_app(), "Test")
    notes = _notes(stack)
    alarms = SecurityAlarms(stack, "Alarms")
    alarms.watch_table(notes)
    with pytest.raises(ConfigurationError, match="NotesTableThrottles"):
        alarms.watch_table(notes.table)


def test_fails_if_web_acl_name_is_a_token_without_id_prefix() -> None:
    stack = cdk.Stack(new_app(), "Test")
    alarms = SecurityAlarms(stack, "Alarms")
    name = cdk.CfnParameter(stack, "WebAclName").value_as_string
    with pytest.raises(ConfigurationError, match="id_prefix"):
        alarms.watch_web_acl(name)
    alarms.watch_web_acl(name, id_prefix="Edge")
    assert [a.node.id for a in alarms.alarms] == ["EdgeBlockedRequests"]


# ---------------------------------------------------------------------------- cdk-nag
@pytest.mark.slow
def test_nag_alarms_with_every_watcher_have_no_open_findings(tmp_path: Path) -> None:
    def build(stack: cdk.Stack) -> None:
        notes = _notes(stack)
        api = apigateway.RestApi.from_rest_api_attributes(stack, "Api", rest_api_id="abc123", root_resource_id="r")
        alarms = SecurityAlarms(stack, "Alarms", alarm_email="security@example.com")
        alarms.watch_api(api, "prod")
        alarms.watch_function(notes)
        alarms.watch_table(notes)
        alarms.watch_web_acl("notes-acl")

    report = nag_report(build, tmp_path)
    assert report.findings == [], open_findings(report)
    # The subscription's dead-letter queue trips exactly these two rules; both are acknowledged
    # on the queue itself, with the reason.
    on_alarms = sorted((f.rule, f.path) for f in report.acknowledged if f.path.startswith("Test/Alarms/"))
    assert on_alarms == [
        ("AwsSolutions-SQS3", "Test/Alarms/SubscriptionDeadLetterQueue/Resource"),
        ("Serverless-SQSRedrivePolicy", "Test/Alarms/SubscriptionDeadLetterQueue/Resource"),
    ]
    for finding in report.acknowledged:
        if finding.path.startswith("Test/Alarms/"):
            assert finding.reason is not None
            assert "dead-letter queue of the alarm topic's e-mail subscription" in finding.reason
