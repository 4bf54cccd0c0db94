"""The system table's `sweeps` index, and the flap markers in it.

`sweeps` is sparse and KEYS_ONLY: only an item a scheduled sweep (or the restart reconciler) has to look
at carries `sweep` (its kind) and `sweep_since`: an escalation still waiting for its execution
(``ESCALATION``, `store.escalations.EscalationRecord`), an escalation running with its execution
(``RUNNING_ESCALATION``: the reconciler's, which reads both escalation kinds), the marker of an incident
flapping now (``FLAP``, `FlapMarker`) and a runbook job parked on a step's approval (``WAIT``, since its
deadline: `store.jobs.JobRecord`, the approval sweep's) and a notice an incident change owes its chat cards
(``NOTICE``, `NoticeMarker`: the escalation sweep's).
One index for both because a stack update can create at most one GSI per table (docs/writes.md).

A flap marker (pk ``flap``, sk the incident's id) exists while its incident is marked flapping and not
resolved: it is put in the transaction that marks the flap (the reopen) and deleted in the one that
clears the mark (the settle run, a reopen that is not a flap) and in a resolve of a flapping incident.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.store.base import BaseModel, Region, TableName, lost_race
from pagerless.store.incident_records import IncidentRecord

ESCALATION, RUNNING_ESCALATION, FLAP = "escalation", "escalation-running", "flap"  # the kinds of `sweep`
WAIT, NOTICE = "runbook-wait", "notice"
FIRST_EPISODE = "first"  # a notice marker's ``episode`` when the incident had not reopened before its change
# a notice marker's ``event`` for a live event owed rather than a notification job: the stream event of the
# ``escalation_gave_up`` timeline entry the escalation sweep's give-up transaction stores (`EscalationRepository.give_up`)
GAVE_UP_LIVE = "escalation_gave_up"


class Sweeps(GlobalSecondaryIndex):
    """Sparse: only what a sweep has to look at carries its keys (docs/writes.md)."""

    class Meta:
        index_name = "sweeps"
        projection = KeysOnlyProjection()

    # the kind: ESCALATION, RUNNING_ESCALATION, FLAP, WAIT or NOTICE
    sweep = UnicodeAttribute(hash_key=True)
    sweep_since = UTCDateTimeAttribute(range_key=True)


class FlapMarker(BaseModel):
    """An incident marked flapping and not resolved: the flap sweep's entry for it."""

    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True, default=FLAP)
    sk = UnicodeAttribute(range_key=True)  # the incident's id
    workspace = UnicodeAttribute(null=True)
    sweep = UnicodeAttribute(null=True, default=FLAP)
    sweep_since = UTCDateTimeAttribute(null=True)  # when it was marked flapping
    by_sweep = Sweeps()


class NoticeMarker(BaseModel):
    """A notification job an incident's change owes (its reopen's or its resolve's, `incidents.notices`): put in the
    change's transaction, deleted once the job is on NotifyQueue; one still here after the grace is queued by the
    sweep (a transactional outbox: a process that died between the two, or SQS refusing the job, loses nothing)."""

    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True, default=NOTICE)
    # "<incident id>|<event>|<the change's time>" (`notice_key`): one per change, so a later change's marker (a second
    # resolve, after a reopen) does not overwrite an earlier one still owed; "<incident id>|<event>": put by a version
    # that kept one per incident and event, read and deleted as any other (by its own key)
    sk = UnicodeAttribute(range_key=True)
    incident_id = UnicodeAttribute()
    event = UnicodeAttribute()
    at = UTCDateTimeAttribute()  # the change's time (the incident's `resolved_at` or `reopened_at`)
    announced_by = UnicodeAttribute(null=True)  # who the resolve is told to be by
    # the episode a resolve ended (the incident's last reopen before it, ISO 8601; FIRST_EPISODE: it had not
    # reopened), whose page cards its notice closes even when it is stale (`incidents.notice_sweep`). None: a marker
    # put by a version before it (not known)
    episode = UnicodeAttribute(null=True)
    sweep = UnicodeAttribute(null=True, default=NOTICE)
    sweep_since = UTCDateTimeAttribute(null=True)
    by_sweep = Sweeps()


@dataclass(frozen=True)
class MarkerChange:
    """A marker (a flap's, a notice's) put (``put``) or deleted in the transaction of the incident change it
    follows (`IncidentRepository.set_status` takes it among its ``actions``)."""

    marker: BaseModel
    put: bool


def mark(incident_id: str, workspace: str, since: datetime) -> MarkerChange:
    return MarkerChange(FlapMarker(FLAP, incident_id, workspace=workspace, sweep=FLAP, sweep_since=since), put=True)


