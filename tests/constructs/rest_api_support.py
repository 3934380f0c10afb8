"""What the SecureRestApi tests share: the inline handler, the notes routes, the reasons, and ``Built``
(one synthesized stack, read by construct) with ``synthesize``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from cdk_support import StackResources, new_app
from secure_serverless import SecureRestApi

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
NOTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200}},
    "required": ["title"],
    "additionalProperties": False,
}
OPEN_REASON = "Health probe of the uptime monitor; answers a constant and reads no user data."
NO_WAF_REASON = "Private test stage reached only from the CI runner's fixed IPs via a resource policy."
SHORT_LOGS_REASON = "Workshop sandbox torn down after each session; logs hold no production data."
ORIGINS = ["https://app.example.com", "https://admin.example.com"]
ROUTES_OF_THE_DEFAULT_API = {
    ("GET", "/notes"),
    ("POST", "/notes"),
    ("GET", "/notes/{noteId}"),
    ("PUT", "/notes/{noteId}"),
    ("DELETE", "/notes/{noteId}"),
}
ACK_KEY = "aws:cdk:acknowledged-rules"


# ---------------------------------------------------------------- synthesized once per module
class Built(StackResources):
    """One synthesized stack: its template, its metadata, and the constructs that made it."""

    def __init__(self, outdir: Path, stack: cdk.Stack, made: dict[str, Any]) -> None:
        self.made = made
        self.template: dict[str, Any] = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
        self.metadata: dict[str, Any] = json.loads((outdir / f"{stack.artifact_id}.metadata.json").read_text())
        super().__init__(stack, self.template["Resources"])

    def of_type(self, cfn_type: str, under: SecureRestApi | None = None) -> dict[str, dict[str, Any]]:
        """Resources of ``cfn_type``, only those inside ``under`` when given."""
        found = {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}
        if under is None:
            return found
        inside = {
            self.stack.get_logical_id(c)
            for c in under.node.find_all()
            if isinstance(c, cdk.CfnResource) and c.cfn_resource_type == cfn_type
        }
        return {k: v for k, v in found.items() if k in inside}

    def acknowledgments(self, construct: Any) -> dict[str, str]:
        """Rule id -> reason recorded on ``construct`` (an L2 is read at its default child too)."""
        paths = {f"/{construct.node.path}"}
        if construct.node.default_child is not None:
            paths.add(f"/{construct.node.default_child.node.path}")
        recorded: dict[str, str] = {}
        for path in paths:
            for entry in self.metadata.get(path, []):
                if entry["type"] == ACK_KEY:
                    recorded.update(entry["data"])
        return recorded

    def all_acknowledgments_under(self, construct: Any) -> dict[str, dict[str, str]]:
        prefix = f"/{construct.node.path}/"
        return {
            path: {k: v for e in entries if e["type"] == ACK_KEY for k, v in e["data"].items()}
            for path, entries in self.metadata.items()
            if path.startswith(prefix) and any(e["type"] == ACK_KEY for e in entries)
        }


def synthesize(outdir: Path, build: Callable[[cdk.Stack, dict[str, Any]], None]) -> Built:
    app = new_app(outdir=str(outdir))
    stack = cdk.Stack(app, "Test")
    made: dict[str, Any] = {}
    build(stack, made)
    app.synth()
    return Built(outdir, stack, made)


def handler(stack: cdk.Stack, construct_id: str = "Handler") -> lambda_.IFunction:
    return lambda_.Function(
        stack, construct_id, runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler", code=CODE
    )


def add_notes_routes(api: SecureRestApi, fn: lambda_.IFunction) -> None:
    api.add_route("GET", "/notes", fn, request_parameters={"method.request.querystring.limit": False})
    api.add_route("POST", "/notes", fn, request_schema=NOTE_SCHEMA)
    api.add_route("GET", "/notes/{noteId}", fn)
    api.add_route("PUT", "/notes/{noteId}", fn, request_schema=NOTE_SCHEMA)
    api.add_route("DELETE", "/notes/{noteId}", fn)
