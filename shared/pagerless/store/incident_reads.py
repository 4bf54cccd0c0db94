"""Reads of incidents for the rooms that look back: similar incidents, runbook history, reports,
and the reconciler. Changes to an incident go through ``IncidentRepository`` and ``incident_updates``."""

from collections.abc import Iterable, Iterator

from pagerless.domain.incidents import IncidentStatus
from pagerless.store import sweeps
from pagerless.store.incident_updates import mark_flaps
from pagerless.store.incidents import IncidentRecord


def recent(workspace: str, limit: int) -> list[IncidentRecord]:
    """The workspace's newest incidents, newest first."""
    return list(IncidentRecord.by_workspace.query(workspace, scan_index_forward=False, limit=limit))


def consistent(ids: list[str]) -> list[IncidentRecord]:
    """The incidents of ``ids`` that exist, read consistently (BatchGetItem)."""
    return list(IncidentRecord.batch_get(ids, consistent_read=True)) if ids else []


def in_statuses(statuses: Iterable[str]) -> Iterator[IncidentRecord]:
    """Every incident (of every workspace) whose status is one of ``statuses`` (a full scan)."""
    return iter(IncidentRecord.scan(IncidentRecord.status.is_in(*statuses)))


def open_flaps() -> list[IncidentRecord]:
    """Every open root incident marked flapping (of every workspace): the flap sweep's. Read through
    the flap markers of the system table's sparse `sweeps` index, which only the incidents flapping and
    not resolved have, then read consistently (the index is eventually consistent, and KEYS_ONLY). A
    marker whose incident is gone, resolved or not flapping (left by an older version, or by a write
    that failed after its transaction) is deleted."""
    mark_flaps()
    ids = sweeps.marked_ids()
    found = {r.id: r for r in IncidentRecord.batch_get(ids, consistent_read=True)} if ids else {}
    for incident_id in ids:
        record = found.get(incident_id)
        if record is None or record.status == IncidentStatus.RESOLVED.value or not record.flapping:
            sweeps.drop_if_stale(incident_id)
    return sorted(
        (r for r in found.values() if r.status == IncidentStatus.OPEN.value and r.flapping and r.parent_id is None),
        key=lambda r: r.id,
    )