def unmark(incident_id: str) -> MarkerChange:
    return MarkerChange(FlapMarker(FLAP, incident_id), put=False)


def marked_ids() -> list[str]:
    """The ids of the incidents that have a flap marker (of every workspace), from the index (which
    may lag: read the incidents consistently after)."""
    return [entry.sk for entry in FlapMarker.by_sweep.query(FLAP)]


def mark_unless_settled(record: IncidentRecord) -> bool:
    """Put the marker of ``record`` if it is still flapping and not resolved, and has none yet (one
    transaction with that check of the incident); False otherwise."""
    since = record.flap_fired_at or record.reopened_at or record.updated_at or utcnow()
    try:
        with TransactWrite(connection=Connection(region=Region().__get__(None, FlapMarker))) as tx:
            tx.condition_check(
                IncidentRecord,
                record.id,
                condition=(IncidentRecord.flapping == True)  # noqa: E712
                & (IncidentRecord.status != IncidentStatus.RESOLVED.value),
            )
            tx.save(mark(record.id, record.workspace, since).marker, condition=FlapMarker.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_race(exc):
            return False
        raise
    return True


def drop_if_stale(incident_id: str) -> bool:
    """Delete the marker of an incident that is gone, resolved or not flapping (one transaction with that
    check of the incident: a flap's reopen that marks it again meanwhile keeps its marker); False if the
    incident is a flap again (or still)."""
    stale = (
        IncidentRecord.id.does_not_exist()
        | (IncidentRecord.status == IncidentStatus.RESOLVED.value)
        | IncidentRecord.flapping.does_not_exist()
        | (IncidentRecord.flapping == False)  # noqa: E712
    )
    try:
        with TransactWrite(connection=Connection(region=Region().__get__(None, FlapMarker))) as tx:
            tx.condition_check(IncidentRecord, incident_id, condition=stale)
            tx.delete(unmark(incident_id).marker)
    except TransactWriteError as exc:
        if lost_race(exc):
            return False
        raise
    return True


def notice_due(
    incident_id: str, event: str, at: datetime, announced_by: str | None = None, episode: datetime | None = None
) -> MarkerChange:
    """The marker of the notice ``event`` the incident's change at ``at`` owes (put in that change's transaction);
    ``episode``: the incident's last reopen as the change found it (None: it had not reopened)."""
    marker = NoticeMarker(
        NOTICE,
        notice_key(incident_id, event, at),
        incident_id=incident_id,
        event=event,
        at=at,
        announced_by=announced_by,
        episode=episode.isoformat() if episode else FIRST_EPISODE,
        sweep=NOTICE,
        sweep_since=at,
    )
    return MarkerChange(marker, put=True)


def notice_key(incident_id: str, event: str, at: datetime) -> str:
    """The key of the marker of the notice ``event`` that the incident's change at ``at`` owes."""
    return f"{incident_id}|{event}|{at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def notice_sent(incident_id: str, event: str, at: datetime) -> bool:
    """Delete the marker of the notice of the change at ``at`` (its job is queued, or nothing is owed any more);
    another change's marker stays. False if there was none of that change."""
    return _delete_notice(notice_key(incident_id, event, at), at)


def notice_cleared(marker: NoticeMarker) -> bool:
    """Delete ``marker`` as the sweep read it (by its own key: one an older version put has the older key)."""
    return _delete_notice(marker.sk, marker.at)


def notice_owed(incident_id: str, event: str, at: datetime) -> bool:
    """Whether the marker of the notice of the change at ``at`` is still there (a consistent read, no write)."""
    try:
        NoticeMarker.get(NOTICE, notice_key(incident_id, event, at), consistent_read=True, attributes_to_get=["sk"])
    except NoticeMarker.DoesNotExist:
        return False
    return True


def _delete_notice(key: str, at: datetime) -> bool:
    try:
        NoticeMarker(NOTICE, key).delete(condition=NoticeMarker.at == at)
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def notices_due(before: datetime) -> list[NoticeMarker]:
    """The notice markers put before ``before``, oldest first (the index is KEYS_ONLY and eventually consistent:
    each is read again consistently; one deleted meanwhile is left out)."""
    keys = [entry.sk for entry in NoticeMarker.by_sweep.query(NOTICE, NoticeMarker.sweep_since < before)]
    found = []
    for key in keys:
        try:
            found.append(NoticeMarker.get(NOTICE, key, consistent_read=True))
        except NoticeMarker.DoesNotExist:
            continue
    return found
