"""Writes only by users the user pool still has, enabled (issue 25).

API Gateway's Cognito authorizer accepts an ID token until it expires (60 minutes for the
reference client), even after the user was disabled, deleted or signed out everywhere. A write
therefore asks the user pool first (``AdminGetUser``): a user it no longer has, or has disabled,
gets 403 and nothing is written. Reads are not checked (one Cognito call per read would halve
the API's capacity); a removed user can read their own data until the token expires.

Trade-off: one ``AdminGetUser`` per write, counted against Cognito's account-wide ``UserRead``
request-rate quota, and a function role that may read user records of the pool (the access level
``read-status``: that one action on that pool only).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .errors import ForbiddenError
from .identity import Caller

__all__ = ["require_active_user"]


def require_active_user(cognito: Any, user_pool_id: str, caller: Caller) -> None:
    """403 unless the user pool has ``caller`` (by ``cognito:username``) and has it enabled."""
    if caller.username is None:
        raise ForbiddenError("token has no cognito:username claim")
    try:
        user = cognito.admin_get_user(UserPoolId=user_pool_id, Username=caller.username)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
            raise ForbiddenError("the user pool no longer has the caller") from None
        raise
    if not user.get("Enabled", False):
        raise ForbiddenError("the caller is disabled in the user pool")
