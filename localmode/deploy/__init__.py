"""Deploy a synthesized CDK cloud assembly into the embedded emulator.

What happens, per stack, in dependency order:

1. every resource type of the template is looked up in ``HANDLING``, the explicit allow-list of
   what local mode does with it; an unknown type stops the deployment with a message naming it
   (fail closed: nothing is silently left out);
2. the stack's file assets are published as ``cdk deploy`` would: each asset folder zipped and
   uploaded to the bucket and key of its ``*.assets.json`` (``cdk-hnb659fds-assets-<account>-<region>``,
   created in the emulator);
3. the resources that moto's CloudFormation silently skips but other resources reference
   (the Cognito user pool, its client and groups) are created first through the service APIs,
   with the template's own properties (password policy, MFA, token validity, groups, ...);
4. the rest of the template goes to moto's CloudFormation, minus the types handled elsewhere;
   references to them are replaced by the values local mode created (pool id, stage name, ...);
5. what CloudFormation skipped and that depends on what it created (bucket, queue and topic
   policies, alarms, the WAF web ACL, its association and logging, the API Gateway account
   setting) is created through the service APIs, its intrinsics resolved against the stack;
6. every KMS key policy is put again (moto's CloudFormation stores it in a form that breaks
   ``DescribeKey``), and ``DescribeKey`` is checked.

The API Gateway parts that moto skips or cannot run (stage, authorizer, models, request
validator, gateway responses, the AWS_PROXY integration) are served by ``localmode.gateway``
from the synthesized template itself.

The package, one module per job: ``handling`` (the allow-list and its check), ``synth`` (app.py
into an assembly), ``assembly`` (reading it, publishing its assets), ``values`` (intrinsics),
``service_api`` (steps 3 and 5), ``repairs`` (step 6, CORS and IAM after CloudFormation) and
``stack`` (the order above, the deployed stack).
"""

from __future__ import annotations

from .assembly import Assembly, FileAsset, StackArtifact, load_assembly, publish_assets
from .handling import (
    CLOUDFORMATION,
    HANDLING,
    LOCAL_GATEWAY,
    NOTHING,
    SERVICE_API,
    DeployError,
    Handling,
    SynthError,
    UnsupportedResourceError,
    check_resource_types,
    no_op_resources,
)
from .stack import DeployedResource, DeployedStack, deploy_assembly, deploy_stack
from .synth import CLI_CONTEXT, synthesize
from .values import Values

__all__ = [
    "CLI_CONTEXT",
    "CLOUDFORMATION",
    "HANDLING",
    "LOCAL_GATEWAY",
    "NOTHING",
    "SERVICE_API",
    "Assembly",
    "DeployError",
    "DeployedResource",
    "DeployedStack",
    "FileAsset",
    "Handling",
    "StackArtifact",
    "SynthError",
    "UnsupportedResourceError",
    "Values",
    "check_resource_types",
    "deploy_assembly",
    "deploy_stack",
    "load_assembly",
    "no_op_resources",
    "publish_assets",
    "synthesize",
]
