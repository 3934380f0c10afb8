"""The adversarial table of issue 21's five classes: mutations of the compliant fixture and their verdicts.

Like ``mutations.py`` (issue 9), each row changes a deep copy of the compliant fixture and says
what the analyzer must answer: ``fail`` with a rule code on a function (and, when given, on a
resource, with words the message must hold: the path and the fix), ``pass``, or ``error`` (exit
2). Classes: ``control-plane`` (P17), ``trust`` (P18), ``opaque`` (P19), ``computed-name``,
``credentials``. The table imports nothing from the analyzer, so it also runs against an older
analyzer (that is how "fails before the change" was measured).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    NOTES_TABLE,
    TemplateBuilder,
    getatt,
)

Verdict = Literal["fail", "pass", "error"]
Assembly = dict[str, dict[str, Any]]

PARTITION, ACCOUNT = {"Ref": "AWS::Partition"}, {"Ref": "AWS::AccountId"}
#: The words each new rule's message must hold: its fix.
FIX_WORDS = {
    "P16": "pass no credentials",
    "P17": "declare_control_plane_reach",
    "P18": "lambda.amazonaws.com",
    "P19": "write the resources out",
}


@dataclass(frozen=True)
class Case:
    id: str
    klass: str
    apply: Callable[[TemplateBuilder], Assembly | None]
    verdict: Verdict
    code: str = ""
    function: str = NOTES_FUNCTION
    resource: str | None = None
    mentions: tuple[str, ...] = ()


CASES: list[Case] = []


def case(
    klass: str,
    id: str,
    verdict: Verdict,
    code: str = "",
    *,
    function: str = NOTES_FUNCTION,
    resource: str | None = None,
    mentions: tuple[str, ...] = (),
) -> Callable[[Callable[[TemplateBuilder], Any]], Callable[[TemplateBuilder], Any]]:
    def register(apply: Callable[[TemplateBuilder], Any]) -> Callable[[TemplateBuilder], Any]:
        CASES.append(Case(f"{klass}:{id}", klass, apply, verdict, code, function, resource, mentions))
        return apply

    return register


def add(b: TemplateBuilder, logical_id: str, resource_type: str, **properties: Any) -> None:
    b.resources[logical_id] = {"Type": resource_type, "Properties": properties}


def role_named(b: TemplateBuilder, role: str, name: Any) -> None:
    b.resources[role]["Properties"]["RoleName"] = name


def control_plane(b: TemplateBuilder, function: str, actions: list[str], resources: list[str], reason: str) -> None:
    b.perimeter(function)["control_plane"] = [{"actions": actions, "resources": resources, "reason": reason}]


# == 1. control-plane reach through the function's role (P17) =====================================

#: Ways of writing the ARN of the function's own role.
_OWN_ROLE: dict[str, Callable[[TemplateBuilder], Any]] = {
    "Fn::GetAtt Arn": lambda b: getatt(NOTES_ROLE),
    "Fn::Sub with the role": lambda b: {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${NotesRoleDDDD}"
    },
    "Fn::Join with Ref role": lambda b: {
        "Fn::Join": ["", ["arn:", PARTITION, ":iam::", ACCOUNT, ":role/", {"Ref": NOTES_ROLE}]]
    },
    "literal ARN of its RoleName": lambda b: (
        role_named(b, NOTES_ROLE, "notes-role"),
        "arn:aws:iam::123456789012:role/notes-role",
    )[1],
}

#: Actions on a role that rewrite its permissions or its trust (or hand it to other compute).
_ROLE_ACTIONS = (
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PassRole",
    "iam:TagRole",
)


def _own_role_case(action: str, spelling: str) -> None:
    def apply(b: TemplateBuilder) -> None:
        b.allow(NOTES_POLICY, action, _OWN_ROLE[spelling](b))

    case("control-plane", f"{action} on its own role by {spelling}", "fail", "P17", mentions=("own role",))(apply)


for _action in _ROLE_ACTIONS:
    for _spelling in _OWN_ROLE:
        _own_role_case(_action, _spelling)

#: Action spellings that include iam:PutRolePolicy, on the function's own role.
_SPELLINGS: dict[str, dict[str, Any]] = {
    "Action *": {"Action": "*"},
    "Action iam:*": {"Action": "iam:*"},
    "Action iam:Put*": {"Action": "iam:Put*"},
    "Action iam:*RolePolicy": {"Action": "iam:*RolePolicy"},
    "Action iam:PutRole?olicy": {"Action": "iam:PutRole?olicy"},
    "Action in another case": {"Action": "IAM:putrolepolicy"},
    "NotAction s3:*": {"NotAction": "s3:*"},
    "NotAction of every other service": {"NotAction": ["s3:*", "dynamodb:*", "kms:*", "sqs:*", "logs:*"]},
}


def _spelling_case(label: str, fields: dict[str, Any]) -> None:
    def apply(b: TemplateBuilder) -> None:
        b.statements(NOTES_POLICY).append({"Effect": "Allow", "Resource": getatt(NOTES_ROLE), **fields})

    case("control-plane", f"{label} on its own role", "fail", "P17", resource=NOTES_ROLE, mentions=("own role",))(apply)


for _label, _fields in _SPELLINGS.items():
    _spelling_case(_label, _fields)


#: Every published method (all 59 of cloudsplaining 0.9.1's list), its actions granted on "*".
_METHODS: dict[str, list[str]] = {
    "CreateAccessKey": ["iam:CreateAccessKey"],
    "CreateLoginProfile": ["iam:CreateLoginProfile"],
    "UpdateLoginProfile": ["iam:UpdateLoginProfile"],
    "AddUserToGroup": ["iam:AddUserToGroup"],
    "CreateNewPolicyVersion": ["iam:CreatePolicyVersion"],
    "SetExistingDefaultPolicyVersion": ["iam:SetDefaultPolicyVersion"],
    "AttachUserPolicy": ["iam:AttachUserPolicy"],
    "AttachGroupPolicy": ["iam:AttachGroupPolicy"],
    "AttachRolePolicy": ["iam:AttachRolePolicy"],
    "PutUserPolicy": ["iam:PutUserPolicy"],
    "PutGroupPolicy": ["iam:PutGroupPolicy"],
    "PutRolePolicy": ["iam:PutRolePolicy"],
    "UpdateRolePolicyToAssumeIt": ["iam:UpdateAssumeRolePolicy"],
    "CreateEC2WithExistingIP": ["iam:PassRole", "ec2:RunInstances"],
    "PassExistingRoleToNewLambdaThenInvoke": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo": [
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
    ],
    "PassExistingRoleToNewGlueDevEndpoint": ["iam:PassRole", "glue:CreateDevEndpoint"],
    "PassExistingRoleToCloudFormation": ["iam:PassRole", "cloudformation:CreateStack"],
    "PassExistingRoleToNewDataPipeline": ["iam:PassRole", "datapipeline:CreatePipeline"],
    "UpdateExistingGlueDevEndpoint": ["glue:UpdateDevEndpoint"],
    "EditExistingLambdaFunctionWithRole": ["lambda:UpdateFunctionCode"],
    "ExecuteCloudFormationChangeSet": ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],
    "ModifyEC2InstanceUserDataThenRestart": [
        "ec2:ModifyInstanceAttribute",
        "ec2:StopInstances",
        "ec2:StartInstances",
    ],
    "ModifyExistingEC2LaunchTemplate": ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
    "EC2InstanceConnectSendSSHPublicKey": ["ec2-instance-connect:SendSSHPublicKey", "ec2:DescribeInstances"],
    "ECSExecuteCommandOnRunningTask": ["ecs:ExecuteCommand", "ecs:DescribeTasks"],
    "UpdateLambdaFunctionAndAddPermission": ["lambda:UpdateFunctionCode", "lambda:AddPermission"],
    "CreatePresignedSageMakerNotebookUrl": ["sagemaker:CreatePresignedNotebookInstanceUrl"],
    "PassExistingRoleToNewAppRunnerService": ["iam:PassRole", "apprunner:CreateService"],
    "PassExistingRoleToNewCloudFormationStackSet": [
        "iam:PassRole",
        "cloudformation:CreateStackSet",
        "cloudformation:CreateStackInstances",
    ],
    "PassExistingRoleToNewCodeBuildProjectThenBuild": [
        "iam:PassRole",
        "codebuild:CreateProject",
        "codebuild:StartBuild",
    ],
    "PassExistingRoleToNewEC2SpotInstance": ["iam:PassRole", "ec2:RequestSpotInstances"],
    "PassExistingRoleToNewECSTaskViaRunTask": ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
    "PassExistingRoleToNewGlueJobThenRun": ["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
    "PassExistingRoleToNewSageMakerTrainingJob": ["iam:PassRole", "sagemaker:CreateTrainingJob"],
    "CreatePolicyVersionThenAssumeRole": ["iam:CreatePolicyVersion", "sts:AssumeRole"],
    "PutRolePolicyThenUpdateAssumeRolePolicy": ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"],
    # the other methods of the list, as cloudsplaining writes them (lower case)
    "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo": [
        "iam:passrole",
        "lambda:createfunction",
        "lambda:createeventsourcemapping",
        "dynamodb:createtable",
        "dynamodb:putitem",
    ],
    "AccessExistingBedrockCodeInterpreterSession": [
        "bedrock-agentcore:startcodeinterpretersession",
        "bedrock-agentcore:invokecodeinterpreter",
    ],
    "UpdateAndInvokeLambdaFunction": ["lambda:updatefunctioncode", "lambda:invokefunction"],
    "UpdateSageMakerNotebookLifecycleConfig": [
        "sagemaker:createnotebookinstancelifecycleconfig",
        "sagemaker:stopnotebookinstance",
        "sagemaker:updatenotebookinstance",
        "sagemaker:startnotebookinstance",
    ],
    "PassExistingRoleToNewBedrockCodeInterpreter": [
        "iam:passrole",
        "bedrock-agentcore:createcodeinterpreter",
        "bedrock-agentcore:startcodeinterpretersession",
        "bedrock-agentcore:invokecodeinterpreter",
    ],
    "PassRoleToUpdateCloudFormationStackSet": ["iam:passrole", "cloudformation:updatestackset"],
    "PassExistingRoleToNewCodeBuildProjectThenBuildBatch": [
        "iam:passrole",
        "codebuild:createproject",
        "codebuild:startbuildbatch",
    ],
    "PassExistingRoleToNewECSClusterServiceTask": [
        "iam:passrole",
        "ecs:createcluster",
        "ecs:registertaskdefinition",
        "ecs:createservice",
    ],
    "PassExistingRoleToNewECSClusterRunTask": [
        "iam:passrole",
        "ecs:createcluster",
        "ecs:registertaskdefinition",
        "ecs:runtask",
    ],
    "PassExistingRoleToNewECSService": ["iam:passrole", "ecs:registertaskdefinition", "ecs:createservice"],
    "PassExistingRoleToNewECSTaskViaStartTask": ["iam:passrole", "ecs:registertaskdefinition", "ecs:starttask"],
    "PassExistingRoleToNewGlueJobViaTrigger": ["iam:passrole", "glue:createjob", "glue:createtrigger"],
    "PassExistingRoleToUpdatedGlueJobThenRun": ["iam:passrole", "glue:updatejob", "glue:startjobrun"],
    "PassExistingRoleToUpdatedGlueJobViaTrigger": ["iam:passrole", "glue:updatejob", "glue:createtrigger"],
    "PassExistingRoleToNewLambdaThenAddPermission": ["iam:passrole", "lambda:createfunction", "lambda:addpermission"],
    "PassExistingRoleToNewSageMakerNotebookInstance": ["iam:passrole", "sagemaker:createnotebookinstance"],
    "PassExistingRoleToNewSageMakerProcessingJob": ["iam:passrole", "sagemaker:createprocessingjob"],
    "CreateAndRotateAccessKey": ["iam:createaccesskey", "iam:deleteaccesskey"],
    "AttachUserPolicyThenCreateAccessKey": ["iam:attachuserpolicy", "iam:createaccesskey"],
    "PutUserPolicyThenCreateAccessKey": ["iam:putuserpolicy", "iam:createaccesskey"],
    "AttachRolePolicyThenUpdateAssumeRolePolicy": ["iam:attachrolepolicy", "iam:updateassumerolepolicy"],
    "CreatePolicyVersionThenUpdateAssumeRolePolicy": ["iam:createpolicyversion", "iam:updateassumerolepolicy"],
}


def _method_case(method: str, actions: list[str]) -> None:
    def apply(b: TemplateBuilder) -> None:
        b.allow(NOTES_POLICY, actions, "*")

    case("control-plane", f"method {method} on *", "fail", "P17", resource="*", mentions=(method,))(apply)


for _method, _actions in _METHODS.items():
    _method_case(_method, _actions)

#: Other control-plane actions, each on another function's resources (not a method by itself).
_ON_OTHERS: dict[str, tuple[str, Callable[[TemplateBuilder], Any]]] = {
    "sts:AssumeRole on another role": ("sts:AssumeRole", lambda b: getatt(FILES_ROLE)),
    "lambda:UpdateFunctionConfiguration on another function": (
        "lambda:UpdateFunctionConfiguration",
        lambda b: getatt(FILES_FUNCTION),
    ),
    "lambda:AddPermission on another function": ("lambda:AddPermission", lambda b: getatt(FILES_FUNCTION)),
    "ssm:SendCommand on any instance": ("ssm:SendCommand", lambda b: "arn:aws:ec2:*:*:instance/*"),
    "ssm:StartSession on an instance": (
        "ssm:StartSession",
        lambda b: "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
    ),
    "codestar:CreateProject": ("codestar:CreateProject", lambda b: "*"),
    "s3:PutBucketPolicy on the shared bucket": ("s3:PutBucketPolicy", lambda b: getatt(BUCKET)),
    "kms:PutKeyPolicy on another key": ("kms:PutKeyPolicy", lambda b: getatt("FilesKey1111")),
    "iam:CreateRole": ("iam:CreateRole", lambda b: "*"),
}


def _other_case(label: str, action: str, target: Callable[[TemplateBuilder], Any]) -> None:
    def apply(b: TemplateBuilder) -> None:
        b.allow(NOTES_POLICY, action, target(b))

    case("control-plane", label, "fail", "P17")(apply)


for _label, (_action, _target) in _ON_OTHERS.items():
    _other_case(_label, _action, _target)


@case("control-plane", "lambda:UpdateFunctionCode on its own code", "fail", "P17", mentions=("function itself",))
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionCode", getatt(NOTES_FUNCTION))


@case(
    "control-plane",
    "PutRolePolicy on every role of the account",
    "fail",
    "P17",
    mentions=("includes the function's own role",),
)
def _(b: TemplateBuilder) -> None:
    b.allow(NOTES_POLICY, "iam:PutRolePolicy", {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"})


@case(
    "control-plane",
    "UpdateFunctionCode on every function of the account",
    "fail",
    "P17",
    mentions=("includes the function itself",),
)
def _(b: TemplateBuilder) -> None:
    b.allow(
        NOTES_POLICY,
        "lambda:UpdateFunctionCode",
        {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*"},
    )


@case("control-plane", "PassRole on its own role through the bucket policy", "fail", "P17")
def _(b: TemplateBuilder) -> None:
    b.statements(BUCKET_POLICY).append(
        {"Effect": "Allow", "Action": "iam:PassRole", "Principal": {"AWS": getatt(NOTES_ROLE)}, "Resource": "*"}
    )


@case("control-plane", "CreatePolicyVersion on a managed policy attached to its own role", "fail", "P17")
def _(b: TemplateBuilder) -> None:
    add(
        b,
        "Managed0001",
        "AWS::IAM::ManagedPolicy",
        Roles=[{"Ref": NOTES_ROLE}],
        PolicyDocument={"Statement": [{"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"}]},
    )
    b.allow(NOTES_POLICY, "iam:CreatePolicyVersion", {"Ref": "Managed0001"})


@case(
    "control-plane",
    "declared: UpdateFunctionConfiguration on another function, exactly",
    "pass",
)
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["lambda:UpdateFunctionConfiguration"], [FILES_FUNCTION], "rotates its settings")
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionConfiguration", getatt(FILES_FUNCTION))


@case("control-plane", "declared on its own role: never", "fail", "P17", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["iam:PutRolePolicy"], [NOTES_ROLE], "self-service")
    b.allow(NOTES_POLICY, "iam:PutRolePolicy", getatt(NOTES_ROLE))


@case("control-plane", "declared on its own role is invalid metadata", "fail", "P02")
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["iam:PutRolePolicy"], [NOTES_ROLE], "self-service")
    b.allow(NOTES_POLICY, "iam:PutRolePolicy", getatt(NOTES_ROLE))


@case("control-plane", "declared on its own code: never", "fail", "P17", resource=NOTES_FUNCTION)
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["lambda:UpdateFunctionCode"], [NOTES_FUNCTION], "self-update")
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionCode", getatt(NOTES_FUNCTION))


@case("control-plane", "declared on one function, granted on *", "fail", "P17", resource="*")
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["lambda:UpdateFunctionConfiguration"], [FILES_FUNCTION], "rotates settings")
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionConfiguration", "*")


@case("control-plane", "declared as a pattern is invalid", "fail", "P02")
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["lambda:Update*"], [FILES_FUNCTION], "rotates settings")
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionConfiguration", getatt(FILES_FUNCTION))


@case("control-plane", "declared without a reason excuses nothing", "fail", "P17")
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["lambda:UpdateFunctionConfiguration"], [FILES_FUNCTION], " ")
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionConfiguration", getatt(FILES_FUNCTION))


@case("control-plane", "declared on one action, another granted", "fail", "P17")
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["lambda:UpdateFunctionConfiguration"], [FILES_FUNCTION], "rotates settings")
    b.allow(NOTES_POLICY, "lambda:UpdateFunctionCode", getatt(FILES_FUNCTION))


@case("control-plane", "declared AssumeRole of another role borrows its reach", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    control_plane(b, NOTES_FUNCTION, ["sts:AssumeRole"], [FILES_ROLE], "reads the files service's state for reports")
    b.allow(NOTES_POLICY, "sts:AssumeRole", getatt(FILES_ROLE))


@case(
    "control-plane", "another role's trust names the role: its reach is borrowed", "fail", "P07", resource=FILES_TABLE
)
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": getatt(NOTES_ROLE)}}
    )


@case(
    "control-plane",
    "AssumeRole through a middle role borrows the last role's reach",
    "fail",
    "P07",
    resource=FILES_TABLE,
)
def _(b: TemplateBuilder) -> None:
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": getatt(NOTES_ROLE)}}]}
    hop = {"Statement": [{"Effect": "Allow", "Action": "sts:Assume*", "Resource": getatt(FILES_ROLE)}]}
    add(
        b,
        "Middle0001",
        "AWS::IAM::Role",
        AssumeRolePolicyDocument=trust,
        Policies=[{"PolicyName": "hop", "PolicyDocument": hop}],
    )
    control_plane(b, NOTES_FUNCTION, ["sts:AssumeRole"], ["Middle0001"], "hands work to the middle role on purpose")
    b.allow(NOTES_POLICY, "sts:AssumeRole", getatt("Middle0001"))


# == 2. trust wider than the function (P18) =========================================================

_TRUSTED: dict[str, tuple[str, Any]] = {
    "CDK AccountRootPrincipal (Fn::Join)": (
        "AWS",
        {"Fn::Join": ["", ["arn:", PARTITION, ":iam::", ACCOUNT, ":root"]]},
    ),
    "Ref AWS::AccountId": ("AWS", ACCOUNT),
    "Fn::Sub ...:root": ("AWS", {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}),
    "a bare account id": ("AWS", "123456789012"),
    "another account's root ARN": ("AWS", "arn:aws:iam::999999999999:root"),
    "another function's role": ("AWS", getatt(FILES_ROLE)),
    "a role ARN outside the assembly": ("AWS", "arn:aws:iam::123456789012:role/admin"),
    "AWS *": ("AWS", "*"),
    "another service": ("Service", "ecs-tasks.amazonaws.com"),
    "a second service in a list": ("Service", ["lambda.amazonaws.com", "states.amazonaws.com"]),
    "a federated principal": ("Federated", "cognito-identity.amazonaws.com"),
    "a SAML provider": ("Federated", "arn:aws:iam::123456789012:saml-provider/corp"),
    "a canonical user": ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
}


def _trust_case(label: str, kind: str, principal: Any) -> None:
    def apply(b: TemplateBuilder) -> None:
        b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {kind: copy.deepcopy(principal)}}
        )

    case("trust", f"trusts {label}", "fail", "P18", resource=NOTES_ROLE, mentions=("AssumeRolePolicyDocument",))(apply)


for _label, (_kind, _principal) in _TRUSTED.items():
    _trust_case(_label, _kind, _principal)


@case("trust", "Principal * string", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}
    )


@case("trust", "NotPrincipal", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": getatt(FILES_ROLE)}}
    )


@case("trust", "account root in an Fn::If branch of the principal", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Fn::If": ["C", {"Service": "lambda.amazonaws.com"}, {"AWS": ACCOUNT}]
    }


@case("trust", "account root through sts:TagSession only", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Principal": {"AWS": ACCOUNT}}
    )


@case("trust", "account root with a condition", "fail", "P18", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"AWS": ACCOUNT},
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "notes"}},
        }
    )


@case("trust", "the Lambda service through Fn::Sub URLSuffix", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Service": {"Fn::Sub": "lambda.${AWS::URLSuffix}"}
    }


@case("trust", "Lambda@Edge service too", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
    }


@case("trust", "a Deny for the account root adds no one", "pass")
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}
    )


# == 3. opaque template features (P19) ===============================================================

_INCLUDE = {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/snippet.yaml"}}}


def _opaque_case(label: str, resource: str, place: Callable[[TemplateBuilder], None], code: str = "P19") -> None:
    case("opaque", label, "fail", code, function=resource, resource=resource, mentions=("Fn::Transform",))(place)


_opaque_case(
    "Fn::Transform beside a role's properties",
    NOTES_ROLE,
    lambda b: b.resources[NOTES_ROLE]["Properties"].update(copy.deepcopy(_INCLUDE)),
)
_opaque_case(
    "Fn::Transform as the role's inline Policies",
    NOTES_ROLE,
    lambda b: b.resources[NOTES_ROLE]["Properties"].update({"Policies": [copy.deepcopy(_INCLUDE)]}),
)
_opaque_case(
    "Fn::Transform as a trust policy statement",
    NOTES_ROLE,
    lambda b: b.resources[NOTES_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        copy.deepcopy(_INCLUDE)
    ),
)
_opaque_case(
    "Fn::Transform in an IAM policy document",
    NOTES_POLICY,
    lambda b: b.resources[NOTES_POLICY]["Properties"].update({"PolicyDocument": copy.deepcopy(_INCLUDE)}),
)
_opaque_case(
    "Fn::Transform beside a function's properties",
    NOTES_FUNCTION,
    lambda b: b.resources[NOTES_FUNCTION]["Properties"].update(copy.deepcopy(_INCLUDE)),
)
_opaque_case(
    "Fn::Transform as a function's environment",
    NOTES_FUNCTION,
    lambda b: b.resources[NOTES_FUNCTION]["Properties"]["Environment"].update({"Variables": copy.deepcopy(_INCLUDE)}),
)
_opaque_case(
    "Fn::Transform in a bucket policy",
    BUCKET_POLICY,
    lambda b: b.resources[BUCKET_POLICY]["Properties"].update({"PolicyDocument": copy.deepcopy(_INCLUDE)}),
)
_opaque_case(
    "Fn::Transform beside a table's properties (its resource policy)",
    FILES_TABLE,
    lambda b: b.resources[FILES_TABLE]["Properties"].update(copy.deepcopy(_INCLUDE)),
)
_opaque_case(
    "Fn::Transform as a key policy statement",
    "FilesKey1111",
    lambda b: b.resources["FilesKey1111"]["Properties"]["KeyPolicy"]["Statement"].append(copy.deepcopy(_INCLUDE)),
)


def _runner_case(label: str, verdict: Verdict, make: Callable[[TemplateBuilder], Any]) -> None:
    case("opaque", label, verdict, "P19" if verdict == "fail" else "", function="Runner0001", resource="Runner0001")(
        make
    )


_runner_case(
    "a module",
    "fail",
    lambda b: add(b, "Runner0001", "MyOrg::Data::Bucket::MODULE", Name="x"),
)
_runner_case(
    "a StackSet handed a role",
    "fail",
    lambda b: add(
        b,
        "Runner0001",
        "AWS::CloudFormation::StackSet",
        StackSetName="s",
        PermissionModel="SELF_MANAGED",
        Parameters=[{"ParameterKey": "Role", "ParameterValue": getatt(NOTES_ROLE)}],
    ),
)
_runner_case(
    "a Service Catalog product handed a table",
    "fail",
    lambda b: add(
        b,
        "Runner0001",
        "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
        ProductName="p",
        ProvisioningParameters=[{"Key": "Table", "Value": {"Ref": FILES_TABLE}}],
    ),
)
_runner_case(
    "a private registry type handed a role",
    "fail",
    lambda b: add(b, "Runner0001", "MyOrg::IAM::Grant", RoleName={"Ref": NOTES_ROLE}, Action="s3:*"),
)
_runner_case(
    "a custom resource with a literal provider handed a role",
    "fail",
    lambda b: add(
        b,
        "Runner0001",
        "Custom::Grant",
        ServiceToken="arn:aws:lambda:us-east-1:123456789012:function:granter",
        Role={"Ref": NOTES_ROLE},
    ),
)


def _topic_served(b: TemplateBuilder) -> None:
    add(b, "Topic0001", "AWS::SNS::Topic")
    add(b, "Runner0001", "AWS::CloudFormation::CustomResource", ServiceToken={"Ref": "Topic0001"}, B={"Ref": BUCKET})


_runner_case("a custom resource served by a topic handed a bucket", "fail", _topic_served)
# Handed nothing, a StackSet is not opaque reach (no P19), but it can still move data by names the
# data-flow model cannot follow: it fails closed there (P14, 'Data flow' in docs/perimeter.md).
case("opaque", "a StackSet handed nothing", "fail", "P14", function="Runner0001", resource="Runner0001")(
    lambda b: add(b, "Runner0001", "AWS::CloudFormation::StackSet", StackSetName="s", PermissionModel="SELF_MANAGED")
)
_runner_case(
    "a custom resource served by a function of the template",
    "pass",
    lambda b: add(b, "Runner0001", "Custom::Seed", ServiceToken=getatt(FILES_FUNCTION), Table={"Ref": NOTES_TABLE}),
)


@case("opaque", "an external custom resource handed an imported role", "fail", "P19", function="Runner0001")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    other["Outputs"] = {"R": {"Value": getatt(NOTES_ROLE), "Export": {"Name": "other-notes-role"}}}
    add(
        b,
        "Runner0001",
        "Custom::Grant",
        ServiceToken="arn:aws:sns:us-east-1:1:t",
        R={"Fn::ImportValue": "other-notes-role"},
    )
    return {"stack": b.template, "other": other}


@case("opaque", "a custom resource served by another stack's function", "pass")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    other["Outputs"] = {"F": {"Value": getatt(FILES_FUNCTION), "Export": {"Name": "seeder"}}}
    add(b, "Runner0001", "Custom::Seed", ServiceToken={"Fn::ImportValue": "seeder"}, Table={"Ref": NOTES_TABLE})
    return {"stack": b.template, "other": other}


# == 4. computed names ================================================================================


def _extra_role_policy(b: TemplateBuilder, role_name: Any) -> None:
    grant = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
    add(
        b,
        "Extra0001",
        "AWS::IAM::RolePolicy",
        RoleName=role_name,
        PolicyName="x",
        PolicyDocument={"Statement": [grant]},
    )


_COMPUTED: dict[str, Callable[[TemplateBuilder], Any]] = {
    "Fn::Join of literals": lambda b: {"Fn::Join": ["-", ["notes", "role"]]},
    "Fn::Sub with a literal variable": lambda b: {"Fn::Sub": ["notes-${Kind}", {"Kind": "role"}]},
    "Fn::FindInMap with literal keys": lambda b: (
        b.template.setdefault("Mappings", {}).update({"Names": {"Roles": {"Notes": "notes-role"}}}),
        {"Fn::FindInMap": ["Names", "Roles", "Notes"]},
    )[1],
    "Fn::If of two literals": lambda b: {"Fn::If": ["C", "notes-blue", "notes-role"]},
    "Fn::Select of a literal list": lambda b: {"Fn::Select": [1, ["x", "notes-role"]]},
    "Fn::Join of Fn::Split of a literal": lambda b: {"Fn::Join": ["-", {"Fn::Split": [",", "notes,role"]}]},
    "a parameter with a default (may be overridden)": lambda b: (
        b.template.setdefault("Parameters", {}).update({"NotesRoleName": {"Type": "String", "Default": "notes-role"}}),
        {"Ref": "NotesRoleName"},
    )[1],
    "the stack name": lambda b: {"Fn::Sub": "${AWS::StackName}-role"},
}


def _computed_case(label: str, make: Callable[[TemplateBuilder], Any]) -> None:
    def role_policy(b: TemplateBuilder) -> None:
        role_named(b, NOTES_ROLE, make(b))
        _extra_role_policy(b, "notes-role")

    def iam_policy(b: TemplateBuilder) -> None:
        role_named(b, NOTES_ROLE, make(b))
        grant = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
        add(
            b,
            "Extra0001",
            "AWS::IAM::Policy",
            Roles=["notes-role"],
            PolicyName="x",
            PolicyDocument={"Statement": [grant]},
        )

    def bucket_principal(b: TemplateBuilder) -> None:
        role_named(b, NOTES_ROLE, make(b))
        b.statements(BUCKET_POLICY).append(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/notes-role"},
                "Resource": {"Fn::Join": ["", [getatt(BUCKET), "/files/*"]]},
            }
        )

    case("computed-name", f"RoleName {label}, RolePolicy by the literal name", "fail", "P07")(role_policy)
    case("computed-name", f"RoleName {label}, IAM Policy Roles by the literal name", "fail", "P07")(iam_policy)
    case("computed-name", f"RoleName {label}, bucket policy principal by the literal ARN", "fail", "P10")(
        bucket_principal
    )


for _label, _make in _COMPUTED.items():
    _computed_case(_label, _make)


@case("computed-name", "folded RoleName, a policy for another literal name attaches to nothing here", "pass")
def _(b: TemplateBuilder) -> None:
    role_named(b, NOTES_ROLE, {"Fn::Join": ["-", ["notes", "role"]]})
    _extra_role_policy(b, "billing-role")


@case("computed-name", "computed FunctionName, UpdateFunctionCode by the literal ARN", "fail", "P17")
def _(b: TemplateBuilder) -> None:
    b.resources[FILES_FUNCTION]["Properties"]["FunctionName"] = {"Fn::Join": ["-", ["files", "fn"]]}
    b.allow(
        NOTES_POLICY,
        "lambda:UpdateFunctionCode",
        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:files-fn"},
    )


@case("computed-name", "dangling Ref in the template's Conditions", "error")
def _(b: TemplateBuilder) -> None:
    b.template["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}


@case("computed-name", "Ref to a resource in the template's Conditions", "error")
def _(b: TemplateBuilder) -> None:
    b.template["Conditions"] = {"HasTable": {"Fn::Not": [{"Fn::Equals": [{"Ref": NOTES_TABLE}, ""]}]}}


@case("computed-name", "dangling Ref in a statement's Condition", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(
        NOTES_POLICY,
        "dynamodb:GetItem",
        getatt(NOTES_TABLE),
        Condition={"StringEquals": {"aws:SourceVpc": {"Ref": "Vpc"}}},
    )


@case("computed-name", "dangling Fn::Sub in a statement's Condition", "error")
def _(b: TemplateBuilder) -> None:
    b.allow(
        NOTES_POLICY,
        "dynamodb:GetItem",
        getatt(NOTES_TABLE),
        Condition={"ArnEquals": {"aws:SourceArn": {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Q}"}}},
    )


@case("computed-name", "Conditions naming a parameter and a pseudo parameter", "pass")
def _(b: TemplateBuilder) -> None:
    b.template.setdefault("Parameters", {})["Stage"] = {"Type": "String", "Default": "dev"}
    b.template["Conditions"] = {
        "IsProd": {
            "Fn::And": [{"Fn::Equals": [{"Ref": "Stage"}, "prod"]}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "x"]}]
        }
    }


# == 5. credentials handed to a function ==============================================================

_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def _env(b: TemplateBuilder, name: str, value: Any, function: str = NOTES_FUNCTION) -> None:
    b.resources[function]["Properties"]["Environment"]["Variables"][name] = value


def _user_with_key(b: TemplateBuilder, statement: dict[str, Any] | None = None, *, via: str = "inline") -> None:
    """An IAM user (its reach: GetItem on the files table, or ``statement``) and an access key of it."""
    grant = statement or {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getatt(FILES_TABLE)}
    document = {"Statement": [grant]}
    if via == "inline":
        add(b, "User0001", "AWS::IAM::User", Policies=[{"PolicyName": "p", "PolicyDocument": document}])
    elif via == "policy":
        add(b, "User0001", "AWS::IAM::User")
        add(
            b,
            "UserPolicy0001",
            "AWS::IAM::Policy",
            PolicyName="p",
            Users=[{"Ref": "User0001"}],
            PolicyDocument=document,
        )
    elif via == "group":
        add(b, "Group0001", "AWS::IAM::Group", Policies=[{"PolicyName": "p", "PolicyDocument": document}])
        add(b, "User0001", "AWS::IAM::User", Groups=[{"Ref": "Group0001"}])
    elif via == "group addition":
        add(b, "Group0001", "AWS::IAM::Group")
        add(b, "User0001", "AWS::IAM::User")
        add(
            b,
            "Addition0001",
            "AWS::IAM::UserToGroupAddition",
            GroupName={"Ref": "Group0001"},
            Users=[{"Ref": "User0001"}],
        )
        add(
            b,
            "GroupPolicy0001",
            "AWS::IAM::Policy",
            PolicyName="p",
            Groups=[{"Ref": "Group0001"}],
            PolicyDocument=document,
        )
    add(b, "Key0001", "AWS::IAM::AccessKey", UserName={"Ref": "User0001"})


@case("credentials", "a key id from Mappings with literal keys", "fail", "P16", mentions=("Environment.CONFIG",))
def _(b: TemplateBuilder) -> None:
    b.template["Mappings"] = {"Cfg": {"prod": {"id": _KEY_ID}}}
    _env(b, "CONFIG", {"Fn::FindInMap": ["Cfg", "prod", "id"]})


@case("credentials", "a key id from Mappings with a parameter key", "fail", "P16", mentions=("mapping Cfg",))
def _(b: TemplateBuilder) -> None:
    b.template["Mappings"] = {"Cfg": {"prod": {"id": _KEY_ID}, "dev": {"id": "none"}}}
    b.template.setdefault("Parameters", {})["Stage"] = {"Type": "String", "Default": "dev"}
    _env(b, "CONFIG", {"Fn::FindInMap": ["Cfg", {"Ref": "Stage"}, "id"]})


@case("credentials", "a key id as a parameter default", "fail", "P16", mentions=("parameter Upstream",))
def _(b: TemplateBuilder) -> None:
    b.template.setdefault("Parameters", {})["Upstream"] = {"Type": "String", "Default": _KEY_ID}
    _env(b, "UPSTREAM", {"Ref": "Upstream"})


@case("credentials", "a key id inside Fn::Sub with a parameter default", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    b.template.setdefault("Parameters", {})["Upstream"] = {"Type": "String", "Default": _KEY_ID}
    _env(b, "UPSTREAM", {"Fn::Sub": "id=${Upstream}"})


@case("credentials", "a key id in an Fn::If branch", "fail", "P16")
def _(b: TemplateBuilder) -> None:
    _env(b, "UPSTREAM", {"Fn::If": ["C", "none", _KEY_ID]})


@case("credentials", "a key id in inline code", "fail", "P16", mentions=("Code.ZipFile",))
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {"ZipFile": f"KEY = '{_KEY_ID}'\ndef handler(e, c): pass\n"}


@case("credentials", "a key id in inline code built with Fn::Join", "fail", "P16", mentions=("Code.ZipFile",))
def _(b: TemplateBuilder) -> None:
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {
        "ZipFile": {"Fn::Join": ["\n", ["import os", f"K='{_KEY_ID}'"]]}
    }


@case(
    "credentials",
    "an in-template key in an Fn::If branch: its user's reach counts",
    "fail",
    "P07",
    resource=FILES_TABLE,
)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
    _env(b, "UPSTREAM", {"Fn::If": ["C", "none", {"Ref": "Key0001"}]})


@case(
    "credentials", "SecretAccessKey of an in-template key: its user's reach counts", "fail", "P07", resource=FILES_TABLE
)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
    _env(b, "UPSTREAM_SECRET", getatt("Key0001", "SecretAccessKey"))


@case("credentials", "the key's user may rewrite the function's role", "fail", "P17", resource=NOTES_ROLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": getatt(NOTES_ROLE)})
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "the user's reach through an IAM Policy naming it", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, via="policy")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "the user's reach through its group", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, via="group")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "the user's reach through a group addition", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b, via="group addition")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "an in-template key in inline code (Fn::Sub)", "fail", "P07", resource=FILES_TABLE)
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
    b.resources[NOTES_FUNCTION]["Properties"]["Code"] = {
        "ZipFile": {"Fn::Sub": "ID='${Key0001}'\nSECRET='${Key0001.SecretAccessKey}'\n"}
    }


@case("credentials", "another stack's key through Fn::ImportValue", "fail", "P16", mentions=("other/Key0001",))
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    helper = TemplateBuilder()
    helper.template = other
    _user_with_key(helper)
    other["Outputs"] = {"K": {"Value": {"Ref": "Key0001"}, "Export": {"Name": "ci-key"}}}
    _env(b, "K", {"Fn::ImportValue": "ci-key"})
    return {"stack": b.template, "other": other}


@case("credentials", "another stack's key: its user's reach counts", "fail", "P07", resource="other/FilesTable2222")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    helper = TemplateBuilder()
    helper.template = other
    _user_with_key(helper)
    other["Outputs"] = {"K": {"Value": getatt("Key0001", "SecretAccessKey"), "Export": {"Name": "ci-secret"}}}
    _env(b, "K", {"Fn::ImportValue": "ci-secret"})
    return {"stack": b.template, "other": other}


@case("credentials", "another stack's literal key id through Fn::ImportValue", "fail", "P16")
def _(b: TemplateBuilder) -> Assembly:
    other = copy.deepcopy(TemplateBuilder().template)
    other["Outputs"] = {"K": {"Value": _KEY_ID, "Export": {"Name": "ci-key-id"}}}
    _env(b, "K", {"Fn::ImportValue": "ci-key-id"})
    return {"stack": b.template, "other": other}


@case("credentials", "a key whose user is outside the assembly", "fail", "P16", mentions=("not in the assembly",))
def _(b: TemplateBuilder) -> None:
    add(b, "Key0001", "AWS::IAM::AccessKey", UserName="ci-user")
    _env(b, "K", {"Ref": "Key0001"})


@case("credentials", "an in-template user that no function holds a key of", "pass")
def _(b: TemplateBuilder) -> None:
    _user_with_key(b)
