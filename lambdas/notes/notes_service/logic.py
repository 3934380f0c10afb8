"""The rules of the notes service: ownership, optimistic locking, what a failed write means.

Every operation takes the owner (the token's ``sub``) from the handler, never from the request.
Another owner's note is indistinguishable from a missing one: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from kit_common import BadRequestError, ConflictError, NotFoundError, decode_cursor, encode_cursor, is_valid_id

from .data import ConditionFailed, NotesTable
from .models import KEY_NAMES, Note, NotePage


def note_id_of(raw: str) -> str:
    """A note id from a path; one the service cannot have generated names no note: 404."""
    if not is_valid_id(raw):
        raise NotFoundError("malformed note id")
    return raw


class NotesLogic:
    """The notes service's operations over its table.

    ``new_id`` and ``clock`` (an ISO-8601 UTC timestamp) are seams: tests replace them.
    """

    def __init__(
        self,
        *,
        table: NotesTable,
        logger: Logger,
        metrics: Metrics,
        new_id: Callable[[], str],
        clock: Callable[[], str],
    ) -> None:
        self._table = table
        self._logger = logger
        self._metrics = metrics
        self._new_id = new_id
        self._clock = clock

    def list_notes(self, owner_id: str, *, limit: int, cursor: str | None) -> NotePage:
        start_key: dict[str, Any] | None = None
        if cursor is not None:
            start_key = decode_cursor(cursor, key_names=KEY_NAMES, owner_attribute="ownerId", owner=owner_id)
            if not is_valid_id(start_key["noteId"]):
                raise BadRequestError("cursor is malformed")
        notes, next_key = self._table.page(owner_id, limit=limit, start_key=start_key)
        return NotePage(notes=tuple(notes), next_cursor=encode_cursor(next_key) if next_key else None)

    def create(self, owner_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store a new note from a validated create_note body; its JSON (what a repeat returns)."""
        now = self._clock()
        note = Note(
            owner_id=owner_id,
            note_id=self._new_id(),
            title=body["title"],
            content=body["content"],
            version=1,
            created_at=now,
            updated_at=now,
        )
        try:
            self._table.insert(note)
        except ConditionFailed:
            raise ConflictError("note id collision") from None
        self._metrics.add_metric(name="NoteCreated", unit=MetricUnit.Count, value=1)
        self._logger.info("Note created", extra={"note_id": note.note_id})
        return note.to_json()

    def require_exists(self, owner_id: str, note_id: str, *, reason: str) -> None:
        """409 with ``reason`` unless the caller's note still exists."""
        if not self._table.exists(owner_id, note_id):
            raise ConflictError(reason)

    def get(self, owner_id: str, note_id: str) -> Note:
        note = self._table.get(owner_id, note_id)
        if note is None:
            raise NotFoundError("no such note for caller")
        return note

    def _after_failed_write(self, owner_id: str, note_id: str, reason: str) -> Exception:
        """After a failed conditional write: 409 if the caller's note exists, else 404."""
        if self._table.exists(owner_id, note_id):
            return ConflictError(reason)
        return NotFoundError("no such note for caller")

    def replace(self, owner_id: str, note_id: str, body: dict[str, Any]) -> Note:
        """Replace title and content when the body's ``version`` is the stored one; 409 and nothing changed otherwise."""
        try:
            note = self._table.replace_if_version(
                owner_id,
                note_id,
                title=body["title"],
                content=body["content"],
                expected_version=body["version"],
                now=self._clock(),
            )
        except ConditionFailed:
            raise self._after_failed_write(owner_id, note_id, "stale version") from None
        self._logger.info("Note updated", extra={"note_id": note_id})
        return note

    def delete(self, owner_id: str, note_id: str, *, version: int | None) -> None:
        try:
            self._table.delete(owner_id, note_id, version=version)
        except ConditionFailed:
            if version is None:
                raise NotFoundError("no such note for caller") from None
            raise self._after_failed_write(owner_id, note_id, "stale version") from None
        self._logger.info("Note deleted", extra={"note_id": note_id})
