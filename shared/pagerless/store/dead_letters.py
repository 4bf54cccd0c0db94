"""Payloads the intake could not process: what the API lists and replays.

Keyed by workspace and a time-ordered id (newest first). A record is `failing` while the
consumer still retries (it notes the last error), `dead` once it is given up (from the DLQ, or
at once for a payload that can never be normalized), then `replayed` or `replay_failed`.
"""

import time
from datetime import datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, written

FAILING, DEAD, REPLAYED, REPLAY_FAILED = "failing", "dead", "replayed", "replay_failed"
REPLAY_LEASE = timedelta(minutes=5)  # a replay that died holding its claim frees it after this


class DeadLetterRecord(BaseModel):
    class Meta:
        table_name = TableName("dead_letters")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)  # "dl-<received, compact UTC>-<body hash>": sorts by time
    status = UnicodeAttribute(default=FAILING)
    kind = UnicodeAttribute(default="ingest")  # ingest | alert | sns | raw | notify | refused (by a key's scope)
    source = UnicodeAttribute(default="unknown")
    content_type = UnicodeAttribute(null=True)
    body = UnicodeAttribute(default="")
    body_encoding = UnicodeAttribute(default="utf-8")
    error = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    received_at = UTCDateTimeAttribute()
    dead_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    replayed_at = UTCDateTimeAttribute(null=True)
    replay_result = JSONAttribute(null=True)
    replay_claimed_at = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "kind": self.kind,
            "source": self.source,
            "content_type": self.content_type,
            "payload": self.body,
            "payload_encoding": self.body_encoding,
            "error": self.error,
            "attempts": int(self.attempts or 0),
            "received_at": self.received_at.isoformat(),
            "dead_at": self.dead_at.isoformat() if self.dead_at else None,
            "replayed_at": self.replayed_at.isoformat() if self.replayed_at else None,
            "replay_result": self.replay_result,
        }


