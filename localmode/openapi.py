"""The OpenAPI 3.0 document of a stack's REST API, exported from its synthesized template (issue 25).

Everything comes from the template the local gateway serves (``localmode.gateway.template.parse_template``):
the resource paths and methods, the path parameters, the query and header parameters the methods
declare (``RequestParameters``, required or not), and for a method with a request model its JSON
schema (the API Gateway model, draft-04, minus ``$schema``: OpenAPI 3.0's schema object is a
draft-04 dialect). Every method with a Cognito authorizer requires the ``cognito`` security
scheme: the ID token in the ``Authorization`` header. CORS preflights (MOCK OPTIONS methods) are
left out: they are not part of the API's contract.

    python -m localmode.openapi [--profile default] > openapi.json   # the reference app's document

The fuzzing test (``tests/localmode/test_fuzz_openapi.py``) runs schemathesis against local mode
with this document: no 5xx, and no 2xx for a request the models forbid.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from .gateway.definition import ApiDefinition
from .gateway.template import parse_template

__all__ = ["openapi_document"]

_PARAMETER = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\+?\}")
_LOCATIONS = {"querystring": "query", "multivaluequerystring": "query", "header": "header", "path": "path"}


def _schema(model_schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in model_schema.items() if key != "$schema"}


def _operation(route: Any) -> dict[str, Any]:
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for name in _PARAMETER.findall(route.resource_path):
        parameters[("path", name)] = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    for key, required in route.request_parameters.items():
        where, _, name = key.removeprefix("method.request.").partition(".")
        location = _LOCATIONS.get(where)
        if location is None or (location, name) in parameters:
            continue
        parameters[(location, name)] = {
            "name": name,
            "in": location,
            "required": bool(required) or location == "path",
            "schema": {"type": "string"},
        }
    operation: dict[str, Any] = {
        "operationId": f"{route.http_method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', route.resource_path)}".rstrip("_"),
        "responses": {"default": {"description": "the function's answer, or an API Gateway gateway response"}},
    }
    if parameters:
        operation["parameters"] = list(parameters.values())
    if route.models:
        operation["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": _schema(model.schema)}
                for media, model in sorted(route.models.items())
                if media != "$default"
            },
        }
    if route.authorizer is not None:
        operation["security"] = [{"cognito": list(route.scopes)}]
    return operation


def document_of(definition: ApiDefinition, *, title: str = "Secure Serverless Kit API") -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of a parsed REST API (see the module docstring)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(definition.routes, key=lambda r: (r.resource_path, r.http_method)):
        if route.mock is not None or route.http_method == "OPTIONS":
            continue
        paths.setdefault(route.resource_path, {})[route.http_method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": definition.stage.name,
            "description": "Exported from the synthesized template by localmode.openapi: routes, parameters "
            "and request models as API Gateway validates them.",
        },
        "servers": [{"url": f"/{definition.stage.name}"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cognito": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "A Cognito ID token of the stack's user pool (raw or after 'Bearer ').",
                }
            }
        },
    }


def openapi_document(template: Mapping[str, Any], stage_name: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of the REST API in a synthesized template."""
    return document_of(parse_template(template, stage_name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localmode.openapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="default", help="the reference app's profile (default: default)")
    parser.add_argument("--assembly", help="an existing cloud assembly (cdk.out) instead of a synth")
    args = parser.parse_args(argv)
    from pathlib import Path

    from .deploy import load_assembly

    if args.assembly:
        assembly = Path(args.assembly)
    else:
        import tempfile

        from .assembly_cache import cached_synthesize
        from .deploy import synthesize

        outdir = Path(tempfile.mkdtemp(prefix="openapi-")) / "cdk.out"
        assembly, _ = cached_synthesize(outdir, synthesize=synthesize, context={"profile": args.profile})
    for stack in load_assembly(assembly).stacks:
        template = json.loads(stack.template_path.read_text())
        if any(r.get("Type") == "AWS::ApiGateway::RestApi" for r in template.get("Resources", {}).values()):
            json.dump(openapi_document(template), sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
            return 0
    print(f"no REST API in the assembly {assembly}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
