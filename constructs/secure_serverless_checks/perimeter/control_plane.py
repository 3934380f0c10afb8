"""What counts as control-plane reach, and how a function declares the reach it really needs.

A function's data perimeter means nothing if its role may rewrite roles and policies, pass a role
to new compute, change a function's code or start a session on an instance: those are the
published IAM privilege-escalation methods. The catalogue below holds every method of Rhino
Security Labs' list as cloudsplaining 0.9.1 implements it (``shared/constants.py``,
``PRIVILEGE_ESCALATION_METHODS``, with the pathfinding.cloud additions), plus the actions that
rewrite a resource policy, hand out credentials or run code with another identity.

The analyzer stays pure Python and fast: the catalogue is data here, not a dependency.

A function that must reach the control plane (a deployer, a key rotator) declares it in its
perimeter metadata under ``control_plane``: exact actions, exact resources (logical ids of the
template or literal ARNs, never a wildcard), a reason. Its own role, its own function and ``*`` can
never be declared (see docs/perimeter-metadata.md).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: cloudsplaining 0.9.1 ``PRIVILEGE_ESCALATION_METHODS`` (Rhino Security Labs + pathfinding.cloud):
#: method name -> the actions that together make it (lower case, as IAM compares them).
ESCALATION_METHODS: Mapping[str, tuple[str, ...]] = {
    "CreateAccessKey": ("iam:createaccesskey",),
    "CreateLoginProfile": ("iam:createloginprofile",),
    "UpdateLoginProfile": ("iam:updateloginprofile",),
    "AddUserToGroup": ("iam:addusertogroup",),
    "CreateNewPolicyVersion": ("iam:createpolicyversion",),
    "SetExistingDefaultPolicyVersion": ("iam:setdefaultpolicyversion",),
    "AttachUserPolicy": ("iam:attachuserpolicy",),
    "AttachGroupPolicy": ("iam:attachgrouppolicy",),
    "AttachRolePolicy": ("iam:attachrolepolicy",),
    "PutUserPolicy": ("iam:putuserpolicy",),
    "PutGroupPolicy": ("iam:putgrouppolicy",),
    "PutRolePolicy": ("iam:putrolepolicy",),
    "UpdateRolePolicyToAssumeIt": ("iam:updateassumerolepolicy",),
    "CreateEC2WithExistingIP": ("iam:passrole", "ec2:runinstances"),
    "PassExistingRoleToNewLambdaThenInvoke": ("iam:passrole", "lambda:createfunction", "lambda:invokefunction"),
    "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo": (
        "iam:passrole",
        "lambda:createfunction",
        "lambda:createeventsourcemapping",
        "dynamodb:createtable",
        "dynamodb:putitem",
    ),
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo": (
        "iam:passrole",
        "lambda:createfunction",
        "lambda:createeventsourcemapping",
    ),
    "PassExistingRoleToNewGlueDevEndpoint": ("iam:passrole", "glue:createdevendpoint"),
    "PassExistingRoleToCloudFormation": ("iam:passrole", "cloudformation:createstack"),
    "PassExistingRoleToNewDataPipeline": ("iam:passrole", "datapipeline:createpipeline"),
    "UpdateExistingGlueDevEndpoint": ("glue:updatedevendpoint",),
    "EditExistingLambdaFunctionWithRole": ("lambda:updatefunctioncode",),
    "AccessExistingBedrockCodeInterpreterSession": (
        "bedrock-agentcore:startcodeinterpretersession",
        "bedrock-agentcore:invokecodeinterpreter",
    ),
    "ExecuteCloudFormationChangeSet": ("cloudformation:createchangeset", "cloudformation:executechangeset"),
    "ModifyEC2InstanceUserDataThenRestart": ("ec2:modifyinstanceattribute", "ec2:stopinstances", "ec2:startinstances"),
    "ModifyExistingEC2LaunchTemplate": ("ec2:createlaunchtemplateversion", "ec2:modifylaunchtemplate"),
    "EC2InstanceConnectSendSSHPublicKey": ("ec2-instance-connect:sendsshpublickey", "ec2:describeinstances"),
    "ECSExecuteCommandOnRunningTask": ("ecs:executecommand", "ecs:describetasks"),
    "UpdateAndInvokeLambdaFunction": ("lambda:updatefunctioncode", "lambda:invokefunction"),
    "UpdateLambdaFunctionAndAddPermission": ("lambda:updatefunctioncode", "lambda:addpermission"),
    "CreatePresignedSageMakerNotebookUrl": ("sagemaker:createpresignednotebookinstanceurl",),
    "UpdateSageMakerNotebookLifecycleConfig": (
        "sagemaker:createnotebookinstancelifecycleconfig",
        "sagemaker:stopnotebookinstance",
        "sagemaker:updatenotebookinstance",
        "sagemaker:startnotebookinstance",
    ),
    "PassExistingRoleToNewAppRunnerService": ("iam:passrole", "apprunner:createservice"),
    "PassExistingRoleToNewBedrockCodeInterpreter": (
        "iam:passrole",
        "bedrock-agentcore:createcodeinterpreter",
        "bedrock-agentcore:startcodeinterpretersession",
        "bedrock-agentcore:invokecodeinterpreter",
    ),
    "PassExistingRoleToNewCloudFormationStackSet": (
        "iam:passrole",
        "cloudformation:createstackset",
        "cloudformation:createstackinstances",
    ),
    "PassRoleToUpdateCloudFormationStackSet": ("iam:passrole", "cloudformation:updatestackset"),
    "PassExistingRoleToNewCodeBuildProjectThenBuild": (
        "iam:passrole",
        "codebuild:createproject",
        "codebuild:startbuild",
    ),
    "PassExistingRoleToNewCodeBuildProjectThenBuildBatch": (
        "iam:passrole",
        "codebuild:createproject",
        "codebuild:startbuildbatch",
    ),
    "PassExistingRoleToNewEC2SpotInstance": ("iam:passrole", "ec2:requestspotinstances"),
    "PassExistingRoleToNewECSClusterServiceTask": (
        "iam:passrole",
        "ecs:createcluster",
        "ecs:registertaskdefinition",
        "ecs:createservice",
    ),
    "PassExistingRoleToNewECSClusterRunTask": (
        "iam:passrole",
        "ecs:createcluster",
        "ecs:registertaskdefinition",
        "ecs:runtask",
    ),
    "PassExistingRoleToNewECSService": ("iam:passrole", "ecs:registertaskdefinition", "ecs:createservice"),
    "PassExistingRoleToNewECSTaskViaRunTask": ("iam:passrole", "ecs:registertaskdefinition", "ecs:runtask"),
    "PassExistingRoleToNewECSTaskViaStartTask": ("iam:passrole", "ecs:registertaskdefinition", "ecs:starttask"),
    "PassExistingRoleToNewGlueJobThenRun": ("iam:passrole", "glue:createjob", "glue:startjobrun"),
    "PassExistingRoleToNewGlueJobViaTrigger": ("iam:passrole", "glue:createjob", "glue:createtrigger"),
    "PassExistingRoleToUpdatedGlueJobThenRun": ("iam:passrole", "glue:updatejob", "glue:startjobrun"),
    "PassExistingRoleToUpdatedGlueJobViaTrigger": ("iam:passrole", "glue:updatejob", "glue:createtrigger"),
    "PassExistingRoleToNewLambdaThenAddPermission": ("iam:passrole", "lambda:createfunction", "lambda:addpermission"),
    "PassExistingRoleToNewSageMakerNotebookInstance": ("iam:passrole", "sagemaker:createnotebookinstance"),
    "PassExistingRoleToNewSageMakerTrainingJob": ("iam:passrole", "sagemaker:createtrainingjob"),
    "PassExistingRoleToNewSageMakerProcessingJob": ("iam:passrole", "sagemaker:createprocessingjob"),
    "CreateAndRotateAccessKey": ("iam:createaccesskey", "iam:deleteaccesskey"),
    "AttachUserPolicyThenCreateAccessKey": ("iam:attachuserpolicy", "iam:createaccesskey"),
    "CreatePolicyVersionThenAssumeRole": ("iam:createpolicyversion", "sts:assumerole"),
    "PutUserPolicyThenCreateAccessKey": ("iam:putuserpolicy", "iam:createaccesskey"),
    "AttachRolePolicyThenUpdateAssumeRolePolicy": ("iam:attachrolepolicy", "iam:updateassumerolepolicy"),
    "CreatePolicyVersionThenUpdateAssumeRolePolicy": ("iam:createpolicyversion", "iam:updateassumerolepolicy"),
    "PutRolePolicyThenUpdateAssumeRolePolicy": ("iam:putrolepolicy", "iam:updateassumerolepolicy"),
}

#: Actions of the methods that are data plane or read only by themselves (a function may invoke a
#: declared function or write its own table): they complete a method, they are not one.
_DATA_PLANE_STEPS = frozenset(
    {"lambda:invokefunction", "dynamodb:putitem", "dynamodb:createtable", "ec2:describeinstances", "ecs:describetasks"}
)

#: Beyond the methods: other ways to change identities and policies, borrow an identity, rewrite a
#: resource policy, change a function's code or run code with a role (lower case).
_MORE_CONTROL_PLANE = frozenset(
    {
        # IAM: identities, policies, boundaries, credentials
        "iam:createrole",
        "iam:updaterole",
        "iam:deleterolepolicy",
        "iam:detachrolepolicy",
        "iam:putrolepermissionsboundary",
        "iam:deleterolepermissionsboundary",
        "iam:putuserpermissionsboundary",
        "iam:deleteuserpermissionsboundary",
        "iam:createuser",
        "iam:createpolicy",
        "iam:tagrole",
        "iam:untagrole",
        "iam:taguser",
        "iam:updateaccesskey",
        "iam:uploadsshpublickey",
        "iam:createservicespecificcredential",
        "iam:resetservicespecificcredential",
        "iam:createinstanceprofile",
        "iam:addroletoinstanceprofile",
        "iam:createservicelinkedrole",
        "iam:createopenidconnectprovider",
        "iam:createsamlprovider",
        # STS: another identity
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:assumeroot",
        "sts:getfederationtoken",
        "sts:getsessiontoken",
        # Lambda: code, configuration, triggers, who may invoke
        "lambda:updatefunctioncode",
        "lambda:updatefunctionconfiguration",
        "lambda:createfunction",
        "lambda:addpermission",
        "lambda:removepermission",
        "lambda:createeventsourcemapping",
        "lambda:updateeventsourcemapping",
        "lambda:publishlayerversion",
        "lambda:addlayerversionpermission",
        "lambda:createalias",
        "lambda:updatealias",
        "lambda:createfunctionurlconfig",
        "lambda:updatefunctionurlconfig",
        # run commands or code with an instance's, a stack's, a job's role
        "ssm:sendcommand",
        "ssm:startsession",
        "ssm:resumesession",
        "ssm:startautomationexecution",
        "ssm:createassociation",
        "cloudformation:updatestack",
        "cloudformation:setstackpolicy",
        "cloudformation:updatestackinstances",
        "ec2:createlaunchtemplate",
        "ec2:associateiaminstanceprofile",
        "ec2:replaceiaminstanceprofileassociation",
        "ec2-instance-connect:sendserialconsolesshpublickey",
        "ecs:updateservice",
        "codebuild:updateproject",
        "datapipeline:putpipelinedefinition",
        "datapipeline:activatepipeline",
        "glue:createsession",
        "apprunner:updateservice",
        "codestar:createproject",
        "codestar:associateteammember",
        "codestar:createuserprofile",
        "states:createstatemachine",
        "states:updatestatemachine",
        "events:puttargets",
        "scheduler:createschedule",
        "scheduler:updateschedule",
        # resource policies and grants: who else may reach a resource
        "kms:putkeypolicy",
        "kms:creategrant",
        "s3:putbucketpolicy",
        "s3:deletebucketpolicy",
        "s3:putbucketacl",
        "s3:putobjectacl",
        "s3:putaccesspointpolicy",
        "sqs:setqueueattributes",
        "sqs:addpermission",
        "sns:settopicattributes",
        "sns:addpermission",
        "secretsmanager:putresourcepolicy",
        "dynamodb:putresourcepolicy",
        "ecr:setrepositorypolicy",
        "logs:putresourcepolicy",
        "events:putpermission",
    }
)

#: Every control-plane action the catalogue names (patterns are matched against this set).
CONTROL_PLANE_ACTIONS: frozenset[str] = (
    frozenset({action for actions in ESCALATION_METHODS.values() for action in actions} - _DATA_PLANE_STEPS)
    | _MORE_CONTROL_PLANE
)

#: Services whose every write is control plane; read-only verbs of them are not.
_IDENTITY_SERVICES = frozenset({"iam", "sts", "organizations", "sso", "sso-directory", "identitystore", "account"})
_READ_VERBS = ("get", "list", "describe", "simulate", "generate")
_HARMLESS_STS = frozenset({"sts:getcalleridentity", "sts:getaccesskeyinfo", "sts:decodeauthorizationmessage"})

#: Services whose actions act on a role (its own role may never be their resource) and on code.
ROLE_SERVICES = frozenset({"iam", "sts"})
CODE_SERVICES = frozenset({"lambda"})


def is_control_plane(action: str) -> bool:
    """True for an exact action (no pattern) that changes identities, policies, code or who may act."""
    lowered = action.lower()
    if lowered in CONTROL_PLANE_ACTIONS:
        return True
    service, _, verb = lowered.partition(":")
    if service == "sts":
        return lowered not in _HARMLESS_STS
    return service in _IDENTITY_SERVICES and not verb.startswith(_READ_VERBS)


def control_plane_actions(actions: Iterable[str], *, not_action: bool) -> list[str]:
    """The control-plane actions a statement grants: exact ones as written, patterns expanded over
    the catalogue (``iam:Put*``, ``*``), and for ``NotAction`` every catalogued action it spares."""
    return list(_control_plane_actions(tuple(actions), not_action))


@lru_cache(maxsize=4096)  # the same action lists recur for every function of an assembly
def _control_plane_actions(actions: tuple[str, ...], not_action: bool) -> tuple[str, ...]:
    return tuple(_find_control_plane_actions(actions, not_action=not_action))


def _find_control_plane_actions(actions: Iterable[str], *, not_action: bool) -> list[str]:
    if not_action:
        spared = [action.lower() for action in actions]
        return sorted(
            action for action in CONTROL_PLANE_ACTIONS if not any(fnmatch.fnmatchcase(action, p) for p in spared)
        )
    found: list[str] = []
    for action in actions:
        if "*" in action or "?" in action:
            pattern = action.lower()
            found.extend(sorted(a for a in CONTROL_PLANE_ACTIONS if fnmatch.fnmatchcase(a, pattern)))
        elif is_control_plane(action):
            found.append(action)
    return list(dict.fromkeys(found))


#: Every action of a method, data-plane steps included (for telling whether a method is complete).
_METHOD_ACTIONS: frozenset[str] = frozenset(a for actions in ESCALATION_METHODS.values() for a in actions)


def held_method_actions(actions: Iterable[str], *, not_action: bool) -> set[str]:
    """The actions of the published methods (lower case) a statement grants, patterns expanded."""
    return set(_held_method_actions(tuple(actions), not_action))


@lru_cache(maxsize=4096)
def _held_method_actions(actions: tuple[str, ...], not_action: bool) -> frozenset[str]:
    return frozenset(_find_held_method_actions(actions, not_action=not_action))


def _find_held_method_actions(actions: Iterable[str], *, not_action: bool) -> set[str]:
    lowered = [action.lower() for action in actions]
    if not_action:
        return {a for a in _METHOD_ACTIONS if not any(fnmatch.fnmatchcase(a, p) for p in lowered)}
    held = {a for a in lowered if a in _METHOD_ACTIONS}
    patterns = [p for p in lowered if "*" in p or "?" in p]
    if patterns:
        held |= {a for a in _METHOD_ACTIONS if any(fnmatch.fnmatchcase(a, p) for p in patterns)}
    return held


def methods_with(action: str) -> list[str]:
    """Names of the published escalation methods ``action`` is part of."""
    lowered = action.lower()
    return [name for name, actions in ESCALATION_METHODS.items() if lowered in actions]


@dataclass(frozen=True)
class ControlPlaneEntry:
    """A declared control-plane reach: exact ``actions`` (lower case) on exact ``resources``."""

    actions: frozenset[str]
    resources: tuple[str, ...]
    reason: str


_ARN = re.compile(r"^arn:[^:*?]+:[^:*?]+:[^:*?]*:[^:*?]*:[^*?]+$")


def read_control_plane(
    raw: Any, *, has_resource: Any, own: Iterable[str | None], where: str, problems: list[str]
) -> tuple[ControlPlaneEntry, ...]:
    """Parse the ``control_plane`` list of a perimeter; malformed entries declare nothing.

    ``has_resource(logical_id)`` says whether the template defines it; ``own`` are the logical ids
    that may never be declared (the function and its role).
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"'{where}' must be a list")
        return ()
    forbidden = {name for name in own if name}
    entries: list[ControlPlaneEntry] = []
    for position, item in enumerate(raw):
        label = f"{where}[{position}]"
        if not isinstance(item, dict):
            problems.append(f"{label} must be an object")
            continue
        actions, resources, reason = item.get("actions"), item.get("resources"), item.get("reason")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, str) and a for a in actions):
            problems.append(f"{label}: 'actions' must be a non-empty list of exact actions")
            continue
        if not isinstance(resources, list) or not resources or not all(isinstance(r, str) and r for r in resources):
            problems.append(f"{label}: 'resources' must be a non-empty list of logical ids or ARNs")
            continue
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{label}: a control-plane reach needs a 'reason'")
            continue
        bad_actions = sorted(a for a in actions if "*" in a or "?" in a or not is_control_plane(a))
        if bad_actions:
            problems.append(
                f"{label}: only exact control-plane actions may be declared here, not {', '.join(bad_actions)} "
                "(declare data reach under 'reach')"
            )
            continue
        bad_resources = sorted(
            r for r in resources if r in forbidden or not (has_resource(r) or _ARN.match(r)) or "*" in r or "?" in r
        )
        if bad_resources:
            problems.append(
                f"{label}: {', '.join(bad_resources)} cannot be declared: name exact resources of the template or "
                "exact ARNs; never '*', a pattern, the function itself or its own role"
            )
            continue
        entries.append(ControlPlaneEntry(frozenset(a.lower() for a in actions), tuple(resources), reason.strip()))
    return tuple(entries)
