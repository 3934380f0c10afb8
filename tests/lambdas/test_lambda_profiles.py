"""The profiles function against DynamoDB in moto: own profile, admin-only reads."""

from __future__ import annotations

from typing import Any

import pytest
from kit_common import MAX_BODY_BYTES, ConfigurationError
from moto_support import shared_client, shared_resource

from lambda_helpers import (
    ADMIN,
    PROFILES_TABLE,
    USER_A,
    USER_B,
    Function,
    assert_generic_error,
    build_event,
    emitted_metrics,
    make_function,
    read_event_file,
)


def stored(user_id: str) -> dict[str, Any] | None:
    return shared_resource("dynamodb").Table(PROFILES_TABLE).get_item(Key={"userId": user_id}).get("Item")


def put_me(profiles: Function, body: Any, *, sub: str = USER_A) -> Any:
    return profiles.call(build_event("PUT", "/me", body=body, sub=sub))


def admin_get(profiles: Function, user_id: str, *, sub: str = ADMIN, groups: str | None = "admins") -> Any:
    event = build_event("GET", f"/profiles/{user_id}", path_params={"userId": user_id}, sub=sub, groups=groups)
    return event, profiles.call(event)


# --- GET /me, PUT /me ------------------------------------------------------------------------


def test_get_me_without_a_profile_is_404(profiles: Function) -> None:
    event = build_event("GET", "/me")
    assert_generic_error(profiles.call(event), 404, event)


def test_put_me_creates_the_profile_under_the_callers_sub(
    profiles: Function, capsys: pytest.CaptureFixture[str]
) -> None:
    body = read_event_file("put_profile_body.json")
    result = put_me(profiles, body)

    assert result.status == 200
    assert result.body["userId"] == USER_A
    assert (result.body["displayName"], result.body["bio"]) == (body["displayName"], body["bio"])
    assert result.body["createdAt"] == result.body["updatedAt"]
    item = stored(USER_A)
    assert item is not None
    assert item["displayName"] == body["displayName"]
    assert "ProfileCreated" in emitted_metrics(capsys.readouterr().out)


def test_get_me_returns_the_saved_profile(profiles: Function) -> None:
    saved = put_me(profiles, {"displayName": "A", "bio": "hello"}).body
    result = profiles.call(build_event("GET", "/me"))
    assert result.status == 200
    assert result.body == saved
    assert result.headers["Cache-Control"] == "no-store"


def test_put_me_replaces_the_profile_and_keeps_created_at(
    profiles: Function, capsys: pytest.CaptureFixture[str]
) -> None:
    first = put_me(profiles, {"displayName": "A", "bio": "old bio"}).body
    capsys.readouterr()
    second = put_me(profiles, {"displayName": "A2"}).body

    assert second["displayName"] == "A2"
    assert second["bio"] == ""
    assert second["createdAt"] == first["createdAt"]
    assert "bio" not in stored(USER_A)
    assert "ProfileCreated" not in emitted_metrics(capsys.readouterr().out)


def test_put_me_only_touches_the_callers_profile(profiles: Function) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    put_me(profiles, {"displayName": "B"}, sub=USER_B)
    assert stored(USER_A)["displayName"] == "A"
    assert stored(USER_B)["displayName"] == "B"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"bio": "no name"}, id="missing-displayName"),
        pytest.param({"displayName": 7}, id="displayName-wrong-type"),
        pytest.param({"displayName": None}, id="displayName-null"),
        pytest.param({"displayName": ""}, id="displayName-empty"),
        pytest.param({"displayName": "x" * 65}, id="displayName-too-long"),
        pytest.param({"displayName": "tab\there"}, id="displayName-control-character"),
        pytest.param({"displayName": "A", "bio": "x" * 1001}, id="bio-too-long"),
        pytest.param({"displayName": "A", "bio": 3}, id="bio-wrong-type"),
        pytest.param({"displayName": "A", "userId": USER_B}, id="extra-property-userId"),
        pytest.param({"displayName": "A", "email": "a@example.com"}, id="extra-property-email"),
        pytest.param([{"displayName": "A"}], id="array-body"),
    ],
)
def test_put_me_rejects_invalid_bodies(profiles: Function, body: Any) -> None:
    event = build_event("PUT", "/me", body=body)
    assert_generic_error(profiles.call(event), 400, event)
    assert stored(USER_A) is None
    assert stored(USER_B) is None


