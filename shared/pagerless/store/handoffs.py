"""What the handoff check (`oncall.handoff`) records on the system table: each handoff told to its person, each
person told they are off call, and the overrides deleted while in force (whose deletion changes who is on call)."""

from datetime import UTC, datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from pagerless.clock import utcnow
from pagerless.store.base import BaseModel, Region, TableName, written
from pagerless.store.references import Write
from pagerless.store.system import SystemRecord


class OverrideDeletedNote(BaseModel):
    """An override deleted while it was in force, kept a day (the table's TTL) for the handoff check: whom its
    deletion put back on call, and its person off call, are told (`oncall.handoff`)."""

    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)  # OVERRIDES_DELETED
    sk = UnicodeAttribute(range_key=True)  # "<workspace>#<schedule>#<override>"
    data = JSONAttribute(default=dict)  # the override, and its `deleted_at`
    expires_at = NumberAttribute()  # the system table's TTL attribute (epoch seconds)


OVERRIDES_DELETED = "oncall-override-deleted"
DELETED_NOTE_SECONDS = 24 * 3600  # far past the handoff check's lookback


def deleted_note(workspace: str, schedule_id: str, override: dict, at: datetime) -> Write:
    """The note that ``override``, in force, was deleted ``at`` (`OverrideDeletedNote`), written in the transaction
    that deletes it (`references.Seen.joined`): a crash between two writes would leave the override gone and nobody
    told they are on call again, or off call."""
    note = OverrideDeletedNote(
        OVERRIDES_DELETED,
        f"{workspace}#{schedule_id}#{override['id']}",
        data={**override, "deleted_at": at.isoformat()},
        expires_at=int(at.timestamp()) + DELETED_NOTE_SECONDS,
    )
    return Write("save", note)


def deleted_overrides() -> dict[tuple[str, str], list[dict]]:
    """The overrides deleted in force in the last day, by (workspace, schedule id), each with its `deleted_at`."""
    found: dict[tuple[str, str], list[dict]] = {}
    for record in OverrideDeletedNote.query(OVERRIDES_DELETED):
        workspace, schedule_id, _ = record.sk.split("#", 2)
        found.setdefault((workspace, schedule_id), []).append(record.data)
    return found


def claim_handoff(workspace: str, schedule_id: str, at: datetime, person_id: str, data: dict) -> bool:
    """Record that the handoff at ``at`` to ``person_id`` was announced; False if it already was (idempotency). The
    person is part of the key: an override made after a handoff can put someone else on call from that moment."""
    key = f"{workspace}#{schedule_id}#{at.isoformat()}#{person_id}"
    record = SystemRecord("oncall-handoff", key, data=data, updated_at=utcnow())
    return written(record.save, condition=SystemRecord.pk.does_not_exist())


def handoff_claims(workspace: str, schedule_id: str, at: datetime) -> list[dict]:
    """What `claim_handoff` recorded for the handoff at ``at``: one per person told they are on call from then (or,
    with ``quiet``, claimed and not told: their shift was cut short before the check told it, and the off-call message
    that followed was the one they got)."""
    prefix = f"{workspace}#{schedule_id}#{at.isoformat()}#"
    return [
        r.data for r in SystemRecord.query("oncall-handoff", SystemRecord.sk.startswith(prefix), consistent_read=True)
    ]


def told_on_call(workspace: str, schedule_id: str, person_id: str, since: datetime, until: datetime) -> bool:
    """Whether `claim_handoff` recorded telling ``person_id`` they are on call from a moment in ``[since, until]``
    (their shift's start, and any moment in it they were told of since): one Query of those moments' claims."""
    prefix = f"{workspace}#{schedule_id}#"
    low, high = prefix + since.astimezone(UTC).isoformat(), prefix + until.astimezone(UTC).isoformat() + "#~"
    claims = SystemRecord.query("oncall-handoff", SystemRecord.sk.between(low, high), consistent_read=True)
    return any(claim.data.get("person_id") == person_id for claim in claims)


def claim_off_call(workspace: str, schedule_id: str, at: datetime, person_id: str, data: dict) -> bool:
    """Record that ``person_id`` was told they are off call from ``at``; False if they already were."""
    record = SystemRecord("oncall-off-call", f"{workspace}#{schedule_id}#{at.isoformat()}#{person_id}", data=data)
    return written(record.save, condition=SystemRecord.pk.does_not_exist())
