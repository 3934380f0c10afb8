"""DynamoDB access of the notes service: every write is conditional.

A failed condition raises ``ConditionFailed``; the logic decides what it means (409 or 404).
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError
from kit_common import is_condition_check_failure

from .models import SUMMARY_ATTRIBUTES, Note


class ConditionFailed(Exception):
    """A conditional write found the item other than expected: nothing was written."""


class NotesTable:
    """The notes table (a boto3 ``Table`` resource), keyed (ownerId, noteId)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def _write(self, operation: str, **request: Any) -> Any:
        try:
            return getattr(self._table, operation)(**request)
        except ClientError as error:
            if is_condition_check_failure(error):
                raise ConditionFailed(operation) from None
            raise

    def insert(self, note: Note) -> None:
        """Store a new note; ConditionFailed when its id is taken."""
        self._write("put_item", Item=note.to_item(), ConditionExpression=Attr("noteId").not_exists())

    def get(self, owner_id: str, note_id: str) -> Note | None:
        item = self._table.get_item(Key={"ownerId": owner_id, "noteId": note_id}).get("Item")
        return None if item is None else Note.from_item(item)

    def exists(self, owner_id: str, note_id: str) -> bool:
        response = self._table.get_item(
            Key={"ownerId": owner_id, "noteId": note_id},
            ProjectionExpression="#noteId",
            ExpressionAttributeNames={"#noteId": "noteId"},
            ConsistentRead=True,
        )
        return "Item" in response

    def page(
        self, owner_id: str, *, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[Note], dict[str, Any] | None]:
        """Up to ``limit`` summaries, newest first, and DynamoDB's key after them (None on the last page)."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("ownerId").eq(owner_id),
            # One extra item tells whether another page exists, so the last page has no cursor.
            "Limit": limit + 1,
            "ScanIndexForward": False,
            "ProjectionExpression": ", ".join(f"#{name}" for name in SUMMARY_ATTRIBUTES),
            "ExpressionAttributeNames": {f"#{name}": name for name in SUMMARY_ATTRIBUTES},
        }
        if start_key is not None:
            query["ExclusiveStartKey"] = start_key
        response = self._table.query(**query)
        items = response.get("Items", [])
        next_key: dict[str, Any] | None = None
        if len(items) > limit:
            items = items[:limit]
            next_key = {"ownerId": owner_id, "noteId": items[-1]["noteId"]}
        elif "LastEvaluatedKey" in response:
            next_key = response["LastEvaluatedKey"]
        return [Note.from_item({**item, "ownerId": owner_id}) for item in items], next_key

    def replace_if_version(
        self, owner_id: str, note_id: str, *, title: str, content: str, expected_version: int, now: str
    ) -> Note:
        """Replace title and content only if the stored version is ``expected_version``; ConditionFailed otherwise."""
        response = self._write(
            "update_item",
            Key={"ownerId": owner_id, "noteId": note_id},
            UpdateExpression="SET #title = :title, #content = :content, #version = :next, #updatedAt = :now",
            ConditionExpression=Attr("noteId").exists() & Attr("version").eq(expected_version),
            ExpressionAttributeNames={
                "#title": "title",
                "#content": "content",
                "#version": "version",
                "#updatedAt": "updatedAt",
            },
            ExpressionAttributeValues={
                ":title": title,
                ":content": content,
                ":next": expected_version + 1,
                ":now": now,
            },
            ReturnValues="ALL_NEW",
        )
        return Note.from_item(response["Attributes"])

    def delete(self, owner_id: str, note_id: str, *, version: int | None) -> None:
        """Delete the note (only that ``version`` when given); ConditionFailed when absent or newer."""
        condition: ConditionBase = Attr("noteId").exists()
        if version is not None:
            condition = condition & Attr("version").eq(version)
        self._write("delete_item", Key={"ownerId": owner_id, "noteId": note_id}, ConditionExpression=condition)