class DeadLetterRepository:
    def note_failure(self, record: DeadLetterRecord, *, error: str, attempts: int, retention_days: int) -> None:
        """Remember the last error of a payload the consumer is still retrying."""
        record.update(
            actions=[
                *_identity(record, retention_days),
                DeadLetterRecord.status.set(DeadLetterRecord.status | FAILING),
                DeadLetterRecord.error.set(error),
                DeadLetterRecord.attempts.set(attempts),
            ]
        )

    def put_dead(self, record: DeadLetterRecord, *, error: str | None, retention_days: int, now: datetime) -> None:
        """Mark a payload given up; keeps the error noted while it was retried unless one is given."""
        error_action = (
            DeadLetterRecord.error.set(error)
            if error
            else DeadLetterRecord.error.set(DeadLetterRecord.error | "gave up after the queue's retries")
        )
        record.update(
            actions=[
                *_identity(record, retention_days),
                DeadLetterRecord.status.set(DEAD),
                error_action,
                DeadLetterRecord.dead_at.set(now),
            ]
        )

    def put_refused(self, records: list[DeadLetterRecord], *, retention_days: int, now: datetime) -> None:
        """Keep alerts refused at the door, given up at once (``dead``) with the error they carry. One
        update each: a dead letter is only ever updated (the functions' roles hold no batch write)."""
        for record in records:
            record.update(
                actions=[
                    *_identity(record, retention_days),
                    DeadLetterRecord.status.set(DEAD),
                    DeadLetterRecord.error.set(record.error or "refused"),
                    DeadLetterRecord.dead_at.set(now),
                ]
            )

    def get(self, workspace: str, dead_letter_id: str) -> DeadLetterRecord:
        try:
            return DeadLetterRecord.get(workspace, dead_letter_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"dead letter {dead_letter_id} not found") from exc

    def page(
        self,
        workspace: str,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        kind: str | None = None,
        source: str | None = None,
    ) -> tuple[list[DeadLetterRecord], str | None]:
        """Newest first; never the records still being retried (`failing`)."""
        condition = DeadLetterRecord.status != FAILING
        if status is not None:
            condition &= DeadLetterRecord.status == status
        if kind is not None:
            condition &= DeadLetterRecord.kind == kind
        if source is not None:
            condition &= DeadLetterRecord.source == source
        results = DeadLetterRecord.query(
            workspace,
            filter_condition=condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, DeadLetterRecord, partition=workspace),
            page_size=max(limit, 25),
        )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)

    def count_waiting(self, workspace: str, *, limit: int) -> tuple[int, int]:
        """The records given up and not replayed yet (`dead`, `replay_failed`), as (to replay, refused): a
        ``refused`` alert (outside its key's scope) that nobody replayed is no failure to retry, so it is counted
        apart; one an admin's replay failed counts to replay. Each is counted up to ``limit`` by its own query
        (only the keys, status and kind come back), so refused alerts filling the limit never hide the backlog."""
        refused_waiting = (DeadLetterRecord.kind == "refused") & (DeadLetterRecord.status == DEAD)
        to_replay = (DeadLetterRecord.status == REPLAY_FAILED) | (
            (DeadLetterRecord.status == DEAD)
            & (DeadLetterRecord.kind.does_not_exist() | (DeadLetterRecord.kind != "refused"))
        )
        return self._count(workspace, to_replay, limit), self._count(workspace, refused_waiting, limit)

    def _count(self, workspace: str, condition, limit: int) -> int:
        results = DeadLetterRecord.query(
            workspace,
            filter_condition=condition,
            attributes_to_get=["workspace", "id"],
            limit=limit,
            page_size=min(limit, 1000),
        )
        return sum(1 for _ in results)

    def claim_replay(self, record: DeadLetterRecord, *, now: datetime) -> None:
        """Take the record for one replay (one conditional write): a ConflictError if it was
        replayed meanwhile or another replay holds it, so a payload is never ingested twice."""
        free = DeadLetterRecord.replay_claimed_at.does_not_exist() | (
            DeadLetterRecord.replay_claimed_at < now - REPLAY_LEASE
        )
        if not written(
            record.update,
            actions=[DeadLetterRecord.replay_claimed_at.set(now)],
            condition=(DeadLetterRecord.status != REPLAYED) & free,
        ):
            raise ConflictError(f"dead letter {record.id} is being replayed or was replayed")

    def release_replay(self, record: DeadLetterRecord, *, claimed_at: datetime) -> None:
        """Give back a claim taken at ``claimed_at`` (a replay that failed), unless it is gone already."""
        written(
            record.update,
            actions=[DeadLetterRecord.replay_claimed_at.remove()],
            condition=DeadLetterRecord.replay_claimed_at == claimed_at,
        )

    def mark_replayed(self, record: DeadLetterRecord, *, ok: bool, result: dict, now: datetime) -> None:
        record.update(
            actions=[
                DeadLetterRecord.status.set(REPLAYED if ok else REPLAY_FAILED),
                DeadLetterRecord.replayed_at.set(now),
                DeadLetterRecord.replay_result.set(result),
                DeadLetterRecord.updated_at.set(now),
                DeadLetterRecord.replay_claimed_at.remove(),
            ]
        )


def _identity(record: DeadLetterRecord, retention_days: int) -> list:
    return [
        DeadLetterRecord.kind.set(record.kind),
        DeadLetterRecord.source.set(record.source),
        DeadLetterRecord.body.set(record.body),
        DeadLetterRecord.body_encoding.set(record.body_encoding),
        *([DeadLetterRecord.content_type.set(record.content_type)] if record.content_type else []),
        DeadLetterRecord.received_at.set(record.received_at),
        DeadLetterRecord.updated_at.set(utcnow()),
        DeadLetterRecord.expires_at.set(int(time.time()) + retention_days * 86400),
    ]
