"""Incidents: the domain object, its statuses and the one table of allowed moves between them."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pagerless.domain.errors import IllegalTransitionError


class IncidentStatus(StrEnum):
    OPEN = "open"
    DIAGNOSING = "diagnosing"
    DIAGNOSED = "diagnosed"
    AWAITING_APPROVAL = "awaiting_approval"
    REMEDIATING = "remediating"
    VERIFYING = "verifying"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


S = IncidentStatus

# Resolution by a human or by the source is allowed from every active status; the workflow
# moves forward; an escalated or diagnosed incident can be picked up again by a person.
ALLOWED_TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.OPEN: frozenset({S.DIAGNOSING, S.DIAGNOSED, S.ESCALATED, S.RESOLVED}),
    S.DIAGNOSING: frozenset({S.DIAGNOSED, S.AWAITING_APPROVAL, S.REMEDIATING, S.ESCALATED, S.RESOLVED}),
    S.DIAGNOSED: frozenset({S.DIAGNOSING, S.AWAITING_APPROVAL, S.REMEDIATING, S.ESCALATED, S.RESOLVED}),
    S.AWAITING_APPROVAL: frozenset({S.REMEDIATING, S.DIAGNOSED, S.ESCALATED, S.RESOLVED}),
    S.REMEDIATING: frozenset({S.VERIFYING, S.ESCALATED, S.RESOLVED}),
    S.VERIFYING: frozenset({S.RESOLVED, S.REMEDIATING, S.ESCALATED}),
    S.ESCALATED: frozenset({S.DIAGNOSING, S.REMEDIATING, S.RESOLVED}),
    S.RESOLVED: frozenset({S.OPEN}),  # reopened by a re-firing alert within the reopen window
}

ACTIVE_STATUSES = frozenset(set(IncidentStatus) - {S.RESOLVED})


def transition(current: IncidentStatus, target: IncidentStatus) -> IncidentStatus:
    """Return ``target`` if the move is allowed, else raise IllegalTransitionError."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransitionError(
            f"incident cannot move from {current.value} to {target.value}",
            details=[{"from": current.value, "to": target.value}],
        )
    return target


_INCIDENT_ID = re.compile(r"^INC-\d{8}-\d{4,}(-[A-Za-z0-9_-]{1,64})?$")


def format_incident_id(day: datetime, sequence: int, workspace: str | None = None) -> str:
    """INC-YYYYMMDD-NNNN, numbered per workspace; outside the default workspace the id ends with
    the workspace name, so ids stay unique while no workspace sees another's numbers."""
    suffix = f"-{workspace}" if workspace else ""
    return f"INC-{day:%Y%m%d}-{sequence:04d}{suffix}"


def is_incident_id(value: str) -> bool:
    return bool(_INCIDENT_ID.match(value))


def service_key(workspace: str, namespace: str | None, service: str | None) -> str:
    """What correlation groups by: "<workspace>#<namespace>#<service>"."""
    return f"{workspace}#{namespace or ''}#{service or ''}"


@dataclass
class Incident:
    """An incident as the services see it. The store maps it to and from its DynamoDB item
    (``store.incidents``); the fields keep the item's names, so code written against the item
    (an adapter for the callers not moved yet) reads either."""

    id: str
    workspace: str
    title: str
    severity: str
    created_at: datetime
    status: str = IncidentStatus.OPEN.value
    description: str = ""
    service: str | None = None
    namespace: str | None = None
    source: str = ""
    fingerprint: str = ""
    labels: dict = field(default_factory=dict)
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    alert_count: int = 1
    open_alerts: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    parent_id: str | None = None
    correlation_reason: str | None = None
    child_count: int = 0
    flapping: bool = False
    raise_page_due: str | None = None  # a raised severity whose page is not started yet
    execution_arn: str | None = None
    metrics: dict = field(default_factory=dict)
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    reopened_at: datetime | None = None
    flap_fired_at: datetime | None = None  # a flap's reopen or latest re-fire: its settle wait counts from it
    updated_at: datetime | None = None

    @property
    def service_key(self) -> str:
        return service_key(self.workspace, self.namespace, self.service)

    @property
    def created_key(self) -> str:
        return f"{self.created_at.isoformat()}#{self.id}"

    @property
    def is_active(self) -> bool:
        return IncidentStatus(self.status) in ACTIVE_STATUSES

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


def waiting_for_acknowledgement_since(incident) -> datetime:
    """When the wait for an incident's acknowledgement began: its last reopen, else its first alert.
    A reopen clears the acknowledgement, so the next one answers the reopen, not the first firing."""
    return incident.reopened_at or incident.first_seen or incident.created_at


