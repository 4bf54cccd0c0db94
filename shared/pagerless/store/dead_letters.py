"""Payloads the intake could not process: what the API lists and replays.

Keyed by workspace and a time-ordered id (newest first). A record is `failing` while the
consumer still retries (it notes the last error), `dead` once it is given up (from the DLQ, or
at once for a payload that can never be normalized), then `replayed` or `replay_failed`.
"""

import time
from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor

FAILING, DEAD, REPLAYED, REPLAY_FAILED = "failing", "dead", "replayed", "replay_failed"


class DeadLetterRecord(BaseModel):
    class Meta:
        table_name = TableName("dead_letters")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)  # "dl-<received, compact UTC>-<body hash>": sorts by time
    status = UnicodeAttribute(default=FAILING)
    kind = UnicodeAttribute(default="ingest")  # ingest | sns | raw
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

    def get(self, workspace: str, dead_letter_id: str) -> DeadLetterRecord:
        try:
            return DeadLetterRecord.get(workspace, dead_letter_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"dead letter {dead_letter_id} not found") from exc

    def page(self, workspace: str, *, limit: int, cursor: str | None) -> tuple[list[DeadLetterRecord], str | None]:
        results = DeadLetterRecord.query(
            workspace,
            filter_condition=DeadLetterRecord.status != FAILING,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, DeadLetterRecord, partition=workspace),
            page_size=max(limit, 25),
        )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)

    def mark_replayed(self, record: DeadLetterRecord, *, ok: bool, result: dict, now: datetime) -> None:
        record.update(
            actions=[
                DeadLetterRecord.status.set(REPLAYED if ok else REPLAY_FAILED),
                DeadLetterRecord.replayed_at.set(now),
                DeadLetterRecord.replay_result.set(result),
                DeadLetterRecord.updated_at.set(now),
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
