"""Reads of incidents for the rooms that look back: similar incidents, runbook history, reports,
and the reconciler. Changes to an incident go through ``IncidentRepository`` and ``incident_updates``."""

from collections.abc import Iterable, Iterator

from pagerless.store.incidents import IncidentRecord


def recent(workspace: str, limit: int) -> list[IncidentRecord]:
    """The workspace's newest incidents, newest first."""
    return list(IncidentRecord.by_workspace.query(workspace, scan_index_forward=False, limit=limit))


def in_statuses(statuses: Iterable[str]) -> Iterator[IncidentRecord]:
    """Every incident (of every workspace) whose status is one of ``statuses`` (a full scan)."""
    return iter(IncidentRecord.scan(IncidentRecord.status.is_in(*statuses)))


def open_flaps() -> Iterator[IncidentRecord]:
    """Every open root incident marked flapping (of every workspace; a full scan: the flap sweep's)."""
    return iter(
        IncidentRecord.scan(
            (IncidentRecord.status == "open")
            & (IncidentRecord.flapping == True)  # noqa: E712
            & IncidentRecord.parent_id.does_not_exist()
        )
    )
