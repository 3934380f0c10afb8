"""Start the reference handlers with the environment the synthesized template gives them.

What a deployment does at cold start: import ``lambdas/<service>/app.py`` with the function's
environment variables. References to resources (``Ref``/``Fn::GetAtt``) become well-formed
stand-in names; boto3 clients are created inside moto, so nothing leaves the machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from handler_loader import LAMBDAS, load_handler
from moto import mock_aws

__all__ = ["LAMBDAS", "function_environments", "handler_routes", "started_handler"]

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
    try:
        with mock_aws():
            yield load_handler(service, module_name)
    finally:
        sys.modules.pop(module_name, None)
        os.environ.clear()
        os.environ.update(saved)


def handler_routes(module: ModuleType) -> set[tuple[str, str]]:
    """(method, path template) of every route the handler's resolver serves, as API Gateway writes paths."""
    app = module.app
    routes = app._static_routes + app._dynamic_routes  # Powertools keeps no public list of routes
    return {(route.method.upper(), route.path.replace("<", "{").replace(">", "}")) for route in routes}
