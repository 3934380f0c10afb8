"""The benchmark's peer: the reference app's architecture built from AWS Solutions Constructs 2.105.

Cognito + API Gateway + Lambda + DynamoDB + S3, as the kit's reference app (stacks/notes_service.py):
three services (profiles, notes, files), each one Lambda function with its own DynamoDB table, the
files service also with an S3 bucket, behind one REST API whose methods a Cognito user pool
authorizes, with the same two cdk-nag packs registered (AwsSolutions, Serverless).

Runs only in the peer's own virtual environment (``bench/peer/requirements.txt``, built by
``bench.peer``): AWS Solutions Constructs 2.105 pins an aws-cdk-lib the kit cannot share. The
peer has open cdk-nag findings, so ``app.synth()`` raises ``ValidationFailed`` after every pack
has run and the templates and ``validation-report.json`` are written: that is the end of the
synth, as the kit's passing synth ends after the same packs. This process then prints one line
``PEER-RESULT {json}`` (resources, violations) and exits 0; any other error exits non-zero.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_solutions_constructs.aws_cognito_apigateway_lambda import CognitoToApiGatewayToLambda
from aws_solutions_constructs.aws_lambda_dynamodb import LambdaToDynamoDB
from aws_solutions_constructs.aws_lambda_s3 import LambdaToS3
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import Construct

HANDLER = Path(__file__).resolve().parent / "handler"
SERVICES = ("profiles", "notes", "files")
RESULT_PREFIX = "PEER-RESULT "


class PeerStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        functions: dict[str, lambda_.IFunction] = {}
        for name in SERVICES:
            service = LambdaToDynamoDB(
                self,
                f"{name.capitalize()}Service",
                lambda_function_props=lambda_.FunctionProps(
                    runtime=lambda_.Runtime.PYTHON_3_14,
                    handler="index.handler",
                    code=lambda_.Code.from_asset(str(HANDLER)),
                ),
            )
            functions[name] = service.lambda_function
        LambdaToS3(self, "FilesBucket", existing_lambda_obj=functions["files"])
        api = CognitoToApiGatewayToLambda(
            self,
            "Api",
            existing_lambda_obj=functions["profiles"],
            api_gateway_props={"proxy": False},
        )
        for name, function in functions.items():
            integration = apigateway.LambdaIntegration(function)
            collection = api.api_gateway.root.add_resource(name)
            collection.add_method("GET", integration)
            collection.add_method("POST", integration)
            item = collection.add_resource("{id}")
            for verb in ("GET", "PUT", "DELETE"):
                item.add_method(verb, integration)
        api.add_authorizers()  # after every method, as the construct requires


def main() -> int:
    app = cdk.App()
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    PeerStack(app, "PeerStack")
    started = time.perf_counter()
    try:
        app.synth()
        failed = False
    except RuntimeError as error:  # jsii raises JavaScript errors as RuntimeError
        if "ValidationFailed" not in str(error):
            raise
        failed = True
    outdir = Path(app.outdir)
    template = json.loads((outdir / "PeerStack.template.json").read_text())
    report = outdir / "validation-report.json"
    violations = 0
    if report.is_file():
        for plugin in json.loads(report.read_text()).get("pluginReports", []):
            violations += len(plugin.get("violations", []))
    result = {
        "resources": len(template.get("Resources", {})),
        "validation_failed": failed,
        "violations": violations,
        "synth_seconds": time.perf_counter() - started,
        "aws_cdk_lib": cdk.__version__ if hasattr(cdk, "__version__") else None,
        "outdir": os.fspath(outdir),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
