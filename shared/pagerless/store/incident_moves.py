"""What an incident's status moves change besides its status, as the update actions `IncidentRepository.set_status`
applies in the move's conditional write: a reopen's (`reopen_actions`), a resolve's (`resolve_actions`), and the
marker of the notice either owes (`notice_due`). Pure: they read the incident as given and write nothing."""

from datetime import datetime

from pagerless.domain.incidents import IncidentStatus, seconds_to_resolve
from pagerless.store import sweeps
from pagerless.store.incident_records import ACTIVE_END, IncidentRecord, end_key_of


def reopen_actions(
    incident: IncidentRecord,
    now: datetime,
    execution_arn: str | None = None,
    *,
    flapping: bool = False,
    description: str | None = None,
) -> list:
    """What a reopen clears: the resolution, and the acknowledgement (the new escalation must page),
    with their times to resolve and to acknowledge (they describe the previous resolve: the next
    ones are timed from the reopen); when it reopened (``now``); and who works on it: the execution
    the reopen starts (``execution_arn``), or none. A reopen that is not a flap (intake judges
    that within the flap window) and starts an execution clears ``flapping``; a flap's execution
    clears it once the alert has settled (`pagerless.workflow.flapping`). An incident flapping
    after the reopen has a flap marker (the flap sweep's entry in the system table's `sweeps`
    index, put in the reopen's transaction: a `sweeps.MarkerChange` among the actions); one that was
    flapping and is not any more loses it. ``description``: the re-firing alert's, which the incident shows
    from now on (None: it keeps its own)."""
    previous = ("time_to_resolve_seconds", "time_to_acknowledge_seconds")
    # a reopen that neither marks nor starts an execution (a correlated child's) keeps the mark it had
    flapping_after = flapping or (bool(incident.flapping) and not execution_arn)
    metrics = {name: value for name, value in (incident.metrics or {}).items() if name not in previous}
    if flapping_after:
        marker = [sweeps.mark(incident.id, incident.workspace, now)]
    else:  # a resolve deleted it already, unless an older version resolved it
        marker = [sweeps.unmark(incident.id)] if incident.flapping else []
    return [
        IncidentRecord.reopened_at.set(now),
        IncidentRecord.metrics.set(metrics),
        IncidentRecord.resolved_at.remove(),
        IncidentRecord.end_key.set(ACTIVE_END),  # active again: the digest's, and every SLO window's
        IncidentRecord.resolved_by.remove(),
        IncidentRecord.resolution.remove(),
        IncidentRecord.acknowledged.set(False),
        IncidentRecord.acknowledged_by.remove(),
        IncidentRecord.acknowledged_at.remove(),
        IncidentRecord.execution_arn.set(execution_arn) if execution_arn else IncidentRecord.execution_arn.remove(),
        *([IncidentRecord.flapping.set(False)] if execution_arn and not flapping else []),
        # with its `flapping_detected`; its settle wait counts from now
        *([IncidentRecord.flapping.set(True), IncidentRecord.flap_fired_at.set(now)] if flapping else []),
        *marker,
        IncidentRecord.raise_page_due.remove(),  # the reopen pages anew
        *([IncidentRecord.description.set(description)] if description is not None else []),
    ]


def resolve_actions(incident: IncidentRecord, now: datetime, by: str, resolution: str, *, close_alerts: bool) -> list:
    """What a resolve records: when, by whom, why, and the time to resolve (from the last reopen, if any)."""
    seconds = seconds_to_resolve(incident, now)
    return [
        IncidentRecord.resolved_at.set(now),
        IncidentRecord.end_key.set(end_key_of(IncidentStatus.RESOLVED.value, now)),
        IncidentRecord.resolved_by.set(by),
        IncidentRecord.resolution.set(resolution),
        IncidentRecord.metrics.set({**(incident.metrics or {}), "time_to_resolve_seconds": seconds}),
        *([IncidentRecord.open_alerts.set(0)] if close_alerts else []),
    ]


def notice_due(incident: IncidentRecord, event: str, at: datetime, announced_by: str | None = None) -> list:
    """The marker of the notification job ``event`` a reopen's or resolve's actions owe (a root incident's: a
    correlated child is not announced), put in the move's transaction and deleted by `notice_sent`: one left
    (the job never queued) is queued by the sweep (`pagerless.incidents.notice_sweep`)."""
    if incident.parent_id:
        return []
    return [sweeps.notice_due(incident.id, event, at, announced_by, episode=incident.reopened_at)]
