"""The rules of the files service.

The object key is always derived from the token's ``sub`` and a server-generated id: no client
value (file name included) ever becomes part of a key. Another owner's file is a 404.

A record starts "pending": it says what the client declared, not what S3 holds. The first GET
confirms it against the object (HeadObject): the object must exist with the declared content
type and at most the declared size; the record then holds the object's real size and ETag and
turns "uploaded". Until then the file is a 404. While the upload link can still write, every GET
checks the object again and the record follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from kit_common import BadRequestError, ConflictError, NotFoundError, is_valid_id, to_int

from .data import ConditionFailed, FilesBucket, FilesTable
from .models import PENDING, UPLOADED, Limits


def file_id_of(raw: str) -> str:
    """A file id from a path; one the service cannot have generated names no file: 404."""
    if not is_valid_id(raw):
        raise NotFoundError("malformed file id")
    return raw


class FilesLogic:
    """The files service's operations. ``clock`` (epoch seconds) and ``new_id`` are test seams."""

    def __init__(
        self,
        *,
        table: FilesTable,
        bucket: FilesBucket,
        object_prefix: str,
        limits: Limits,
        logger: Logger,
        metrics: Metrics,
        clock: Callable[[], int],
        new_id: Callable[[], str],
        now_iso: Callable[[], str],
    ) -> None:
        self._table = table
        self._bucket = bucket
        self._prefix = object_prefix
        self._limits = limits
        self._logger = logger
        self._metrics = metrics
        self._clock = clock
        self._new_id = new_id
        self._now_iso = now_iso

    def object_key(self, owner_id: str, file_id: str) -> str:
        return f"{self._prefix}{owner_id}/{file_id}"

    def own_file(self, owner_id: str, file_id: str) -> dict[str, Any]:
        item = self._table.get(owner_id, file_id)
        if item is None:
            raise NotFoundError("no such file for caller")
        return item

    def _check_quota(self, owner_id: str, size: int) -> None:
        """409 when the new upload would exceed the caller's pending-upload or storage bound.

        Parallel requests of one user can each pass before the others' records exist: the
        bounds hold up to the user's concurrency (a few requests), not exactly.
        """
        usage = self._table.usage(owner_id, now=self._clock())
        if usage.pending_uploads >= self._limits.max_pending_uploads:
            raise ConflictError("too many uploads in progress for caller")
        if usage.stored_bytes + size > self._limits.user_quota_bytes:
            raise ConflictError("caller's storage quota exceeded")

    def create_upload(self, owner_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A pending record and a presigned POST for a validated create_upload body."""
        content_type = body["contentType"].lower()
        if content_type not in self._limits.allowed_content_types:
            raise BadRequestError("content type not allowed")
        size = body["size"]
        if size > self._limits.max_upload_bytes:
            raise BadRequestError("declared size above MAX_UPLOAD_BYTES")
        self._check_quota(owner_id, size)
        file_id = self._new_id()
        key = self.object_key(owner_id, file_id)
        expiry = self._limits.url_expiry_seconds
        item = {
            "ownerId": owner_id,
            "fileId": file_id,
            "fileName": body["fileName"],
            "contentType": content_type,
            "size": size,
            "objectKey": key,
            "status": PENDING,
            "uploadExpiresAt": self._clock() + expiry,
            "createdAt": self._now_iso(),
        }
        try:
            self._table.insert(item)
        except ConditionFailed:
            raise ConflictError("file id collision") from None
        upload = self._bucket.presigned_upload(key, content_type=content_type, max_size=size, expires_in=expiry)
        self._metrics.add_metric(name="UploadRequested", unit=MetricUnit.Count, value=1)
        self._logger.info("Upload requested", extra={"file_id": file_id, "size": size})
        return {"fileId": file_id, "upload": {"url": upload["url"], "fields": upload["fields"]}, "expiresIn": expiry}

    def require_record(self, owner_id: str, file_id: str) -> None:
        """409 when a repeated create's record was deleted since: its link would write an orphan."""
        if self._table.get(owner_id, file_id) is None:
            raise ConflictError("the file created with this Idempotency-Key was deleted")

    def _confirmed(self, item: dict[str, Any]) -> dict[str, Any]:
        """The record once S3 holds a matching object; 404 while it does not."""
        link_can_write = self._clock() < to_int(item.get("uploadExpiresAt", 0))
        if item.get("status") == UPLOADED and not link_can_write:
            return item
        head = self._bucket.head(item["objectKey"])
        if head is None:
            raise NotFoundError("file not uploaded yet")
        if item.get("status") == UPLOADED and item.get("etag") == head.etag:
            return item  # still the object that was confirmed
        declared = to_int(item.get("declaredSize", item["size"]))
        if head.content_type != item["contentType"] or not 1 <= head.size <= declared:
            # The POST policy makes this impossible on S3; never serve what was not declared.
            self._logger.warning("Uploaded object does not match its record", extra={"file_id": item["fileId"]})
            raise NotFoundError("uploaded object does not match the declared type or size")
        try:
            confirmed = self._table.mark_uploaded(item["ownerId"], item["fileId"], head=head, declared=declared)
        except ConditionFailed:
            raise NotFoundError("no such file for caller") from None  # deleted meanwhile
        event = "Upload confirmed" if item.get("status") != UPLOADED else "Upload replaced within its link's lifetime"
        self._logger.info(event, extra={"file_id": item["fileId"], "size": head.size})
        return confirmed

    def download(self, owner_id: str, file_id: str) -> dict[str, Any]:
        """A short-lived download link (always an attachment) for the caller's confirmed file."""
        item = self._confirmed(self.own_file(owner_id, file_id))
        expiry = self._limits.url_expiry_seconds
        url = self._bucket.presigned_download(
            self.object_key(owner_id, file_id),
            # Always a download, never rendered inline by the browser on the bucket's origin.
            disposition=f"attachment; filename*=UTF-8''{quote(item['fileName'], safe='')}",
            content_type=item["contentType"],
            expires_in=expiry,
        )
        self._logger.info("Download link issued", extra={"file_id": file_id})
        return {
            "fileId": file_id,
            "fileName": item["fileName"],
            "contentType": item["contentType"],
            "size": to_int(item["size"]),
            "createdAt": item["createdAt"],
            "downloadUrl": url,
            "expiresIn": expiry,
        }

    def delete(self, owner_id: str, file_id: str) -> None:
        item = self.own_file(owner_id, file_id)
        # A presigned POST cannot be revoked: refuse to delete while it can still write, or its
        # object would land after the delete with no record (an orphan).
        if self._clock() < to_int(item.get("uploadExpiresAt", 0)):
            raise ConflictError("the upload link is still valid")
        # Object first: if this fails the record stays, so the caller can retry the delete.
        self._bucket.delete(self.object_key(owner_id, file_id))
        # A concurrent delete may get there first: the outcome the caller asked for.
        with suppress(ConditionFailed):
            self._table.delete(owner_id, file_id)
        self._logger.info("File deleted", extra={"file_id": file_id})
