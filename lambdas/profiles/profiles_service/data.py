"""Data access of the profiles service: the profiles table and the user pool's membership records."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .models import Profile


class ProfilesTable:
    """The profiles table (a boto3 ``Table`` resource), keyed by userId."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, user_id: str) -> Profile | None:
        item = self._table.get_item(Key={"userId": user_id}).get("Item")
        return None if item is None else Profile.from_item(item)

    def replace(self, user_id: str, *, display_name: str, bio: str | None, now: str) -> Profile:
        """Replace the profile (an absent ``bio`` is removed); createdAt is kept once set.

        One UpdateItem: last writer wins, which is what PUT of a whole profile by its owner means.
        """
        names = {"#displayName": "displayName", "#updatedAt": "updatedAt", "#createdAt": "createdAt", "#bio": "bio"}
        values: dict[str, Any] = {":displayName": display_name, ":now": now}
        update = "SET #displayName = :displayName, #updatedAt = :now, #createdAt = if_not_exists(#createdAt, :now)"
        if bio is not None:
            update += ", #bio = :bio"
            values[":bio"] = bio
        else:
            update += " REMOVE #bio"
        item = self._table.update_item(
            Key={"userId": user_id},
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )["Attributes"]
        return Profile.from_item(item)


class UserPoolMembership:
    """What the user pool says now about a user (AdminGetUser, AdminListGroupsForUser)."""

    def __init__(self, cognito: Any, user_pool_id: str) -> None:
        self._cognito = cognito
        self._user_pool_id = user_pool_id

    def is_enabled_member(self, username: str, group: str) -> bool:
        """Whether the pool has ``username``, enabled, in exactly ``group``."""
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._user_pool_id, Username=username)
            if not user.get("Enabled", False):
                return False
            token: dict[str, str] = {}
            while True:
                page = self._cognito.admin_list_groups_for_user(
                    UserPoolId=self._user_pool_id, Username=username, Limit=60, **token
                )
                if any(entry.get("GroupName") == group for entry in page.get("Groups", [])):
                    return True
                if not page.get("NextToken"):
                    return False
                token = {"NextToken": page["NextToken"]}
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                return False
            raise
