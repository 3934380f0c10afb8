"""Make moto's DynamoDB authorization resource-aware.

moto 5.2.5 evaluates every DynamoDB call against ``Resource: "*"``: a policy that names a table
ARN (as every function role of this kit does) then matches nothing and everything is denied,
and a policy with ``Resource: "*"`` would reach every table. AWS evaluates the table (or index)
ARNs the request names. This patch gives moto's ``DynamoHandler`` the same behaviour: it reads
the table and index names from the request and authorizes the action once per resource ARN,
so a role scoped to its own table can use it and is denied on any other table.

Rules (what AWS does, as far as this kit needs it):
- an operation with ``TableName`` is authorized on ``arn:...:table/<name>``; with ``IndexName``
  (Query, Scan) on ``arn:...:table/<name>/index/<index>``;
- ``BatchGetItem`` / ``BatchWriteItem``: on every table named in ``RequestItems``;
- ``TransactGetItems`` / ``TransactWriteItems``: on every table named in ``TransactItems``;
- a denial is answered as DynamoDB answers it: HTTP 400 ``AccessDeniedException`` in JSON,
  naming the resource (moto's own answer is a generic 403 in XML);
- anything else (``ListTables``, ``DescribeLimits``, PartiQL statements, ...) stays on ``"*"``,
  which a table-scoped policy never matches: unknown shapes fail closed.

A second, smaller correction: the Cognito user-pool operations that AWS serves without SigV4
(the user's own calls, authenticated by a session or an access token: ``RespondToAuthChallenge``,
``AssociateSoftwareToken``, ``VerifySoftwareToken``, ...) are added to moto's list of public
operations. botocore sends them unsigned, and moto, once IAM is enforced, fails them with a
500 (it looks for an Authorization header). The list is read from botocore's service model
(operations whose auth is "none"), not written by hand.

A third: Cognito user-pool operations are authorized on the pool they name
(``arn:...:cognito-idp:<region>:<account>:userpool/<UserPoolId>``), as AWS does, instead of
``"*"``; a role scoped to its own pool (the profiles function's AdminGetUser and
AdminListGroupsForUser, issue 11) can then call it, and no other pool.

The patches must run inside the process that runs moto's server (``localmode.emulator`` applies
it in the emulator process before the server starts). ``is_applied()`` tells whether it is.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "apply",
    "apply_cognito_public_operations",
    "apply_cognito_resource_aware",
    "cognito_user_pool_arn",
    "dynamodb_resource_arns",
    "is_applied",
    "remove",
]

_MARKER = "_localmode_resource_aware"
_original: Any = None


def _table_arn(partition: str, region: str, account: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"


def dynamodb_resource_arns(body: dict[str, Any], *, partition: str, region: str, account: str) -> list[str]:
    """The table and index ARNs a DynamoDB request (its JSON body) acts on; ``["*"]`` if none."""
    arns: list[str] = []

    def add(name: object, index: object = None) -> None:
        if not isinstance(name, str) or not name:
            return
        arn = _table_arn(partition, region, account, name)
        if isinstance(index, str) and index:
            arn = f"{arn}/index/{index}"
        if arn not in arns:
            arns.append(arn)

    if "TableName" in body:
        add(body.get("TableName"), body.get("IndexName"))
    request_items = body.get("RequestItems")
    if isinstance(request_items, dict):
        for name in request_items:
            add(name)
    transact_items = body.get("TransactItems")
    if isinstance(transact_items, list):
        for item in transact_items:
            if isinstance(item, dict):
                for operation in item.values():
                    if isinstance(operation, dict):
                        add(operation.get("TableName"))
    return arns or ["*"]


def _request_body(handler: Any) -> dict[str, Any]:
    raw = getattr(handler, "raw_body", None)
    if isinstance(raw, str):
        raw = raw.encode()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def apply() -> None:
    """Patch moto's DynamoDB handler (idempotent)."""
    global _original
    from moto.core.exceptions import AccessDeniedError, JsonRESTError
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler
    from moto.utilities.utils import get_partition

    if getattr(DynamoHandler, _MARKER, False):
        return
    _original = DynamoHandler.__dict__.get("_authenticate_and_authorize_normal_action")

    def _authenticate_and_authorize_normal_action(self: Any, resource: str = "*") -> None:
        arns = dynamodb_resource_arns(
            _request_body(self),
            partition=get_partition(self.region),
            region=self.region,
            account=self.current_account,
        )
        for arn in arns:
            try:
                BaseResponse._authenticate_and_authorize_normal_action(self, arn)
            except AccessDeniedError as error:
                # DynamoDB answers in JSON (HTTP 400, AccessDeniedException) and names the resource;
                # moto's generic 403 XML would reach the handler as an unrecognised error code.
                denied = JsonRESTError(
                    "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
                    f"{error.message} on resource: {arn} because no identity-based policy allows it",
                )
                denied.code = 400
                raise denied from None

    DynamoHandler._authenticate_and_authorize_normal_action = _authenticate_and_authorize_normal_action  # type: ignore[method-assign]
    setattr(DynamoHandler, _MARKER, True)


def cognito_unsigned_operations() -> list[str]:
    """Cognito user-pool operations that AWS accepts without SigV4 (from botocore's model)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    names = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.auth_type == "none" or list(operation.auth or []) == ["smithy.api#noAuth"]:
            names.append(name)
    return names


def apply_cognito_public_operations() -> None:
    """Let moto serve the unsigned Cognito user operations once IAM is enforced (idempotent)."""
    from moto.core.authorization import ActionAuthenticatorMixin

    public = ActionAuthenticatorMixin.PUBLIC_OPERATIONS
    for name in cognito_unsigned_operations():
        target = f"AWSCognitoIdentityProviderService.{name}"
        if target not in public:
            public.append(target)


def cognito_user_pool_arn(body: dict[str, Any], *, partition: str, region: str, account: str) -> str:
    """The user pool ARN a Cognito request (its JSON body) acts on; ``"*"`` without a UserPoolId."""
    pool = body.get("UserPoolId")
    if not isinstance(pool, str) or not pool:
        return "*"
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool}"


def apply_cognito_resource_aware() -> None:
    """Authorize Cognito user-pool calls on the pool's ARN (moto's ``_determine_resource`` hook; idempotent)."""
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.utilities.utils import get_partition

    def _determine_resource(self: Any) -> str:
        return cognito_user_pool_arn(
            _request_body(self), partition=get_partition(self.region), region=self.region, account=self.current_account
        )

    CognitoIdpResponse._determine_resource = _determine_resource  # type: ignore[attr-defined]


def remove() -> None:
    """Undo ``apply()`` (used by tests that prove the self-test catches a missing patch)."""
    from moto.dynamodb.responses import DynamoHandler

    if not getattr(DynamoHandler, _MARKER, False):
        return
    if _original is None:
        del DynamoHandler._authenticate_and_authorize_normal_action
    else:
        DynamoHandler._authenticate_and_authorize_normal_action = _original  # type: ignore[method-assign]
    delattr(DynamoHandler, _MARKER)


def is_applied() -> bool:
    from moto.dynamodb.responses import DynamoHandler

    return bool(getattr(DynamoHandler, _MARKER, False))
