"""Incidents in DynamoDB (their timeline and the event stream are `pagerless.store.timeline`).

IncidentRecord (``pagerless.store.incident_records``): one item per incident; status changes are
conditional on the current status and go through ``domain.incidents.transition`` (an illegal move
is an error, never an overwrite).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.domain.incidents import ACTIVE_STATUSES, Incident, IncidentStatus, transition
from pagerless.store import incident_moves, sweeps
from pagerless.store.base import Region, cancellation_codes, decode_cursor, encode_cursor, lost_race, written
from pagerless.store.incident_records import IncidentRecord as IncidentRecord
from pagerless.store.incident_records import record_of as record_of
from pagerless.store.incident_records import to_domain as to_domain


class AlongsideTaken(ConflictError):
    """The item put with a new incident was refused by its condition (another writer was first)."""


@dataclass(frozen=True)
class Alongside:
    """An item put in the same transaction as a new incident, on ``condition``."""

    item: Model
    condition: Condition


@dataclass(frozen=True)
class AlongsideUpdate:
    """An item of another table changed in the same transaction as an incident: ``actions`` on
    ``condition`` (a resolving alert's item, `AlertRepository.resolving`)."""

    item: Model
    actions: list
    condition: Condition


def _add_with(record: IncidentRecord, alongside: Alongside) -> IncidentRecord | None:
    try:
        with TransactWrite(connection=Connection(region=Region().__get__(None, IncidentRecord))) as tx:
            tx.save(record, condition=IncidentRecord.id.does_not_exist())
            tx.save(alongside.item, condition=alongside.condition)
    except TransactWriteError as exc:
        # A concurrent transaction on the same item (TransactionConflict) is a race lost like a failed condition:
        # the caller looks again. Anything else (throttling) raises as it is.
        if lost_race(exc, item=1):
            raise AlongsideTaken("the item put with the incident was taken first") from exc
        if lost_race(exc, item=0):
            return None
        raise
    return record


class IncidentRepository:
    """Every read and write of the incidents table, by intent (the only place that builds its expressions)."""

    # ------------------------------------------------------------------ reads
    def get(self, incident_id: str, workspace: str | None = None) -> IncidentRecord:
        """The incident, or NotFoundError (also when it belongs to another workspace)."""
        try:
            record = IncidentRecord.get(incident_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"incident {incident_id} not found") from exc
        if workspace is not None and record.workspace != workspace:
            raise NotFoundError(f"incident {incident_id} not found")
        return record

    def services_of(self, incident_ids: set[str], workspace: str) -> dict[str, str | None]:
        """The service of each of the workspace's incidents named (one BatchGet, 100 keys a request, of their
        ids and services only); an incident the workspace does not have is left out."""
        if not incident_ids:
            return {}
        records = IncidentRecord.batch_get(
            sorted(incident_ids),
            consistent_read=True,
            attributes_to_get=["id", "workspace", "service"],
        )
        return {r.id: r.service for r in records if r.workspace == workspace}

    def load(self, incident_id: str, workspace: str | None = None) -> Incident:
        """The incident as a domain object (for new callers; `get` returns the item for the rest)."""
        return to_domain(self.get(incident_id, workspace))

    def search(
        self,
        workspace: str,
        *,
        status: str | None = None,
        severity: str | None = None,
        service: str | None = None,
        namespace: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        state: str | None = None,
        services: frozenset[str] | None = None,
    ) -> tuple[list[IncidentRecord], str | None]:
        """Incidents of a workspace, newest first, filtered; with the next page's cursor. ``state``
        is seed 002's coarser one: open (neither acknowledged nor resolved), acknowledged, resolved. ``services``
        (a key's scope) keeps those services' incidents only, in the same Query's filter."""
        range_condition = IncidentRecord.created_key >= since.isoformat() if since else None
        filter_condition = _state_condition(state) if state else None
        if services is not None:
            filter_condition = IncidentRecord.service.is_in(*sorted(services)) & (
                filter_condition if filter_condition is not None else IncidentRecord.service.exists()
            )
        for attr, value in (
            (IncidentRecord.status, status),
            (IncidentRecord.severity, severity),
            (IncidentRecord.service, service),
            (IncidentRecord.namespace, namespace),
        ):
            if value:
                filter_condition = attr == value if filter_condition is None else filter_condition & (attr == value)
        results = IncidentRecord.by_workspace.query(
            workspace,
            range_condition,
            filter_condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, IncidentRecord, IncidentRecord.by_workspace, workspace),
            page_size=max(limit, 25),
        )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)

    def open_root_of_service(self, service_key: str, seen_since: datetime) -> IncidentRecord | None:
        """The newest active root incident (no parent) of a service key seen since ``seen_since``."""
        candidates = IncidentRecord.by_service.query(
            service_key,
            IncidentRecord.last_seen >= seen_since,
            filter_condition=IncidentRecord.parent_id.does_not_exist()
            & IncidentRecord.status.is_in(*[s.value for s in ACTIVE_STATUSES]),
            scan_index_forward=False,
            limit=1,
        )
        found = next(iter(candidates), None)
        try:
            return self.get(found.id) if found is not None else None
        except NotFoundError:  # deleted between the query and the read (a discarded claim)
            return None

    def children_of(self, parent: IncidentRecord) -> list[IncidentRecord]:
        """The incidents correlated under ``parent`` (they share its service key), oldest first."""
        keys = [
            c.id
            for c in IncidentRecord.by_service.query(
                parent.service_key, filter_condition=IncidentRecord.parent_id == parent.id
            )
        ]
        children = list(IncidentRecord.batch_get(keys, consistent_read=True)) if keys else []
        return sorted(children, key=lambda c: c.created_at)

    # ------------------------------------------------------------------ writes
    def newest_id(self, workspace: str) -> str | None:
        """The id of the workspace's most recently created incident (from the index: may lag)."""
        newest = next(iter(IncidentRecord.by_workspace.query(workspace, scan_index_forward=False, limit=1)), None)
        return newest.id if newest else None

    def exists(self, incident_id: str) -> bool:
        """Whether an incident with this id exists (a consistent read)."""
        return IncidentRecord.count(incident_id, consistent_read=True, limit=1) > 0

    def add(self, incident: Incident, alongside: Alongside | None = None) -> IncidentRecord | None:
        """Store a new incident; None if its id is already taken.

        With ``alongside`` (an item of another table and the condition it is put on: a new alert's
        item) both are put in one transaction; `AlongsideTaken` if that condition failed."""
        record = record_of(incident)
        if alongside is not None:
            return _add_with(record, alongside)
        if not written(record.save, condition=IncidentRecord.id.does_not_exist()):
            return None
        return record

    def delete(self, record: IncidentRecord) -> None:
        record.delete()

    def set_status(
        self,
        record: IncidentRecord,
        target: IncidentStatus,
        *,
        actions: list | None = None,
        alongside: Model | Sequence[Model] | None = None,
        updating: AlongsideUpdate | None = None,
    ) -> IncidentRecord:
        """Move ``record`` to ``target`` if the transition table allows it and nobody moved it meanwhile.

        ``actions``: the move's updates of the incident, and any `sweeps.MarkerChange` among them (its flap
        marker put or deleted, `reopen_actions`); a resolve of an incident marked flapping deletes its
        marker. ``alongside``: new items (the move's timeline entries) put in one transaction with the
        move, so that neither is stored without the other; ``updating``: an item of another table changed
        in it too (`AlongsideTaken` when its condition is refused)."""
        current = IncidentStatus(record.status)
        transition(current, target)
        markers = [a for a in actions or [] if isinstance(a, sweeps.MarkerChange)]
        changes = [
            IncidentRecord.status.set(target.value),
            IncidentRecord.updated_at.set(utcnow()),
            *(a for a in actions or [] if not isinstance(a, sweeps.MarkerChange)),
        ]
        if target is IncidentStatus.RESOLVED and record.flapping:  # a resolved flap is no work for the sweep
            markers.append(sweeps.unmark(record.id))  # (it keeps `flapping`: the resolve's notice reads it)
        condition = IncidentRecord.status == current.value
        puts = [alongside] if isinstance(alongside, Model) else list(alongside or [])
        puts += [m.marker for m in markers if m.put]
        deletes = [m.marker for m in markers if not m.put]
        if not puts and not deletes and updating is None:
            if not written(record.update, actions=changes, condition=condition):
                raise self._moved_meanwhile(record, current)
            return record
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, IncidentRecord))) as tx:
                for item in deletes:
                    tx.delete(item)  # no condition: a marker already gone fails nothing
                for item in puts:
                    tx.save(item)
                tx.update(record, actions=changes, condition=condition)
                if updating is not None:
                    tx.update(
                        updating.item,
                        actions=updating.actions,
                        condition=updating.condition,
                        add_version_condition=False,
                    )
        except TransactWriteError as exc:
            # The deletes and puts have no condition (they come first in the transaction): the move's
            # item is next, then the one it changes alongside.
            codes = cancellation_codes(exc)
            after_move = len(deletes) + len(puts) + 1
            if updating is not None and codes[after_move : after_move + 1] == ["ConditionalCheckFailed"]:
                raise AlongsideTaken("the item changed with the incident was changed first") from exc
            if lost_race(exc):
                raise self._moved_meanwhile(record, current) from exc
            raise
        record.refresh(consistent_read=True)  # a transaction returns no attributes
        return record

    def _moved_meanwhile(self, record: IncidentRecord, expected: IncidentStatus) -> ConflictError:
        fresh = self.get(record.id)
        return ConflictError(
            f"incident {record.id} changed meanwhile: it is now {fresh.status}",
            details=[{"expected": expected.value, "actual": fresh.status}],
        )

    # What a reopen or a resolve changes besides the status, and the notice it owes (store.incident_moves)
    reopen_actions = staticmethod(incident_moves.reopen_actions)
    resolve_actions = staticmethod(incident_moves.resolve_actions)
    notice_due = staticmethod(incident_moves.notice_due)

    @staticmethod
    def notice_sent(incident_id: str, event: str, at: datetime) -> None:
        sweeps.notice_sent(incident_id, event, at)

    @staticmethod
    def notice_owed(incident_id: str, event: str, at: datetime) -> bool:
        return sweeps.notice_owed(incident_id, event, at)

    def acknowledge(self, incident: IncidentRecord, by: str, now: datetime, seconds: float) -> bool:
        """Mark acknowledged unless it already is or is resolved (False then)."""
        return written(
            incident.update,
            actions=[
                IncidentRecord.acknowledged.set(True),
                IncidentRecord.acknowledged_by.set(by),
                IncidentRecord.acknowledged_at.set(now),
                IncidentRecord.updated_at.set(now),
                IncidentRecord.metrics.set({**(incident.metrics or {}), "time_to_acknowledge_seconds": seconds}),
            ],
            condition=(IncidentRecord.acknowledged == False)  # noqa: E712
            & (IncidentRecord.status != IncidentStatus.RESOLVED.value),
            add_version_condition=False,
        )

    # Counters and markers: version-neutral single UpdateItems (see store.incident_updates).
    def count_open_duplicate(self, incident_id: str, now: datetime) -> IncidentRecord | None:
        from pagerless.store import incident_updates

        return incident_updates.count_open_duplicate(incident_id, now)

    def count_refire(self, incident_id: str, now: datetime) -> IncidentRecord | None:
        from pagerless.store import incident_updates

        return incident_updates.count_refire(incident_id, now)

    def count_resolved_alert(
        self,
        record: IncidentRecord,
        *,
        entries: Sequence[Model] = (),
        alongside: AlongsideUpdate | None = None,
        same_status: bool = False,
    ) -> IncidentRecord | None:
        from pagerless.store import incident_updates

        return incident_updates.count_resolved_alert(
            record, entries=entries, alongside=alongside, same_status=same_status
        )

    def add_child(self, parent_id: str, now: datetime) -> IncidentRecord | None:
        """Count a child on its parent; None if the parent is resolved or gone."""
        from pagerless.store import incident_updates

        return incident_updates.add_child(parent_id, now)

    def promote_to_root(self, incident_id: str) -> IncidentRecord | None:
        from pagerless.store import incident_updates

        return incident_updates.promote_to_root(incident_id)

    def hand_flap_to(
        self, incident_id: str, execution_arn: str, fired_at: datetime | None = None
    ) -> IncidentRecord | None:
        from pagerless.store import incident_updates

        return incident_updates.hand_flap_to(incident_id, execution_arn, fired_at)


def _state_condition(state: str) -> Condition:
    """Seed 002's incident states as a filter: open (neither acknowledged nor resolved), acknowledged, resolved."""
    resolved = IncidentStatus.RESOLVED.value
    if state == "resolved":
        return IncidentRecord.status == resolved
    acknowledged = IncidentRecord.acknowledged == True  # noqa: E712
    if state == "acknowledged":
        return (IncidentRecord.status != resolved) & acknowledged
    return (IncidentRecord.status != resolved) & (
        (IncidentRecord.acknowledged == False) | IncidentRecord.acknowledged.does_not_exist()
    )  # noqa: E712