def test_put_me_rejects_malformed_json(profiles: Function) -> None:
    event = build_event("PUT", "/me", body='{"displayName": "A"')
    assert_generic_error(profiles.call(event), 400, event)
    assert stored(USER_A) is None


def test_put_me_rejects_an_oversized_body_with_413(profiles: Function) -> None:
    event = build_event("PUT", "/me", body={"displayName": "A", "bio": "x" * MAX_BODY_BYTES})
    assert_generic_error(profiles.call(event), 413, event)
    assert stored(USER_A) is None


def test_put_me_does_not_change_an_existing_profile_on_a_rejected_body(profiles: Function) -> None:
    put_me(profiles, {"displayName": "Kept"})
    event = build_event("PUT", "/me", body={"displayName": "x" * 65})
    assert_generic_error(profiles.call(event), 400, event)
    assert stored(USER_A)["displayName"] == "Kept"


# --- GET /profiles/{userId} ------------------------------------------------------------------


def test_admin_reads_any_profile(profiles: Function) -> None:
    saved = put_me(profiles, {"displayName": "A", "bio": "bio"}, sub=USER_A).body
    _, result = admin_get(profiles, USER_A)
    assert result.status == 200
    assert result.body == saved


def pool_id(profiles: Function) -> str:
    return str(profiles.module.USER_POOL_ID)


@pytest.mark.parametrize("groups", ["admins", "editors,admins", "admins,editors"])
def test_a_current_admin_may_read_with_any_claim_that_names_the_admin_group(profiles: Function, groups: str) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    _, result = admin_get(profiles, USER_A, groups=groups)
    assert result.status == 200


@pytest.mark.parametrize("groups", [None, "", "editors", "[editors]", "notadmins", "admins-x", "Admins", "[]"])
def test_non_admins_get_403_from_the_admin_route(profiles: Function, groups: str | None) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    event, result = admin_get(profiles, USER_A, sub=USER_B, groups=groups)
    assert_generic_error(result, 403, event)


@pytest.mark.parametrize("group_name", ["readers,admins", "[admins]", '"admins"', "admins "])
def test_members_of_a_group_whose_name_looks_like_admins_get_403(profiles: Function, group_name: str) -> None:
    """Issue 11, finding 1: the flattened claim of such a group names "admins"; Cognito does not."""
    cognito = shared_client("cognito-idp")
    cognito.create_group(UserPoolId=pool_id(profiles), GroupName=group_name)
    cognito.admin_add_user_to_group(UserPoolId=pool_id(profiles), Username=USER_B, GroupName=group_name)
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    event, result = admin_get(profiles, USER_A, sub=USER_B, groups=group_name)
    assert_generic_error(result, 403, event)


def test_removal_from_the_admin_group_ends_admin_access_at_once(profiles: Function) -> None:
    """Issue 11, finding 4: the token still says "admins", the user pool no longer does."""
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    assert admin_get(profiles, USER_A)[1].status == 200
    shared_client("cognito-idp").admin_remove_user_from_group(
        UserPoolId=pool_id(profiles), Username=ADMIN, GroupName="admins"
    )
    event, result = admin_get(profiles, USER_A)
    assert_generic_error(result, 403, event)


def test_a_disabled_admin_gets_403(profiles: Function) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    shared_client("cognito-idp").admin_disable_user(UserPoolId=pool_id(profiles), Username=ADMIN)
    event, result = admin_get(profiles, USER_A)
    assert_generic_error(result, 403, event)


def test_a_token_of_a_deleted_user_gets_403(profiles: Function) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    shared_client("cognito-idp").admin_delete_user(UserPoolId=pool_id(profiles), Username=ADMIN)
    event, result = admin_get(profiles, USER_A)
    assert_generic_error(result, 403, event)


