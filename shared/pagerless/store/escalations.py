"""Escalation state on the system table: one record per escalation (one Step Functions execution), with its
own attributes because stopping and paging race and are decided by conditional writes."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.store.base import BaseModel, Region, TableName, lost_race, written
from pagerless.store.incident_records import IncidentRecord
from pagerless.store.sweeps import ESCALATION, GAVE_UP_LIVE, RUNNING_ESCALATION, Sweeps, notice_due
from pagerless.store.system import SystemRepository
from pagerless.store.timeline import TimelineRecord

# the system item that says the escalations a version without the `sweeps` index left waiting have their keys
UNSTARTED_KEYED = ("migration", "system.sweeps.escalation")
# the one that says the escalations a version without the running keys left running have their keys
RUNNING_KEYED = ("migration", "system.sweeps.escalation-running")
# the `sweep` kind a version before `GivenUpEntry` kept a given-up escalation under (until its incident was taken),
# the system item that says none is left, and how many the escalation sweep releases in one run
OLD_GIVEN_UP = "escalation-gave-up"
OLD_GIVEN_UP_RELEASED = ("migration", "system.sweeps.escalation-gave-up")
OLD_GIVEN_UP_BATCH = 25


class EscalationRecord(BaseModel):
    """One escalation (one Step Functions execution): pk ``escalation#<incident>``, sk the generation."""

    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    incident_id = UnicodeAttribute()
    workspace = UnicodeAttribute()
    kind = UnicodeAttribute(default="incident")  # incident | approval
    status = UnicodeAttribute(default="running")  # running | stopped | ended
    policy = JSONAttribute(default=dict)  # the policy as it was when the escalation started
    execution_name = UnicodeAttribute()
    execution_arn = UnicodeAttribute(null=True)
    pages = JSONAttribute(default=list)  # [{"generation", "at", "targets", "held", "held_until"?, "missing"?, ...}]
    cursor = JSONAttribute(null=True)  # {"step", "repeat"} it started at (a resume without a page starts there)
    paged_count = NumberAttribute(default=0)
    # the generation of the last page claimed and not queued yet (a tick that died between its claim and its
    # `escalation.page` job: a resume pages that step again, `engine.next_step`); None: queued, or stored before
    unqueued = UnicodeAttribute(null=True)
    resumes = NumberAttribute(default=0)  # how many times the escalation sweep resumed it (`oncall.sweep`)
    reason = UnicodeAttribute(default="")
    started_at = UTCDateTimeAttribute(default=utcnow)
    ended_at = UTCDateTimeAttribute(null=True)
    # while it runs, its entry in the system table's sparse `sweeps` index, with when its record was written:
    # ESCALATION until its execution is stored (the escalation sweep's), then RUNNING_ESCALATION (set_arn,
    # hand_over); finish, the one write that ends it, removes them. The reconciler reads both kinds (`running`)
    sweep = UnicodeAttribute(null=True)
    sweep_since = UTCDateTimeAttribute(null=True)
    by_sweep = Sweeps()
    # the escalation sweep gave up on it and its `GivenUpEntry` lists it on the status page (`settle` removes both)
    given_up_listed = BooleanAttribute(null=True)


GIVEN_UP = "escalation-given-up#"  # + the workspace: the partition of its `GivenUpEntry` items
GIVEN_UP_LISTED = 50  # the status page lists the oldest 50 given-up escalations of a workspace, and says if more


class GivenUpEntry(BaseModel):
    """An escalation the sweep gave up on, on its workspace's status page until a person acknowledges or resolves its
    incident: pk ``escalation-given-up#<workspace>``, sk ``<incident>#<generation>``. One partition per workspace, so
    the page reads them in one Query, with what it shows (no read of the escalations themselves)."""

    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    incident_id = UnicodeAttribute()
    generation = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    stopped_at = UTCDateTimeAttribute()


_UNKEYED = (EscalationRecord.sweep.remove(), EscalationRecord.sweep_since.remove())


def _keyed(kind: str, record: EscalationRecord) -> tuple:
    return (EscalationRecord.sweep.set(kind), EscalationRecord.sweep_since.set(record.started_at))


