"""Request bodies: size limit, strict JSON parsing and JSON Schema validation.

The schemas are the same draft-04 files the CDK stack turns into API Gateway request models, so
the gateway and the handler enforce one contract (defense in depth). The size limit is the
contract's ``maxBodyBytes``, the same number the stack gives the WAF's body-size rule.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import fastjsonschema

from .contract import CONTRACT, JSON_SCHEMA_DRAFT, MAX_BODY_BYTES
from .errors import BadRequestError, PayloadTooLargeError

__all__ = ["DRAFT_04", "MAX_BODY_BYTES", "BodyValidator", "load_schema", "parse_json_body", "request_validators"]

DRAFT_04 = JSON_SCHEMA_DRAFT

BodyValidator = Callable[[Any], Any]


def load_schema(path: Path) -> BodyValidator:
    """Compile a draft-04 JSON Schema file once (at cold start)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(schema, dict) or schema.get("$schema") != DRAFT_04:
        raise ValueError(f"{path} must be a JSON Schema object declaring $schema {DRAFT_04!r}")
    validator: BodyValidator = fastjsonschema.compile(schema)
    return validator


def request_validators(service: str, folder: Path) -> dict[tuple[str, str], BodyValidator]:
    """(method, path) -> compiled request model of every route of ``service`` that has a body.

    Generated from the contract (contract.json), from the same schema files the stack turns into
    API Gateway models: ``folder`` is the function's own folder (``<folder>/schemas/<name>.json``).
    """
    return {
        (route.method, route.path): load_schema(folder / "schemas" / f"{route.schema}.json")
        for route in CONTRACT.routes_of(service)
        if route.schema is not None
    }


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(
    event: Mapping[str, Any], validator: BodyValidator, *, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """The validated JSON object of the event's body.

    413 when larger than `max_bytes`; 400 when absent, not JSON or not matching the schema.
    Error reasons name the schema rule and field, never the submitted value.
    """
    body = event.get("body")
    if not isinstance(body, str) or body == "":
        raise BadRequestError("missing body")
    if event.get("isBase64Encoded"):
        if len(body) > (max_bytes * 4) // 3 + 4:
            raise PayloadTooLargeError("body too large")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequestError("body is not valid base64") from None
    else:
        if len(body) > max_bytes:
            raise PayloadTooLargeError("body too large")
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > max_bytes:
        raise PayloadTooLargeError("body too large")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # ValueError covers UnicodeDecodeError and JSONDecodeError.
        raise BadRequestError("body is not valid JSON") from None
    try:
        # "\ud800" escapes decode to lone surrogates that no datastore can encode later.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise BadRequestError("body has invalid unicode") from None
    try:
        validator(data)
    except fastjsonschema.JsonSchemaValueException as error:
        raise BadRequestError(f"schema rule {error.rule!r} failed at {error.name}") from None
    if not isinstance(data, dict):
        raise BadRequestError("body is not a JSON object")
    return data
