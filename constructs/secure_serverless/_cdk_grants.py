"""CDK's own grants on a kit function, landed in the kit's one grant pipeline.

CDK constructs grant through the grantee's role: ``queue.grant_send_messages(fn)``,
``topic.grant_publish(fn)``, ``key.grant_decrypt(fn)``, an ``SqsEventSource``, a queue encrypted
with a key... Each reaches the kit function's ``PerimeterRole`` as one policy statement. When that
statement is exactly one of CDK's named grants on one resource of the app (the action sets below,
read from aws-cdk-lib 2.275), the role does not keep CDK's statement: it grants the kit access level
that covers it (exact actions, no ``kms:ReEncrypt*`` or ``GenerateDataKey*``), applies ownership and
records the reach in the function's perimeter, exactly as the kit's own methods do. Anything else
stays a foreign grant and fails the synth (``_perimeter_role``).

A grant that would cross services (the resource belongs to another kit function) is refused here
too, because CDK's grant methods cannot carry a ``share_reason``: the message names the kit call
that can (``SecureFunction.produce_to``, ``consume_queue``, ``EncryptionKey.grant``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from secure_serverless_checks import access_levels
from secure_serverless_checks.access_levels import KMS_KEY, SNS_TOPIC, SQS_QUEUE, actions_for, kind_of_type

from ._grants import cfn_of, claim, claim_ownership, is_kit, kit_function_of
from ._validation import ConfigurationError

if TYPE_CHECKING:
    from .encryption_key import EncryptionKey
    from .secure_function import SecureFunction

#: kind -> CDK grant action set -> the kit access level that replaces it.
CDK_GRANT_LEVELS: Mapping[str, Mapping[frozenset[str], str]] = {
    SQS_QUEUE: {
        # QueueGrants.sendMessages / consumeMessages (aws-sqs/lib/sqs-grants.generated.js)
        frozenset({"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}): "send",
        frozenset(
            {
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueUrl",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
            }
        ): "consume",
    },
    SNS_TOPIC: {
        # TopicGrants.publish (aws-sns/lib/sns-grants.generated.js)
        frozenset({"sns:Publish"}): "publish",
    },
    KMS_KEY: {
        # KeyGrants.decrypt / encrypt / encryptDecrypt, and the key actions of the queue and topic grants
        frozenset({"kms:Decrypt"}): "decrypt",
        frozenset({"kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}): "encrypt",
        frozenset({"kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}): "encrypt-decrypt",
        frozenset({"kms:Decrypt", "kms:GenerateDataKey*"}): "encrypt-decrypt",
    },
}

#: kind -> what the resource is called in messages, and the kit call that shares it on purpose.
_SHARING_CALLS = {
    SQS_QUEUE: "fn.produce_to(queue, share_reason=...) to send, fn.consume_queue(queue, share_reason=...) to consume",
    SNS_TOPIC: "fn.produce_to(topic, share_reason=...)",
    KMS_KEY: "EncryptionKey.grant(fn, KeyAccess..., share_reason=...), or the produce_to / consume_queue call "
    "of the queue or topic it encrypts, with share_reason",
}
_SERVICE_OF_KIND = {SQS_QUEUE: "sqs", SNS_TOPIC: "sns"}


@dataclass(frozen=True)
class Landing:
    """The verdict on one statement: ``landed`` into the pipeline, or ``refusal`` (a message)."""

    landed: bool
    refusal: str | None = None


NOT_A_CDK_GRANT = Landing(landed=False)


def level_of(kind: str, actions: frozenset[str]) -> str | None:
    """The kit access level that replaces CDK's grant of ``actions`` on a resource of ``kind``."""
    levels = CDK_GRANT_LEVELS.get(kind, {})
    if actions in levels:
        return levels[actions]
    for level, exact in access_levels.ACCESS_LEVELS.get(kind, {}).items():
        if actions == frozenset(exact):
            return level  # the kit's own exact actions, written by hand
    return None


def target_of(arn: str) -> cdk.CfnResource | None:
    """The L1 resource whose ARN (``Fn::GetAtt [X, Arn]``, or ``Ref`` of a topic) ``arn`` is exactly."""
    fragments = cdk.Tokenization.reverse_string(arn)
    if fragments.length != 1:
        return None
    token = fragments.first_token
    target = getattr(token, "target", None)
    if not isinstance(target, cdk.CfnResource):
        return None
    stack = cdk.Stack.of(target)
    logical_id = stack.resolve(stack.get_logical_id(target))
    resolved = stack.resolve(arn)
    is_arn = resolved == {"Fn::GetAtt": [logical_id, "Arn"]}
    is_topic_ref = resolved == {"Ref": logical_id} and target.cfn_resource_type == "AWS::SNS::Topic"
    return target if is_arn or is_topic_ref else None