class EscalationRepository:
    def create(self, record: EscalationRecord) -> bool:
        """Write a new escalation, waiting for its execution; False if its generation exists."""
        record.sweep, record.sweep_since = ESCALATION, record.started_at
        return written(record.save, condition=EscalationRecord.pk.does_not_exist())

    def get(self, incident_id: str, generation: str) -> EscalationRecord | None:
        try:
            return EscalationRecord.get(f"escalation#{incident_id}", generation, consistent_read=True)
        except DoesNotExist:
            return None

    def for_incident(self, incident_id: str) -> list[EscalationRecord]:
        return list(EscalationRecord.query(f"escalation#{incident_id}", consistent_read=True))

    def set_arn(self, record: EscalationRecord, arn: str) -> bool:
        """Store the ARN of the escalation's execution (a running one moves to the reconciler's entries of
        `sweeps`; one stopped or ended meanwhile gets none); False if a concurrent start stored it first."""
        unstarted = EscalationRecord.execution_arn.does_not_exist()
        if self._update(
            record,
            [EscalationRecord.execution_arn.set(arn), *_keyed(RUNNING_ESCALATION, record)],
            unstarted & (EscalationRecord.status == "running"),
        ):
            return True
        return self._update(record, [EscalationRecord.execution_arn.set(arn), *_UNKEYED], unstarted)

    def running(self) -> list[EscalationRecord]:
        """Every escalation still running, of every incident: the reconciler's. A query of the sparse `sweeps`
        index for the two kinds only a running escalation has (waiting for its execution, or with it), each
        read back whole and consistently (the index is eventually consistent and KEYS_ONLY), after the one
        look for those a version without the running keys left (`key_running`)."""
        self.key_running()
        keys = [
            *EscalationRecord.by_sweep.query(ESCALATION),
            *EscalationRecord.by_sweep.query(RUNNING_ESCALATION),
        ]
        found = (self.get(key.pk.removeprefix("escalation#"), key.sk) for key in keys)
        return [record for record in found if record is not None and record.status == "running"]

    def with_executions(self) -> list[EscalationRecord]:
        """Every escalation running with its execution (a query of the sparse `sweeps` index for
        ``RUNNING_ESCALATION``), read back whole and consistently: the escalation sweep's, which asks
        Step Functions about the overdue ones. Those a version without the running keys left are the
        reconciler's to key (`key_running`), not the sweep's: a sweep scans nothing."""
        keys = EscalationRecord.by_sweep.query(RUNNING_ESCALATION)
        found = (self.get(key.pk.removeprefix("escalation#"), key.sk) for key in keys)
        return [record for record in found if record is not None and record.status == "running"]

    def awaiting_start(self, before: datetime) -> list[EscalationRecord]:
        """Escalations written before ``before`` that still have no execution (a query of the sparse
        `sweeps` index for ``ESCALATION``: only those are in it), read back whole."""
        self.key_unstarted()
        keys = EscalationRecord.by_sweep.query(ESCALATION, EscalationRecord.sweep_since < before)
        found = (self.get(key.pk.removeprefix("escalation#"), key.sk) for key in keys)
        return [record for record in found if record is not None]

    def key_unstarted(self) -> int:
        """Once per table: give the sweep keys to the escalations a version without the `sweeps` index
        left running without an execution, so that `awaiting_start` finds them; one full scan of the
        system table, then a system item says it is done. The number of escalations it keyed."""
        return self._key_once(UNSTARTED_KEYED, EscalationRecord.execution_arn.does_not_exist())

    def key_running(self) -> int:
        """Once per table: give their keys to the escalations a version without them left running (with an
        execution: ``RUNNING_ESCALATION``; without: ``ESCALATION``), so that `running` finds them; one full
        scan of the system table, then a system item says it is done. The number of escalations it keyed."""
        return self._key_once(RUNNING_KEYED)

    def _key_once(self, done: tuple[str, str], which=None) -> int:
        if SystemRepository().get(*done) is not None:
            return 0
        keyless = (
            EscalationRecord.pk.startswith("escalation#")
            & (EscalationRecord.status == "running")
            & EscalationRecord.sweep.does_not_exist()
        )
        keyed = 0
        for record in EscalationRecord.scan(keyless if which is None else keyless & which):
            started = record.execution_arn is not None
            arn = (
                EscalationRecord.execution_arn.exists() if started else EscalationRecord.execution_arn.does_not_exist()
            )
            # conditional: one started, stopped, ended or keyed since the scan read it is left as it is
            condition = (EscalationRecord.status == "running") & arn & EscalationRecord.sweep.does_not_exist()
            keyed += self._update(
                record, list(_keyed(RUNNING_ESCALATION if started else ESCALATION, record)), condition
            )
        SystemRepository().put(*done, {"keyed": keyed})
        return keyed

    @staticmethod
    def _update(record: EscalationRecord, actions: list, condition) -> bool:
        """One conditional update of ``record``; False if its condition failed."""
        return written(record.update, actions=actions, condition=condition)

    def hand_over(
        self,
        record: EscalationRecord,
        name: str,
        arn: str,
        *,
        pages: int | None = None,
        from_arn: str | None = None,
        resumed: bool = False,
    ) -> bool:
        """The escalation belongs to execution ``name`` from now on (its acknowledge stops that one);
        False if it stopped meanwhile (or, given ``pages``, paged more than that many pages; given ``from_arn``,
        was handed from that execution to another). ``resumed``: the escalation sweep resumed it (one more of
        its ``resumes``)."""
        condition = EscalationRecord.status == "running"
        if pages is not None:
            condition &= EscalationRecord.paged_count == pages
        if from_arn is not None:
            condition &= EscalationRecord.execution_arn == from_arn
        return written(
            record.update,
            actions=[
                EscalationRecord.execution_name.set(name),
                EscalationRecord.execution_arn.set(arn),
                *_keyed(RUNNING_ESCALATION, record),
                *((EscalationRecord.resumes.add(1),) if resumed else ()),
            ],
            condition=condition,
        )

    def claim_page(self, record: EscalationRecord, page: dict, *, unqueued: bool = False) -> bool:
        """Append a page only while the escalation still runs (a stop written first wins) and still belongs to the
        execution it belonged to when ``record`` was read (one handed over since pages nothing). ``unqueued``: the
        page has something to send, and is marked not queued until `queued` says it was."""
        return written(
            record.update,
            actions=[
                EscalationRecord.pages.set([*(record.pages or []), page]),
                EscalationRecord.paged_count.add(1),
                EscalationRecord.unqueued.set(page["generation"]) if unqueued else EscalationRecord.unqueued.remove(),
            ],
            condition=(EscalationRecord.status == "running")
            & (EscalationRecord.paged_count == len(record.pages or []))
            & (EscalationRecord.execution_name == record.execution_name),
        )

    def queued(self, record: EscalationRecord, generation: str) -> bool:
        """The page of ``generation`` was queued (its job is on NotifyQueue): its mark goes; False if it had none."""
        return written(
            record.update,
            actions=[EscalationRecord.unqueued.remove()],
            condition=EscalationRecord.unqueued == generation,
        )

    def give_up(self, record: EscalationRecord, reason: str, at: datetime, entry: TimelineRecord) -> bool:
        """Stop a running escalation the sweep will not resume again (`finish`) ``at``, with ``entry``, its
        ``escalation_gave_up`` timeline entry, its `GivenUpEntry` on the status page (until its incident is
        acknowledged or resolved: `settle`), and the notice marker of the entry's live event (``GAVE_UP_LIVE``: the
        caller deletes it once the event is on the stream, else the notice sweep sends it) in one transaction: a
        sweep that dies writes all or none (the next one finds the escalation running and gives up again), so the
        stop is said once and no later sweep has to look for a stop not said. False, and nothing written, if it was
        not running or was handed to another execution since ``record`` was read."""
        stop = [
            EscalationRecord.status.set("stopped"),
            EscalationRecord.reason.set(reason[:500]),
            EscalationRecord.ended_at.set(at),
            EscalationRecord.given_up_listed.set(True),
            *_UNKEYED,
        ]
        listed = GivenUpEntry(
            f"{GIVEN_UP}{record.workspace}",
            f"{record.incident_id}#{record.sk}",
            incident_id=record.incident_id,
            generation=record.sk,
            reason=reason[:500],
            stopped_at=at,
        )
        running = (EscalationRecord.status == "running") & (EscalationRecord.execution_arn == record.execution_arn)
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, EscalationRecord))) as tx:
                tx.update(record, actions=stop, condition=running)
                tx.save(entry, condition=TimelineRecord.sk.does_not_exist())
                tx.save(listed)
                tx.save(notice_due(record.incident_id, GAVE_UP_LIVE, at).marker)
        except TransactWriteError as exc:  # PynamoDB sends the three puts first, then the update
            if lost_race(exc, 3):  # stopped or handed over meanwhile
                return False
            raise
        return True

    def given_up(self, workspace: str, limit: int = GIVEN_UP_LISTED) -> tuple[list[GivenUpEntry], bool]:
        """The workspace's escalations the sweep gave up on whose incident nobody acknowledged or resolved since
        (`give_up`), the first ``limit`` by incident, and whether there are more: one Query of its partition."""
        found = list(GivenUpEntry.query(f"{GIVEN_UP}{workspace}", limit=limit + 1))
        return found[:limit], len(found) > limit

    def settle(self, record: EscalationRecord) -> bool:
        """A given-up escalation whose incident a person acknowledged or resolved leaves the status page: its mark
        and its `GivenUpEntry` go in one transaction; False if it was not listed (settled meanwhile)."""
        listed = GivenUpEntry(f"{GIVEN_UP}{record.workspace}", f"{record.incident_id}#{record.sk}")
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, EscalationRecord))) as tx:
                tx.update(
                    record,
                    actions=[EscalationRecord.given_up_listed.remove()],
                    condition=EscalationRecord.given_up_listed == True,  # noqa: E712 — a condition, not a test
                )
                tx.delete(listed)
        except TransactWriteError as exc:  # PynamoDB sends the delete first, then the update
            if lost_race(exc, 1):  # settled meanwhile
                return False
            raise
        return True

    def finish(self, record: EscalationRecord, status: str, reason: str) -> bool:
        """Move a running escalation to ``stopped`` or ``ended``; False if it was not running."""
        return written(
            record.update,
            actions=[
                EscalationRecord.status.set(status),
                EscalationRecord.reason.set(reason[:500]),
                EscalationRecord.ended_at.set(utcnow()),
                *_UNKEYED,
            ],
            condition=EscalationRecord.status == "running",
        )

    def release_old_given_up(self, batch: int = OLD_GIVEN_UP_BATCH) -> int:
        """Move the escalations a version before `GivenUpEntry` gave up on (kept under ``OLD_GIVEN_UP`` in `sweeps`,
        which nothing read or released any more) out of the index: one still untaken (its incident open and not
        acknowledged) onto the status page, as `give_up` lists one; one whose incident was taken off it. At most
        ``batch`` a run (one Query of the index, a GetItem and a transaction each); when a run finds fewer, a system
        item says none is left and later runs read nothing. The number moved."""
        if SystemRepository().get(*OLD_GIVEN_UP_RELEASED) is not None:
            return 0
        keys = list(EscalationRecord.by_sweep.query(OLD_GIVEN_UP, limit=batch))
        moved, raced = 0, False
        for key in keys:
            record = self.get(key.pk.removeprefix("escalation#"), key.sk)
            if record is not None and record.sweep == OLD_GIVEN_UP:  # the index may lag a release
                released = self._release_old(record)
                moved, raced = moved + released, raced or not released
        if len(keys) < batch and not raced:
            SystemRepository().put(*OLD_GIVEN_UP_RELEASED, {"released": moved})
        return moved

    def _release_old(self, record: EscalationRecord) -> bool:
        """List ``record`` (given up under ``OLD_GIVEN_UP``) on the status page if its incident is untaken, in one
        transaction with that check of the incident, else only leave the index; False if released meanwhile."""
        old = EscalationRecord.sweep == OLD_GIVEN_UP
        untaken = (
            IncidentRecord.id.exists()
            & (IncidentRecord.status != IncidentStatus.RESOLVED.value)
            & (IncidentRecord.acknowledged.does_not_exist() | (IncidentRecord.acknowledged == False))  # noqa: E712
        )
        listed = GivenUpEntry(
            f"{GIVEN_UP}{record.workspace}",
            f"{record.incident_id}#{record.sk}",
            incident_id=record.incident_id,
            generation=record.sk,
            reason=record.reason or "",
            stopped_at=record.ended_at or record.sweep_since or utcnow(),
        )
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, EscalationRecord))) as tx:
                tx.update(record, actions=[EscalationRecord.given_up_listed.set(True), *_UNKEYED], condition=old)
                tx.condition_check(IncidentRecord, record.incident_id, condition=untaken)
                tx.save(listed)
            return True
        except TransactWriteError as exc:  # PynamoDB sends condition checks first, then puts, then updates
            if lost_race(exc, 2):  # released, or changed, meanwhile: a later run reads it again
                return False
            if not lost_race(exc, 0):
                raise
        return written(record.update, actions=list(_UNKEYED), condition=old)  # taken: it leaves the index only