def responding_since(incident) -> datetime:
    """When the wait for a first response to an incident began: its last reopen, else its first alert.
    A response made before the reopen answered the previous firing, not this one."""
    return incident.reopened_at or incident.first_seen or incident.created_at


def resolving_since(incident) -> datetime:
    """When the work that an incident's (last) resolve ended began: its last reopen, else its first
    alert. The weeks a reopened incident sat resolved before its reopen are not time to resolve."""
    return incident.reopened_at or incident.first_seen or incident.created_at


def seconds_to_resolve(incident, resolved_at: datetime) -> float:
    """The time to resolve, in seconds, of ``incident`` resolved at ``resolved_at`` (see `resolving_since`)."""
    return round((resolved_at - resolving_since(incident)).total_seconds(), 3)


def diagnosing_since(incident) -> datetime:
    """When the diagnosis a workflow run makes was first wanted: the incident's last reopen (the run
    that reopen started diagnoses the new firing), else its first alert."""
    return incident.reopened_at or incident.first_seen or incident.created_at


def seconds_to_diagnose(incident, diagnosed_at: datetime) -> float:
    """The time to diagnose, in seconds, of ``incident`` diagnosed at ``diagnosed_at`` (see `diagnosing_since`)."""
    return round((diagnosed_at - diagnosing_since(incident)).total_seconds(), 3)


def deployment_of(incident) -> str | None:
    """The Kubernetes Deployment ``incident`` is about: its alert's ``deployment`` label; else the Deployment the
    diagnosis found its pod belongs to (the pod's owner, read from the cluster: the diagnosis target's
    ``deployment``); else the Deployment the proposed action targets. None when none of them names one."""
    diagnosis, proposal = getattr(incident, "diagnosis", None), getattr(incident, "proposal", None)
    diagnosis = diagnosis if isinstance(diagnosis, dict) else {}
    plan = (proposal if isinstance(proposal, dict) else {}).get("plan") or {}
    for found in (
        (incident.labels or {}).get("deployment"),
        (diagnosis.get("target") or {}).get("deployment"),
        (plan.get("target") or {}).get("deployment"),
    ):
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None


# What Pagerless's own SLO burn alerts come in as (`slo.service`, intake source ``slo``), and the alert
# the Prometheus rules it exports fire (`slo.rules`).
SLO_BURN_SOURCE = "slo"
SLO_BURN_ALERT = "SLOErrorBudgetBurn"


def is_slo_burn(incident) -> bool:
    """Whether ``incident`` was opened by an SLO's burn alert: the effect of its service's downtime, not
    downtime of its own. Counted as downtime, it would keep the budget burning after the real incident
    resolved, and the SLO would never recover."""
    labels = incident.labels or {}
    return incident.source == SLO_BURN_SOURCE or (labels.get("alertname") == SLO_BURN_ALERT and "slo" in labels)


# The timeline entries that end and restart an incident's open time (what `incidents.lifecycle` records).
RESOLVED_EVENT = "incident_resolved"
REOPENED_EVENT = "incident_reopened"
ACKNOWLEDGED_EVENT = "acknowledged"
# What the workflow's resolve wrote before 4 December 2026 instead of RESOLVED_EVENT: ``{"to": "resolved"}``
OLDER_RESOLVE_EVENT = "status_changed"


def period_event(kind: str, data: dict | None) -> str:
    """A timeline entry's type as `open_periods` and the reports read it: an older workflow resolve's
    ``status_changed`` entry is the resolve it was (RESOLVED_EVENT); any other entry is its own type."""
    if kind == OLDER_RESOLVE_EVENT and (data or {}).get("to") == IncidentStatus.RESOLVED.value:
        return RESOLVED_EVENT
    return kind


def open_periods(incident, events: Iterable[tuple[datetime, str]], now: datetime) -> list[tuple[datetime, datetime]]:
    """The spans ``incident`` was open, oldest first: from its first alert to its first resolve, then from each
    reopen to the resolve after it; the last one ends at its resolve (or ``now``, while open). ``events`` are
    its timeline's (time, type) pairs; the weeks a reopened incident sat resolved are in no span. The incident's
    ``reopened_at`` counts as a reopen too (its timeline entry is written just after it)."""
    periods: list[tuple[datetime, datetime]] = []
    start: datetime | None = incident.first_seen or incident.created_at
    reopens = [(incident.reopened_at, REOPENED_EVENT)] if incident.reopened_at else []
    for at, kind in sorted([*events, *reopens], key=lambda e: e[0]):
        if kind == RESOLVED_EVENT and start is not None:
            periods.append((start, max(at, start)))
            start = None
        elif kind == REOPENED_EVENT and start is None:
            start = at
    if start is not None:
        periods.append((start, max(incident.resolved_at or now, start)))
    return periods
