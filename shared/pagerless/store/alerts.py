"""Alert fingerprint state: one item per (workspace, source, fingerprint).

The item is the dedup lock. Every change is one conditional UpdateItem, never read-then-write:
- ``touch_firing``: a duplicate of a firing alert (condition: state = firing);
- ``opening``: a never-seen alert's item is put with its new incident in one transaction (the
  item's absence is the lock: one of concurrent first deliveries wins);
- ``claim``: the first delivery of a re-firing alert (or a new one, without ``opening``) takes the item (condition: absent,
  resolved, or a stale claim), so exactly one delivery opens or reopens the incident;
- ``finalize`` / ``release``: the claim's owner records the outcome or gives the claim back;
- ``resolving``: a resolve (condition: state = firing), appending to the flap history, made in one
  transaction with the incident's side of it (``mark_resolved``: alone, when its incident is gone);
- ``remember_resolve``: the resolve of an alert never seen is kept (a resolved item), so a
  dead-lettered firing from before it, replayed later, is stale; the item expires (``expires_at``,
  the table's TTL attribute) once no such firing can arrive any more, and a claim takes the expiry
  off (the alert fires here again: its item lives as long as any other).

Duplicates are counted here only (``pending``: duplicates the incident has not been told of);
``fold`` moves them onto the incident at most once a minute per alert, and at resolve time, in
one transaction. Readers add the pending count (``pending_for``), so counts stay exact.

The item, its index and ``DeliveryMark`` are ``pagerless.store.alert_records``.
"""

import uuid
from datetime import datetime, timedelta

from pynamodb.connection import Connection
from pynamodb.constants import KEY
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from pagerless.store.alert_records import CLAIMING as CLAIMING
from pagerless.store.alert_records import FIRING as FIRING
from pagerless.store.alert_records import RESOLVED as RESOLVED
from pagerless.store.alert_records import AlertRecord as AlertRecord
from pagerless.store.alert_records import DeliveryMark as DeliveryMark
from pagerless.store.alert_records import Pending as Pending
from pagerless.store.alert_records import alert_key as alert_key
from pagerless.store.base import Region, best_effort, decode_cursor, encode_cursor, lost_race, written
from pagerless.store.incidents import Alongside, AlongsideUpdate, IncidentRecord


def _not_replayed(mark: DeliveryMark, earlier: tuple[DeliveryMark, ...] = ()):
    if not earlier:
        return AlertRecord.delivery.does_not_exist() | (AlertRecord.delivery != mark.key)
    return AlertRecord.delivery.does_not_exist() | ~AlertRecord.delivery.is_in(mark.key, *(m.key for m in earlier))


def _not_stale(mark: DeliveryMark):
    return AlertRecord.changed_at.does_not_exist() | (AlertRecord.changed_at <= mark.at)


def _marked(mark: DeliveryMark | None, *, state: bool) -> list:
    if mark is None:
        return []
    return [AlertRecord.delivery.set(mark.key), *([AlertRecord.changed_at.set(mark.at)] if state else [])]


def _resolve_change(now: datetime, alert: dict, mark: DeliveryMark | None) -> tuple[list, object]:
    """What a resolve writes on the alert item, and its condition (firing; with ``mark``, not stale)."""
    actions = [
        AlertRecord.state.set(RESOLVED),
        AlertRecord.resolved_at.set(now),
        AlertRecord.resolve_count.add(1),
        AlertRecord.last_seen.set(now),
        AlertRecord.flap_history.set((AlertRecord.flap_history | []).append([int(now.timestamp())])),
        AlertRecord.alert.set(alert),
        *_marked(mark, state=True),
    ]
    firing = AlertRecord.state == FIRING
    return actions, firing if mark is None else firing & _not_stale(mark)


