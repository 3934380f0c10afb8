"""The built-in scenarios, in the order they run: what each attacks and the control that answers.

The code of each lives in the module of its theme (``accounts``, ``services``, ``uploads``,
``edge``, ``perimeter``); scenarios registered later (``suite.register``) run after these.
"""

from __future__ import annotations

from .accounts import sign_in, weak_password
from .edge import (
    expired_token,
    forged_token,
    invalid_body,
    no_token,
    oversized_body,
    oversized_field,
    wrong_token_type,
)
from .model import CLOCK, SANDBOX, Scenario
from .perimeter import bucket_perimeter, cross_table
from .services import admin_route, cross_user_read, cross_user_update, notes, profiles, stale_update
from .uploads import cross_user_file, files, key_outside_prefix, oversized_upload, wrong_content_type

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "sign-in",
        "Sign-in: new user, forced password change, TOTP MFA",
        "Cognito user pool (admin-only sign-up, MFA required)",
        sign_in,
    ),
    Scenario(
        "weak-password",
        "A weak password is refused",
        "Cognito password policy (14+ chars, four character classes)",
        weak_password,
    ),
    Scenario("profiles", "Profiles service: save and read my profile", "profiles function, key = token sub", profiles),
    Scenario(
        "notes", "Notes service: create, list, read, update, delete", "notes function with optimistic locking", notes
    ),
    Scenario(
        "files",
        "Files service: presigned upload (204), download (200), delete",
        "files function (keys under files/<sub>/) and S3 presigned requests",
        files,
    ),
    Scenario(
        "oversized-upload",
        "Attack: upload more bytes than the presigned POST allows",
        "S3 POST policy content-length-range (the declared size)",
        oversized_upload,
    ),
    Scenario(
        "wrong-content-type",
        "Attack: upload HTML through a presigned POST for an image",
        "S3 POST policy Content-Type condition",
        wrong_content_type,
    ),
    Scenario(
        "key-outside-prefix",
        "Attack: upload to another user's key or outside files/",
        "S3 POST policy key condition (and the files role's prefix)",
        key_outside_prefix,
    ),
    Scenario(
        "cross-user-file",
        "Attack: Bob downloads and deletes Alice's file",
        "files function: owner = token sub",
        cross_user_file,
    ),
    Scenario(
        "admin-route",
        "Admin-only route: GET /profiles/{userId}",
        "profiles function: the admins group claim, then current membership from the user pool",
        admin_route,
    ),
    Scenario("no-token", "Attack: call the API without a token", "API Gateway Cognito authorizer", no_token),
    Scenario(
        "forged-token",
        "Attack: forged and tampered tokens",
        "API Gateway Cognito authorizer (RS256 signature, pool JWKS)",
        forged_token,
    ),
    Scenario(
        "expired-token",
        "Attack: replay an expired token",
        "API Gateway Cognito authorizer (exp)",
        expired_token,
        frozenset({CLOCK}),
    ),
    Scenario(
        "wrong-token-type",
        "Attack: access token instead of ID token",
        "API Gateway Cognito authorizer (token_use)",
        wrong_token_type,
    ),
    Scenario(
        "cross-user-read",
        "Attack: Bob reads Alice's note",
        "notes function: owner = token sub, never the path",
        cross_user_read,
    ),
    Scenario(
        "cross-user-update",
        "Attack: Bob updates and deletes Alice's note",
        "notes function: conditional writes keyed by token sub",
        cross_user_update,
    ),
    Scenario(
        "cross-table",
        "Attack: code in a function reads another service's table",
        "each function's own IAM role (exact actions on its own table), enforced by the emulator",
        cross_table,
        frozenset({SANDBOX}),
    ),
    Scenario(
        "bucket-perimeter",
        "Attack: code in a function reads the files bucket outside its prefix",
        "each function's own IAM role (files: <bucket>/files/* only), enforced by the emulator",
        bucket_perimeter,
        frozenset({SANDBOX}),
    ),
    Scenario(
        "invalid-body",
        "Attack: malformed and over-posted bodies",
        "API Gateway request validator + JSON-schema model",
        invalid_body,
    ),
    Scenario(
        "oversized-field",
        "Attack: a field longer than the model allows",
        "API Gateway model (maxLength)",
        oversized_field,
    ),
    Scenario(
        "oversized-body",
        "Attack: a body over the web ACL's limit",
        "WAF web ACL (AWS managed common rule set, SizeRestrictions_BODY), emulated by the local gateway",
        oversized_body,
    ),
    Scenario(
        "stale-update",
        "A stale update does not overwrite a newer one",
        "notes function: conditional write on version (409)",
        stale_update,
    ),
)
