"""Class ``control-plane`` of issue 21's table: control-plane reach through the function's role (P17)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perimeter_support import (
    BUCKET,
    BUCKET_POLICY,
    FILES_FUNCTION,
    FILES_ROLE,
    FILES_TABLE,
    NOTES_FUNCTION,
    NOTES_POLICY,
    NOTES_ROLE,
    TemplateBuilder,
    getatt,
)

from .table import ACCOUNT, PARTITION, add, case, control_plane, role_named

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
