"""Incident statuses and the one table of allowed moves between them."""

import re
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
