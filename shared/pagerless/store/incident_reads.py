"""Reads of incidents for the rooms that look back: similar incidents, runbook history, reports,
and the reconciler. Changes to an incident go through ``IncidentRepository`` and ``incident_updates``."""

from collections.abc import Iterable, Iterator

from pagerless.domain.incidents import IncidentStatus
from pagerless.store.incident_updates import index_flaps
from pagerless.store.incidents import IncidentRecord


def recent(workspace: str, limit: int) -> list[IncidentRecord]:
    """The workspace's newest incidents, newest first."""
    return list(IncidentRecord.by_workspace.query(workspace, scan_index_forward=False, limit=limit))


def in_statuses(statuses: Iterable[str]) -> Iterator[IncidentRecord]:
    """Every incident (of every workspace) whose status is one of ``statuses`` (a full scan)."""
    return iter(IncidentRecord.scan(IncidentRecord.status.is_in(*statuses)))


def open_flaps() -> list[IncidentRecord]:
    """Every open root incident marked flapping (of every workspace): the flap sweep's. Read through
    the sparse `flaps` index, which holds only the incidents flapping and not resolved, then read
    consistently (the index is eventually consistent, and KEYS_ONLY)."""
    index_flaps()
    ids = [entry.id for entry in IncidentRecord.flaps.scan()]
    found = IncidentRecord.batch_get(ids, consistent_read=True) if ids else []
    return sorted(
        (r for r in found if r.status == IncidentStatus.OPEN.value and r.flapping and r.parent_id is None),
        key=lambda r: r.id,
    )
