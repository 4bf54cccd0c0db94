"""What every workflow step does to an incident: load it, move its status, note it on the timeline."""

from datetime import datetime

from pagerless.domain.incidents import ALLOWED_TRANSITIONS, IncidentStatus
from pagerless.incidents import timeline
from pagerless.store.base import utcnow
from pagerless.store.incidents import IncidentRecord, IncidentRepository

ACTOR = "workflow"


def load(incident_id: str, workspace: str) -> IncidentRecord:
    return IncidentRepository().get(incident_id, workspace)


def advance(incident: IncidentRecord, target: IncidentStatus, message: str = "", *, actions: list | None = None,
            actor: str = ACTOR) -> IncidentRecord:
    """Move the incident to ``target`` (the transition table decides) and put the move on the timeline."""
    before = incident.status
    if before == target.value:
        if actions:
            incident.update(actions=actions)
        return incident
    IncidentRepository().set_status(incident, target, actions=actions)
    timeline.record(incident, "status_changed", message or f"{before} → {target.value}", actor=actor,
                    data={"from": before, "to": target.value})
    return incident


def can_move(incident: IncidentRecord, target: IncidentStatus) -> bool:
    current = IncidentStatus(incident.status)
    return current == target or target in ALLOWED_TRANSITIONS[current]


def seconds_since_start(incident: IncidentRecord, now: datetime | None = None) -> float:
    started = incident.first_seen or incident.created_at
    return round(((now or utcnow()) - started).total_seconds(), 3)


def set_metric(incident: IncidentRecord, name: str, value: float) -> list:
    """An update action that records one metric (seconds to diagnose / resolve) on the incident."""
    return [IncidentRecord.metrics.set({**(incident.metrics or {}), name: value})]
