"""Resources created through the service APIs, with the template's own properties: those moto's
CloudFormation skips (Cognito, before it) and those that depend on what it created (policies,
alarms, the WAF web ACL, the API Gateway account setting, after it). ``CREATORS`` maps a type to
its creator; a creator returns the physical id (and, optionally, a note on what differs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..emulator import ACCOUNT_ID, Emulator
from .handling import DeployError
from .values import Values


def _without(properties: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if key not in names}


def _generated_name(stack: str, logical_id: str, limit: int = 128) -> str:
    return f"{stack}-{logical_id}"[:limit]


def _create_user_pool(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    cognito = emulator.client("cognito-idp")
    name = props.get("UserPoolName") or _generated_name(stack, logical_id)
    enabled_mfas = props.get("EnabledMfas", [])
    mfa = props.get("MfaConfiguration", "OFF")
    arguments = _without(props, "UserPoolName", "EnabledMfas", "MfaConfiguration")
    pool = cognito.create_user_pool(PoolName=name, **arguments)["UserPool"]
    if mfa != "OFF":
        if enabled_mfas and "SOFTWARE_TOKEN_MFA" not in enabled_mfas:
            raise DeployError(f"{logical_id}: local mode emulates TOTP MFA only (EnabledMfas={enabled_mfas})")
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool["Id"], SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration=mfa
        )
    values.refs[logical_id] = pool["Id"]
    values.attributes[(logical_id, "Arn")] = pool["Arn"]
    values.attributes[(logical_id, "UserPoolId")] = pool["Id"]
    provider = f"cognito-idp.{emulator.region}.amazonaws.com/{pool['Id']}"
    values.attributes[(logical_id, "ProviderName")] = provider
    values.attributes[(logical_id, "ProviderURL")] = f"https://{provider}"
    return str(pool["Id"])


def _create_user_pool_client(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> str:
    cognito = emulator.client("cognito-idp")
    name = props.get("ClientName") or _generated_name(stack, logical_id)
    client = cognito.create_user_pool_client(ClientName=name, **_without(props, "ClientName"))["UserPoolClient"]
    values.refs[logical_id] = client["ClientId"]
    values.attributes[(logical_id, "ClientId")] = client["ClientId"]
    values.attributes[(logical_id, "Name")] = name
    return str(client["ClientId"])


def _create_user_pool_group(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> str:
    cognito = emulator.client("cognito-idp")
    group = cognito.create_group(**props)["Group"]
    values.refs[logical_id] = group["GroupName"]
    return str(group["GroupName"])


_TRANSPORT_KEYS = frozenset({"aws:securetransport", "s3:tlsversion"})


def _without_transport_conditions(document: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The policy minus its Deny statements conditioned on the transport (TLS) alone.

    Local traffic is plain HTTP on loopback by design, and moto evaluates a conditional
    statement as if its condition always held: "deny unless TLS" would deny every object
    request. Every other statement is kept as written.
    """
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    kept = []
    for statement in statements:
        condition_keys = {
            key.lower()
            for operator in statement.get("Condition", {}).values()
            if isinstance(operator, dict)
            for key in operator
        }
        if statement.get("Effect") == "Deny" and condition_keys and condition_keys <= _TRANSPORT_KEYS:
            continue
        kept.append(statement)
    return {**document, "Statement": kept}, len(statements) - len(kept)


def _put_bucket_policy(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> tuple[str, str]:
    policy, dropped = _without_transport_conditions(props["PolicyDocument"])
    note = "S3 API; moto evaluates it on object requests (conditions are treated as always true)"
    if dropped:
        note += f"; {dropped} TLS-only Deny statement(s) left out: local traffic is HTTP on loopback"
    if policy["Statement"]:
        emulator.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
    else:
        note += "; nothing else in it, so no policy is put"
    return str(props["Bucket"]), note


def _put_queue_policy(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    sqs = emulator.client("sqs")
    for url in props["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    return ",".join(props["Queues"])


def _put_topic_policy(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    sns = emulator.client("sns")
    for arn in props["Topics"]:
        sns.set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
        )
    return ",".join(props["Topics"])


def _put_alarm(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    name = props.get("AlarmName") or _generated_name(stack, logical_id, 255)
    emulator.client("cloudwatch").put_metric_alarm(AlarmName=name, **_without(props, "AlarmName"))
    values.refs[logical_id] = name
    values.attributes[(logical_id, "Arn")] = f"arn:aws:cloudwatch:{emulator.region}:{ACCOUNT_ID}:alarm:{name}"
    return str(name)


def _put_dashboard(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    name = props.get("DashboardName") or _generated_name(stack, logical_id, 255)
    emulator.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=props["DashboardBody"])
    values.refs[logical_id] = name
    return str(name)


def _create_web_acl(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    name = props.get("Name") or _generated_name(stack, logical_id)
    summary = emulator.client("wafv2").create_web_acl(Name=name, **_without(props, "Name"))["Summary"]
    values.refs[logical_id] = f"{name}|{summary['Id']}|{props['Scope']}"
    values.attributes[(logical_id, "Arn")] = summary["ARN"]
    values.attributes[(logical_id, "Id")] = summary["Id"]
    return str(summary["ARN"])


def _associate_web_acl(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    emulator.client("wafv2").associate_web_acl(WebACLArn=props["WebACLArn"], ResourceArn=props["ResourceArn"])
    return str(props["ResourceArn"])


def _put_waf_logging(emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values) -> str:
    emulator.client("wafv2").put_logging_configuration(LoggingConfiguration=props)
    return str(props["ResourceArn"])


def _put_apigateway_account(
    emulator: Emulator, stack: str, logical_id: str, props: dict[str, Any], values: Values
) -> str:
    unknown = set(props) - {"CloudWatchRoleArn"}
    if unknown:
        raise DeployError(f"{logical_id}: AWS::ApiGateway::Account properties {sorted(unknown)} are not mapped")
    emulator.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": props["CloudWatchRoleArn"]}]
    )
    return "account"


CREATORS: dict[str, Callable[[Emulator, str, str, dict[str, Any], Values], str | tuple[str, str]]] = {
    "AWS::Cognito::UserPool": _create_user_pool,
    "AWS::Cognito::UserPoolClient": _create_user_pool_client,
    "AWS::Cognito::UserPoolGroup": _create_user_pool_group,
    "AWS::S3::BucketPolicy": _put_bucket_policy,
    "AWS::SQS::QueuePolicy": _put_queue_policy,
    "AWS::SNS::TopicPolicy": _put_topic_policy,
    "AWS::CloudWatch::Alarm": _put_alarm,
    "AWS::CloudWatch::Dashboard": _put_dashboard,
    "AWS::WAFv2::WebACL": _create_web_acl,
    "AWS::WAFv2::WebACLAssociation": _associate_web_acl,
    "AWS::WAFv2::LoggingConfiguration": _put_waf_logging,
    "AWS::ApiGateway::Account": _put_apigateway_account,
}
