"""Start the reference handlers with the environment the synthesized template gives them.

What a deployment does at cold start: import ``lambdas/<service>/app.py`` with the function's
environment variables. References to resources (``Ref``/``Fn::GetAtt``) become well-formed
stand-in names; boto3 clients are created inside moto, so nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "lambdas"
COMMON_LAYER = LAMBDAS / "common" / "python"

#: A stand-in physical name per resource type, in the form the handlers validate.
_STAND_INS = {
    "AWS::DynamoDB::Table": "stand-in-table",
    "AWS::S3::Bucket": "stand-in-bucket",
    "AWS::Cognito::UserPool": "eu-west-1_StandIn0",
}
_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def _value(template: Mapping[str, Any], value: Any) -> str:
    if isinstance(value, str):
        return value
    reference = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
    resource_type = template["Resources"][reference]["Type"]
    return _STAND_INS[resource_type]


def function_environments(template: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Logical id of each reference function -> its environment, tokens replaced by stand-ins."""
    found: dict[str, dict[str, str]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        found[logical_id] = {name: _value(template, value) for name, value in variables.items()}
    return found


@contextmanager
def started_handler(environment: Mapping[str, str]) -> Iterator[ModuleType]:
    """Import the handler of the service named by POWERTOOLS_SERVICE_NAME with exactly ``environment``."""
    service = environment["POWERTOOLS_SERVICE_NAME"]
    saved = dict(os.environ)
    module_name = f"reference_{service}_app"
    os.environ.update({**_FAKE_AWS, **environment})
    for path in (str(COMMON_LAYER), str(LAMBDAS / service)):
        sys.path.insert(0, path)
    try:
        with mock_aws():
            spec = importlib.util.spec_from_file_location(module_name, LAMBDAS / service / "app.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module  # as an import does: a handler's dataclasses look it up
            spec.loader.exec_module(module)
            yield module
    finally:
        sys.path.remove(str(COMMON_LAYER))
        sys.path.remove(str(LAMBDAS / service))
        sys.modules.pop(module_name, None)
        os.environ.clear()
        os.environ.update(saved)


def handler_routes(module: ModuleType) -> set[tuple[str, str]]:
    """(method, path template) of every route the handler's resolver serves, as API Gateway writes paths."""
    app = module.app
    routes = app._static_routes + app._dynamic_routes  # Powertools keeps no public list of routes
    return {(route.method.upper(), route.path.replace("<", "{").replace(">", "}")) for route in routes}
