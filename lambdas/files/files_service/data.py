"""Data access of the files service: the files table and the bucket.

Record writes are conditional: a failed condition raises ``ConditionFailed``.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from kit_common import is_condition_check_failure, to_int

from .models import PENDING, UPLOADED, ObjectHead, Usage


class ConditionFailed(Exception):
    """A conditional write found the record other than expected: nothing was written."""


class FilesTable:
    """The files table (a boto3 ``Table`` resource), keyed (ownerId, fileId)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, owner_id: str, file_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"ownerId": owner_id, "fileId": file_id}, ConsistentRead=True).get("Item")
        return None if item is None else dict(item)

    def usage(self, owner_id: str, *, now: int) -> Usage:
        """Counted from the owner's records (a consistent Query on the partition key)."""
        pending = 0
        stored = 0
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("ownerId").eq(owner_id),
            "ProjectionExpression": "#size, #status, #expires",
            "ExpressionAttributeNames": {"#size": "size", "#status": "status", "#expires": "uploadExpiresAt"},
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**query)
            for item in page.get("Items", []):
                stored += to_int(item.get("size", 0))
                if item.get("status") == PENDING and now < to_int(item.get("uploadExpiresAt", 0)):
                    pending += 1
            if "LastEvaluatedKey" not in page:
                return Usage(pending_uploads=pending, stored_bytes=stored)
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def insert(self, item: dict[str, Any]) -> None:
        """Store a new record; ConditionFailed when its id is taken."""
        try:
            self._table.put_item(Item=item, ConditionExpression=Attr("fileId").not_exists())
        except ClientError as error:
            if is_condition_check_failure(error):
                raise ConditionFailed("put_item") from None
            raise

    def mark_uploaded(self, owner_id: str, file_id: str, *, head: ObjectHead, declared: int) -> dict[str, Any]:
        """Record the object S3 holds (size, ETag); only while the record exists."""
        try:
            response = self._table.update_item(
                Key={"ownerId": owner_id, "fileId": file_id},
                UpdateExpression="SET #status = :uploaded, #size = :size, #etag = :etag, #declared = :declared",
                ConditionExpression=Attr("fileId").exists(),
                ExpressionAttributeNames={
                    "#status": "status",
                    "#size": "size",
                    "#etag": "etag",
                    "#declared": "declaredSize",
                },
                ExpressionAttributeValues={
                    ":uploaded": UPLOADED,
                    ":size": head.size,
                    ":etag": head.etag,
                    ":declared": declared,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_check_failure(error):
                raise ConditionFailed("update_item") from None
            raise
        return dict(response["Attributes"])

    def delete(self, owner_id: str, file_id: str) -> None:
        """Delete the record if it still exists; ConditionFailed when it does not."""
        try:
            self._table.delete_item(
                Key={"ownerId": owner_id, "fileId": file_id}, ConditionExpression=Attr("fileId").exists()
            )
        except ClientError as error:
            if is_condition_check_failure(error):
                raise ConditionFailed("delete_item") from None
            raise


class FilesBucket:
    """The files bucket: presigned requests, HeadObject and deletes, under the function's prefix."""

    def __init__(self, s3: Any, bucket_name: str) -> None:
        self.s3 = s3
        self._bucket = bucket_name

    def presigned_upload(self, key: str, *, content_type: str, max_size: int, expires_in: int) -> dict[str, Any]:
        """A presigned POST bound to ``key``, the content type and a content-length-range of [1, max_size]."""
        # boto3 adds the exact {"bucket"} and {"key"} conditions to the policy itself.
        upload: dict[str, Any] = self.s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
            ExpiresIn=expires_in,
        )
        return upload

    def presigned_download(self, key: str, *, disposition: str, content_type: str, expires_in: int) -> str:
        url: str = self.s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
                # A signed link to personal data: no shared cache keeps the object.
                "ResponseCacheControl": "no-store",
            },
            ExpiresIn=expires_in,
        )
        return url

    def head(self, key: str) -> ObjectHead | None:
        """What S3 holds under ``key``, or None when nothing."""
        try:
            head = self.s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectHead(
            size=int(head["ContentLength"]),
            content_type=str(head.get("ContentType", "")).lower(),
            etag=str(head.get("ETag", "")),
        )

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self._bucket, Key=key)
