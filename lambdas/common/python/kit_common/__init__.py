"""Shared code of the Secure Serverless Kit's reference functions (shipped as a Lambda layer).

Claims extraction, generic error responses, body parsing with JSON Schema validation,
environment parsing and pagination cursors: one implementation for every function.
"""

from .account import require_active_user
from .config import ConfigurationError, env_csv, env_int, env_str
from .contract import ADMIN_GROUP, CONTRACT, GROUP_NAME_PATTERN, Route
from .errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceError,
    UnauthorizedError,
    generic_message,
)
from .headers import SINGLE_VALUE_HEADERS, refuse_duplicated_headers, repeated_headers
from .idempotency import IDEMPOTENCY_KEY_HEADER, create_once, idempotency_config, idempotency_key, idempotent_errors
from .identity import Caller, GroupClaim, caller_from_event, is_valid_sub, parse_groups
from .pagination import decode_cursor, encode_cursor, parse_limit
from .records import is_condition_check_failure, is_valid_id, new_id, to_int, utc_now_iso
from .request_body import DRAFT_04, MAX_BODY_BYTES, load_schema, parse_json_body, request_validators
from .resolver import ORIGIN_PATTERN, correlation_id, create_resolver, current_caller, guard_callers
from .responses import SECURITY_HEADERS, error_response, json_response, no_content

__all__ = [
    "ADMIN_GROUP",
    "CONTRACT",
    "DRAFT_04",
    "GROUP_NAME_PATTERN",
    "IDEMPOTENCY_KEY_HEADER",
    "MAX_BODY_BYTES",
    "ORIGIN_PATTERN",
    "SECURITY_HEADERS",
    "SINGLE_VALUE_HEADERS",
    "BadRequestError",
    "Caller",
    "ConfigurationError",
    "ConflictError",
    "ForbiddenError",
    "GroupClaim",
    "NotFoundError",
    "PayloadTooLargeError",
    "Route",
    "ServiceError",
    "UnauthorizedError",
    "caller_from_event",
    "correlation_id",
    "create_once",
    "create_resolver",
    "current_caller",
    "decode_cursor",
    "encode_cursor",
    "env_csv",
    "env_int",
    "env_str",
    "error_response",
    "generic_message",
    "guard_callers",
    "idempotency_config",
    "idempotency_key",
    "idempotent_errors",
    "is_condition_check_failure",
    "is_valid_id",
    "is_valid_sub",
    "json_response",
    "load_schema",
    "new_id",
    "no_content",
    "parse_groups",
    "parse_json_body",
    "parse_limit",
    "refuse_duplicated_headers",
    "repeated_headers",
    "request_validators",
    "require_active_user",
    "to_int",
    "utc_now_iso",
]