class AlertRepository:
    def get(self, key: str) -> AlertRecord | None:
        try:
            return AlertRecord.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def get_many(self, keys: list[str]) -> list[AlertRecord]:
        """The alerts of ``keys`` that exist, read consistently (BatchGetItem: up to 100 keys a call)."""
        return list(AlertRecord.batch_get(keys, consistent_read=True)) if keys else []

    def touch_firing(
        self, key: str, now: datetime, mark: DeliveryMark | None = None, earlier: tuple[DeliveryMark, ...] = ()
    ) -> AlertRecord | None:
        """Count a duplicate of a firing alert — with ``earlier``, that many more deliveries of it
        (one batch's, counted in this one write); None unless the alert is firing with an incident
        (and, with ``mark``, unless one of these deliveries was the last applied)."""
        record = AlertRecord(key)
        condition = (AlertRecord.state == FIRING) & AlertRecord.incident_id.exists()
        count = 1 + len(earlier)
        if not written(
            record.update,
            actions=[
                AlertRecord.fire_count.add(count),
                AlertRecord.pending.add(count),
                AlertRecord.last_seen.set(now),
                *_marked(mark, state=False),
            ],
            condition=condition if mark is None else condition & _not_replayed(mark, earlier),
        ):
            return None
        return record

    def claim(
        self,
        key: str,
        *,
        workspace: str,
        source: str,
        fingerprint: str,
        now: datetime,
        stale_after: timedelta,
        mark: DeliveryMark | None = None,
    ) -> AlertRecord | None:
        """Take the item to open or reopen an incident; None if another delivery holds it (or,
        with ``mark``, if a later delivery changed its state)."""
        record = AlertRecord(key)
        condition = (
            AlertRecord.pk.does_not_exist()
            | (AlertRecord.state == RESOLVED)
            | ((AlertRecord.state == CLAIMING) & (AlertRecord.claimed_at < now - stale_after))
        )
        if not written(
            record.update,
            actions=[
                AlertRecord.state.set(CLAIMING),
                AlertRecord.claim_token.set(uuid.uuid4().hex),
                AlertRecord.claimed_at.set(now),
                AlertRecord.generation.add(1),
                AlertRecord.fire_count.add(1),
                AlertRecord.last_seen.set(now),
                AlertRecord.first_seen.set(AlertRecord.first_seen | now),
                AlertRecord.workspace.set(workspace),
                AlertRecord.source.set(source),
                AlertRecord.fingerprint.set(fingerprint),
                AlertRecord.flap_history.set(AlertRecord.flap_history | []),
                AlertRecord.expires_at.remove(),  # a kept resolve's item is a live alert's now
                *_marked(mark, state=True),
            ],
            condition=condition if mark is None else condition & _not_stale(mark),
        ):
            return None
        return record

    def opening(
        self,
        key: str,
        *,
        workspace: str,
        alert: dict,
        incident_id: str,
        now: datetime,
        mark: DeliveryMark | None = None,
    ) -> Alongside:
        """The item of an alert never seen before, firing and already belonging to ``incident_id``,
        to be put with the new incident in one transaction (`IncidentRepository.add`): the claim
        and its finalize in one write. Its condition (the item does not exist) is the dedup lock:
        of concurrent first deliveries, one transaction wins; the others find a firing alert."""
        item = AlertRecord(
            key,
            workspace=workspace,
            source=alert.get("source", ""),
            fingerprint=alert.get("fingerprint", ""),
            state=FIRING,
            incident_id=incident_id,
            claimed_at=now,
            generation=1,
            fire_count=1,
            resolve_count=0,
            first_seen=now,
            last_seen=now,
            flap_history=[],
            title=alert.get("title", ""),
            severity=alert.get("severity", "warning"),
            alert=alert,
            folded_at=now,
            delivery=mark.key if mark else None,
            changed_at=mark.at if mark else None,
        )
        return Alongside(item, AlertRecord.pk.does_not_exist())

    def finalize(self, claim: AlertRecord, incident_id: str, alert: dict, flap_history: list[int]) -> None:
        """The claim's owner records the incident the alert now belongs to."""
        claim.update(
            actions=[
                AlertRecord.state.set(FIRING),
                AlertRecord.incident_id.set(incident_id),
                AlertRecord.claim_token.remove(),
                AlertRecord.resolved_at.remove(),
                AlertRecord.title.set(alert.get("title", "")),
                AlertRecord.severity.set(alert.get("severity", "warning")),
                AlertRecord.alert.set(alert),
                AlertRecord.flap_history.set(flap_history),
                AlertRecord.folded_at.set(claim.claimed_at),
            ],
            condition=AlertRecord.claim_token == claim.claim_token,
        )

    def release(self, claim: AlertRecord, mark: DeliveryMark | None = None) -> None:
        """Give a claim back after a failure, so a retry can take it at once (best effort), with the
        ``mark`` the claim wrote: the delivery was not applied, and its retry must not find it so."""
        previous = RESOLVED if claim.incident_id else None
        # a claim not given back goes stale and is taken over instead
        if previous is None:
            best_effort(
                "giving an alert claim back", claim.delete, condition=AlertRecord.claim_token == claim.claim_token
            )
            return
        best_effort(
            "giving an alert claim back",
            claim.update,
            actions=[
                AlertRecord.state.set(RESOLVED),
                AlertRecord.claim_token.remove(),
                AlertRecord.generation.add(-1),
                AlertRecord.fire_count.add(-1),  # the claim counted the firing; its retry will
                *([AlertRecord.delivery.remove()] if mark is not None else []),
            ],
            condition=AlertRecord.claim_token == claim.claim_token,
        )

    def resolving(
        self, key: str, now: datetime, alert: dict, mark: DeliveryMark | None = None, *, incident_id: str
    ) -> AlongsideUpdate:
        """The resolve of a firing alert of ``incident_id``, to be made in one transaction with the
        incident's side of it (`IncidentLifecycle.alert_resolved`): refused unless the alert still
        fires for that incident (and, with ``mark``, unless a later delivery changed its state)."""
        actions, condition = _resolve_change(now, alert, mark)
        return AlongsideUpdate(AlertRecord(key), actions, condition & (AlertRecord.incident_id == incident_id))

    def mark_resolved(
        self, key: str, now: datetime, alert: dict, mark: DeliveryMark | None = None
    ) -> AlertRecord | None:
        """Resolve a firing alert alone (its incident is gone); None unless it was firing (and, with
        ``mark``, unless a later delivery changed its state)."""
        record = AlertRecord(key)
        actions, condition = _resolve_change(now, alert, mark)
        if not written(record.update, actions=actions, condition=condition):
            return None
        return record

    def remember_resolve(
        self, key: str, *, workspace: str, alert: dict, now: datetime, mark: DeliveryMark, keep_until: datetime
    ) -> None:
        """Keep the resolve of an alert never seen (its firing was lost, or is a dead letter not
        replayed yet): a resolved item with the resolve's mark, so that a firing delivered before
        it and replayed later is stale and opens nothing, until ``keep_until`` (the TTL: after it no
        such firing can arrive). Best effort: nothing if an item exists."""
        item = AlertRecord(
            key,
            workspace=workspace,
            source=alert.get("source", ""),
            fingerprint=alert.get("fingerprint", ""),
            state=RESOLVED,
            generation=0,
            fire_count=0,
            resolve_count=1,
            resolved_at=now,
            last_seen=now,
            flap_history=[],
            title=alert.get("title", ""),
            severity=alert.get("severity", "warning"),
            alert=alert,
            delivery=mark.key,
            changed_at=mark.at,
            expires_at=int(keep_until.timestamp()),
        )
        written(item.save, condition=AlertRecord.pk.does_not_exist())

    def resolve_for_incident(self, incident_id: str, now: datetime) -> int:
        """Mark every firing alert of an incident resolved (a person resolved the incident)."""
        count = 0
        for key in AlertRecord.by_incident.query(incident_id):
            if written(
                AlertRecord(key.pk).update,
                actions=[AlertRecord.state.set(RESOLVED), AlertRecord.resolved_at.set(now)],
                condition=AlertRecord.state == FIRING,
            ):
                count += 1
        return count

    def for_incident(self, incident_id: str, limit: int = 200) -> list[AlertRecord]:
        """The alerts of an incident (the index holds keys only: the items are read after)."""
        return self._read(incident_id, [key.pk for key in AlertRecord.by_incident.query(incident_id, limit=limit)])

    def page_for_incident(
        self, incident_id: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[AlertRecord], str | None]:
        """A page of `for_incident`, in key order: ``limit`` alerts after ``cursor``, and the next page's cursor
        (None on the last; a bad cursor is a ValidationError). One key more than ``limit`` is read, so the last
        page says it is the last."""
        after = decode_cursor(cursor, AlertRecord, AlertRecord.by_incident, incident_id)
        condition = AlertRecord.pk > after["pk"]["S"] if after else None
        keys = [key.pk for key in AlertRecord.by_incident.query(incident_id, condition, limit=limit + 1)]
        page = keys[:limit]
        more = len(keys) > limit
        return self._read(incident_id, page), (
            encode_cursor({"incident_id": {"S": incident_id}, "pk": {"S": page[-1]}}) if more else None
        )

    @staticmethod
    def _read(incident_id: str, keys: list[str]) -> list[AlertRecord]:
        """The items of ``keys`` still of the incident (the index may name an alert moved on since), in that order."""
        records = {r.pk: r for r in AlertRecord.batch_get(keys)} if keys else {}
        return [records[k] for k in keys if k in records and records[k].incident_id == incident_id]

    # ------------------------------------------------------------------ duplicate counts
    def uncount(self, key: str, count: int = 1, mark: DeliveryMark | None = None) -> None:
        """Take back duplicates counted by `touch_firing` (their deliveries took another path), and
        the ``mark`` it wrote with them: else the other path would find its own delivery applied.
        The mark goes only while it is still this one: a mark another delivery wrote in between
        names a delivery that was applied, and its redelivery must find it (one write; a second,
        without the mark, only when the first was refused for that)."""
        actions = [AlertRecord.fire_count.add(-count), AlertRecord.pending.add(-count)]
        if mark is not None and written(
            AlertRecord(key).update,
            actions=[*actions, AlertRecord.delivery.remove()],
            condition=AlertRecord.delivery == mark.key,
        ):
            return
        AlertRecord(key).update(actions=actions)

    def needs_fold(self, record: AlertRecord, now: datetime, every: timedelta) -> bool:
        """Whether the incident should hear of this alert's pending duplicates now."""
        return bool(record.pending) and (record.folded_at is None or record.folded_at <= now - every)

    def fold(self, record: AlertRecord, now: datetime, incident_id: str | None = None) -> bool:
        """Move ``record``'s pending duplicates onto its incident (``alert_count``, ``last_seen``),
        both in one transaction; False if another delivery folded them first (or nothing is
        pending, or the incident is gone). A transaction refused for anything else (throttling)
        raises: the delivery fails and is retried, and the duplicates stay pending, counted by
        readers, until a fold succeeds."""
        pending = int(record.pending or 0)
        incident_id = incident_id or record.incident_id
        if pending <= 0 or not incident_id:
            return False
        folded = (
            AlertRecord.folded_at == record.folded_at if record.folded_at else AlertRecord.folded_at.does_not_exist()
        )
        token = f"{incident_id}@{now.isoformat()}"  # this fold, on both items: what readers compare (`Pending`)
        # Built by hand: the incident's counters are version-neutral (store.incident_updates).
        alert_update = AlertRecord._get_connection().get_operation_kwargs(
            record.pk,
            key=KEY,
            actions=[
                AlertRecord.pending.add(-pending),
                AlertRecord.folded_at.set(now),
                AlertRecord.last_fold.set(token),
            ],
            condition=folded & (AlertRecord.pending >= pending),
        )
        incident_update = IncidentRecord._get_connection().get_operation_kwargs(
            incident_id,
            key=KEY,
            actions=[
                IncidentRecord.alert_count.add(pending),
                IncidentRecord.last_seen.set(now),
                IncidentRecord.last_fold.set(token),
            ],
            condition=IncidentRecord.id.exists(),
        )
        try:
            Connection(region=Region().__get__(None, AlertRecord)).transact_write_items(
                condition_check_items=[], delete_items=[], put_items=[], update_items=[alert_update, incident_update]
            )
        except TransactWriteError as exc:
            if lost_race(exc):
                return False
            raise
        record.pending, record.folded_at, record.last_fold = 0, now, token
        return True

    def pending_for(self, incidents: list) -> dict[str, int]:
        """Duplicates not yet folded, per incident id: what readers add to ``alert_count``. An
        incident's alerts are its opening fingerprint (re-firings come back to the same item)."""
        return {incident_id: p.count for incident_id, p in self.folds_for(incidents).items() if p.count}

    def folds_for(self, incidents: list) -> dict[str, Pending]:
        """Each of ``incidents`` that has an alert: its duplicates not yet folded and its alert's last fold into
        it, in strongly consistent BatchGetItems (an eventually consistent one could miss a fold or duplicates
        the incidents as read already show)."""
        keys = {alert_key(i.workspace, i.source, i.fingerprint): i.id for i in incidents if i.fingerprint}
        if not keys:
            return {}
        records = AlertRecord.batch_get(list(keys), consistent_read=True)
        return {keys[r.pk]: Pending.of(r, keys[r.pk]) for r in records if r.pk in keys}