def land(function: SecureFunction, statement: iam.PolicyStatement, via: dict[str, Any]) -> Landing:
    """Land ``statement`` (one of CDK's grants reaching ``function``'s role) in the kit's pipeline.

    ``via`` carries, between two statements of one CDK grant, the service whose key grant follows
    (a queue's grant is followed by the grant on its key: that key use is then limited to SQS).
    """
    document = statement.to_statement_json()
    if (
        statement.effect != iam.Effect.ALLOW
        or statement.not_actions
        or statement.not_resources
        or statement.has_principal
        or "Condition" in document
        or len(statement.resources) != 1
    ):
        return NOT_A_CDK_GRANT
    found = target_of(statement.resources[0])
    if found is None:
        return NOT_A_CDK_GRANT
    target = found
    kind = kind_of_type(target.cfn_resource_type)
    level = level_of(kind, frozenset(statement.actions)) if kind else None
    if kind is None or level is None:
        return NOT_A_CDK_GRANT
    try:
        if kind == KMS_KEY:
            _land_key(function, target, level, via)
        else:
            grant_on(function, target, kind, level, share_reason=None)
            via.clear()
            key_arn = _key_arn_of(target)
            if key_arn is not None:
                via.update(service=_SERVICE_OF_KIND[kind], key=key_arn)
    except ConfigurationError as error:
        return Landing(landed=False, refusal=_refusal(kind, error))
    return Landing(landed=True)


def grant_on(
    function: SecureFunction,
    target: cdk.CfnResource,
    kind: str,
    level: str,
    *,
    share_reason: str | None,
) -> iam.Grant | None:
    """Exact actions of ``level`` on the queue or topic ``target``, with ownership, declared.

    Returns None when the function's perimeter already holds them.
    """
    if function.perimeter.covers(target, actions_for(kind, level)):
        return None
    owner_path = target.node.scope.node.path if target.node.scope is not None else target.node.path
    reason = claim_ownership(
        function, resource=target, what=f"the {_NOUN[kind]} {owner_path}", share_reason=share_reason
    )
    arn = target.ref if kind == SNS_TOPIC else target.get_att("Arn").to_string()
    return function.allow(kind=kind, resource=target, access=level, resource_arns=[arn], share_reason=reason)


_NOUN = {SQS_QUEUE: "queue", SNS_TOPIC: "topic"}


def _key_arn_of(target: cdk.CfnResource) -> Any:
    stack = cdk.Stack.of(target)
    key = getattr(target, "kms_master_key_id", None)
    return stack.resolve(key) if key is not None else None


def land_key_actions(grantee: iam.IGrantable, key: EncryptionKey, actions: Sequence[str]) -> iam.Grant | None:
    """CDK's ``key.grant(fn, "kms:...", ...)`` on a kit key, called by CDK for a kit function.

    Returns None when ``grantee`` is not a kit function or the actions are none of CDK's key
    grants (CDK's own grant then runs, and the function's role judges it).
    """
    function = kit_function_of(grantee)
    level = level_of(KMS_KEY, frozenset(actions))
    if function is None or level is None:
        return None
    try:
        _land_key(function, cfn_of(key.key), level, function.role._via())
    except ConfigurationError as error:
        function.role.refuse(f"a grant of [{', '.join(actions)}] on {key.node.path}", _refusal(KMS_KEY, error))
    return iam.Grant.drop(grantee, f"{', '.join(actions)} on {key.node.path}: landed in the kit's grant pipeline")


def _refusal(kind: str, error: ConfigurationError) -> str:
    return (
        f"SecureServerless-CrossServiceGrant: {'; '.join(error.problems)}. CDK's grant methods cannot carry a "
        f"share_reason: use {_SHARING_CALLS[kind]}. See docs/library-grants.md."
    )


def _land_key(function: SecureFunction, target: cdk.CfnResource, level: str, via: dict[str, Any]) -> None:
    key = target.node.scope
    if not isinstance(key, kms.Key):
        raise ConfigurationError(function.node.path, [f"{target.node.path} is not the key of a kms.Key"])
    stack = cdk.Stack.of(target)
    services: Sequence[str] = ()
    if via and via.get("key") == stack.resolve(key.key_arn):
        services = [via["service"]]
    via.clear()
    if function.perimeter.covers(cfn_of(key), actions_for(KMS_KEY, level)):
        return
    claim(function, key, level, via_services=services)


def kit_function_of_arn(arn: str) -> SecureFunction | None:
    """The kit function whose ARN token ``arn`` is (an event destination's ``arn``), if any."""
    fragments = cdk.Tokenization.reverse_string(arn)
    target = getattr(fragments.first_token, "target", None) if fragments.length == 1 else None
    scope = target.node.scope if isinstance(target, cdk.CfnResource) else None
    while scope is not None and not is_kit("function", scope):
        scope = scope.node.scope
    return scope  # type: ignore[return-value]
