"""A request as the local gateway sees it: the parsed form, routing over the resource tree,
and the request validator's two checks (required parameters, the body against its model)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import fastjsonschema

from .definition import ResourceNode, Route


def stable_id(text: str, length: int) -> str:
    """An id derived from a logical id (``apiId``, ``resourceId``), stable across runs."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def media_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def matches_media(media: str | None, patterns: Iterable[str]) -> bool:
    if media is None:
        return False
    major = media.split("/", 1)[0]
    return any(p in (media, "*/*", f"{major}/*") for p in patterns)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_query(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


@dataclass
class Request:
    """One request, and what the gateway learned about it on the way (for the event and the logs)."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    body: bytes
    source_ip: str
    started: float
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_id: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(10)).decode()[:14] + "=")
    trace_id: str = field(default_factory=lambda: f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}")
    oversized: bool = False
    route: Route | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)
    claims: dict[str, str] | None = None
    error_message: str | None = None
    error_type: str | None = None
    validation_error: str | None = None
    integration_status: int | None = None
    integration_error: str | None = None
    waf_code: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        found = [v for k, v in self.headers if k.lower() == wanted]
        return found[-1] if found else None


# ------------------------------------------------------------------ routing
def match_route(root: ResourceNode, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route of ``method`` on ``path`` (within the stage) and its path parameters; None: no route."""
    if not path.startswith("/"):
        return None
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    segments = [] if path == "/" else path[1:].split("/")
    if any(s == "" for s in segments):
        return None
    found = _find(root, segments, {})
    if found is None:
        return None
    node, parameters = found
    route = node.methods.get(method) or node.methods.get("ANY")
    return (route, parameters) if route is not None else None


def _find(
    node: ResourceNode, segments: list[str], parameters: dict[str, str]
) -> tuple[ResourceNode, dict[str, str]] | None:
    if not segments:
        return node, parameters
    head, rest = segments[0], segments[1:]
    child = node.literal.get(head)
    if child is not None:
        found = _find(child, rest, parameters)
        if found is not None:
            return found
    if node.parameter is not None:
        name, child = node.parameter
        found = _find(child, rest, {**parameters, name: head})
        if found is not None:
            return found
    if node.greedy is not None:
        name, child = node.greedy
        return child, {**parameters, name: "/".join(segments)}
    return None


# ------------------------------------------------------------------ validation
def missing_parameters(route: Route, request: Request) -> list[str]:
    missing: list[str] = []
    for key, required in route.request_parameters.items():
        if not required:
            continue
        where, _, name = key.removeprefix("method.request.").partition(".")
        if where == "path":
            value: str | None = request.path_parameters.get(name)
        elif where in ("querystring", "multivaluequerystring"):
            values = [v for k, v in request.query if k == name]
            value = values[-1] if values else None
        else:
            value = request.header(name)
        if value is None or not value.strip():
            missing.append(name)
    return missing


def body_problem(route: Route, request: Request) -> str | None:
    media = media_type(request.header("Content-Type")) or "application/json"
    model = route.models.get(media) or route.models.get("$default")
    if model is None:
        return None  # AWS validates a body only against the model of its content type
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return "[body is not valid JSON]"
    try:
        model.validate(data)
    except fastjsonschema.JsonSchemaValueException as error:
        return f"[{error.message}]"
    return None