def test_an_admin_claim_without_a_user_name_gets_403(profiles: Function) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    event = build_event(
        "GET", f"/profiles/{USER_A}", path_params={"userId": USER_A}, claims={"sub": ADMIN, "cognito:groups": "admins"}
    )
    assert_generic_error(profiles.call(event), 403, event)


def test_non_admins_get_403_even_for_their_own_profile_and_unknown_ids(profiles: Function) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    for user_id in (USER_A, USER_B, "not a valid id"):
        event, result = admin_get(profiles, user_id, sub=USER_A, groups=None)
        assert_generic_error(result, 403, event)


@pytest.mark.parametrize("user_id", [USER_B, "bad..id", "x" * 300])
def test_admin_read_of_a_missing_or_malformed_profile_is_404(profiles: Function, user_id: str) -> None:
    event, result = admin_get(profiles, user_id)
    assert_generic_error(result, 404, event)


def test_the_admin_group_name_comes_from_the_environment(
    profiles_env: dict[str, str | None], load_function: Any
) -> None:
    operators = make_function(load_function("profiles", **{**profiles_env, "ADMIN_GROUP": "operators"}), "profiles")
    cognito = shared_client("cognito-idp")
    cognito.create_group(UserPoolId=pool_id(operators), GroupName="operators")
    cognito.admin_add_user_to_group(UserPoolId=pool_id(operators), Username=USER_B, GroupName="operators")
    put_me(operators, {"displayName": "A"}, sub=USER_A)

    event, result = admin_get(operators, USER_A, groups="admins")
    assert_generic_error(result, 403, event)
    assert admin_get(operators, USER_A, sub=USER_B, groups="operators")[1].status == 200


# --- identity, routing, configuration --------------------------------------------------------

ROUTES = [
    ("GET", "/me", None, None),
    ("PUT", "/me", None, {"displayName": "x"}),
    ("GET", "/profiles/" + USER_A, {"userId": USER_A}, None),
]


@pytest.mark.parametrize(("method", "path", "path_params", "body"), ROUTES)
@pytest.mark.parametrize(
    "identity",
    [
        pytest.param({"claims": None}, id="no-authorizer"),
        pytest.param({"claims": {"cognito:groups": "admins"}}, id="admin-group-without-sub"),
        pytest.param({"sub": None, "groups": "admins"}, id="missing-sub"),
        pytest.param({"sub": "", "groups": "admins"}, id="empty-sub"),
    ],
)
def test_every_route_requires_a_sub_claim(
    profiles: Function, method: str, path: str, path_params: Any, body: Any, identity: dict[str, Any]
) -> None:
    put_me(profiles, {"displayName": "A"}, sub=USER_A)
    kwargs: dict[str, Any] = {"path_params": path_params, **identity}
    if body is not None:
        kwargs["body"] = body
    event = build_event(method, path, **kwargs)
    assert_generic_error(profiles.call(event), 401, event)
    assert stored(USER_A)["displayName"] == "A"


def test_unknown_route_is_a_generic_404(profiles: Function) -> None:
    event = build_event("DELETE", "/me")
    assert_generic_error(profiles.call(event), 404, event)


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"TABLE_NAME": None}, id="missing-table"),
        pytest.param({"ADMIN_GROUP": "admins,editors"}, id="admin-group-list"),
        pytest.param({"ADMIN_GROUP": "[admins]"}, id="admin-group-brackets"),
        pytest.param({"ADMIN_GROUP": None}, id="admin-group-missing"),
        pytest.param({"USER_POOL_ID": None}, id="user-pool-missing"),
        pytest.param({"CORS_ALLOWED_ORIGINS": "*"}, id="cors-wildcard"),
        pytest.param({"CORS_ALLOWED_ORIGINS": "http://app.example.com"}, id="cors-plain-http"),
    ],
)
def test_bad_environment_fails_at_cold_start(
    profiles_env: dict[str, str | None], load_function: Any, env: dict[str, str | None]
) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(env))):
        load_function("profiles", **{**profiles_env, **env})
