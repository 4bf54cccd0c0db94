"""What every workflow step does to an incident: load it, move its status, note it on the timeline.

Field updates are version-neutral (``update``): an alert storm or an acknowledgement never makes a
step fail. Status moves go through ``IncidentRepository.set_status`` (the transition table, a
conditional write). An incident somebody resolved meanwhile stops the workflow
(``IncidentClosedError``, which the ASL catches into a Succeed state).

One execution at a time works on an incident: the one whose ARN the incident holds. A reopen
hands the incident to the execution it starts, so a step of an earlier execution (its incident
was resolved and reopened before that step ran) stops the same way instead of racing the new one.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import ALLOWED_TRANSITIONS, RESOLVED_EVENT, IncidentStatus
from pagerless.incidents import timeline
from pagerless.incidents.actions import record_action  # noqa: F401 - the workflow's steps record through here
from pagerless.store.incident_updates import field_changes, set_fields
from pagerless.store.incidents import IncidentRecord, IncidentRepository

ACTOR = "workflow"
_EXECUTION: ContextVar[str | None] = ContextVar("pagerless_workflow_execution", default=None)


class IncidentClosedError(Exception):
    """The incident was resolved (by a person or its source) while the workflow ran, or it was
    reopened and a newer execution works on it: this one stops here."""


@contextmanager
def running_for(execution_arn: str | None) -> Iterator[None]:
    """Steps run inside are the steps of execution ``execution_arn`` (None: not an execution's)."""
    token = _EXECUTION.set(execution_arn)
    try:
        yield
    finally:
        _EXECUTION.reset(token)


def _stop_if_superseded(incident: IncidentRecord) -> None:
    """The running step belongs to an execution, and the incident holds another one: stop it."""
    mine = _EXECUTION.get()
    if mine is not None and incident.execution_arn is not None and incident.execution_arn != mine:
        raise IncidentClosedError(
            f"incident {incident.id} was reopened and a newer workflow works on it; this one stops"
        )


def load(incident_id: str, workspace: str, *, closed_ok: bool = False) -> IncidentRecord:
    incident = IncidentRepository().get(incident_id, workspace)
    _stop_if_superseded(incident)
    if not closed_ok and incident.status == IncidentStatus.RESOLVED.value:
        raise IncidentClosedError(f"incident {incident_id} was resolved meanwhile; the workflow stops")
    return incident


def update(incident: IncidentRecord, **fields) -> IncidentRecord:
    """Set fields of the incident without a version check; returns the fresh record."""
    return set_fields(incident.id, **fields) or incident


def advance(
    incident: IncidentRecord,
    target: IncidentStatus,
    message: str = "",
    *,
    changes: dict | None = None,
    actor: str = ACTOR,
) -> IncidentRecord:
    """Move the incident to ``target`` (the transition table decides), setting the fields in ``changes``
    with the move, and put the move on the timeline."""
    before = incident.status
    if before == target.value:
        return update(incident, **changes) if changes else incident
    from pagerless.incidents.lifecycle import IncidentLifecycle  # the one conflict-retry policy

    actions = field_changes(**changes) if changes else []
    incident, moved = IncidentLifecycle(IncidentRepository()).move(
        incident, target, lambda _: list(actions), stop=lambda fresh: fresh.status != before
    )
    if not moved:  # somebody moved it meanwhile (an acknowledgement alone only retries)
        _stop_if_superseded(incident)
        if incident.status == IncidentStatus.RESOLVED.value:
            raise IncidentClosedError(f"incident {incident.id} was resolved meanwhile; the workflow stops")
        raise ConflictError(
            f"incident {incident.id} changed meanwhile: it is now {incident.status}",
            details=[{"expected": before, "actual": incident.status}],
        )
    # A resolve is the `incident_resolved` entry every resolve writes: the open periods of an incident
    # reopened later (SLO downtime, postmortems, reports) end at it (`domain.incidents.open_periods`).
    timeline.record(
        incident,
        RESOLVED_EVENT if target is IncidentStatus.RESOLVED else "status_changed",
        message or f"{before} → {target.value}",
        actor=actor,
        data={"from": before, "to": target.value},
        stream_type="status_changed",
    )
    return incident


def can_move(incident: IncidentRecord, target: IncidentStatus) -> bool:
    current = IncidentStatus(incident.status)
    return current == target or target in ALLOWED_TRANSITIONS[current]


def with_metric(incident: IncidentRecord, name: str, value: float) -> dict:
    """The ``metrics`` change that records one metric (seconds to diagnose / resolve) on the incident."""
    return {"metrics": {**(incident.metrics or {}), name: value}}
