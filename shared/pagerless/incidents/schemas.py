"""The incidents API's public shapes."""

from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from pagerless.domain.incidents import deployment_of
from pagerless.domain.schema_docs import documented

# Incident mutation bodies refuse fields they do not know (422): a misspelt field would otherwise
# be dropped and the user's words lost without a word. Common names are accepted as aliases.
MUTATION_BODY = ConfigDict(extra="forbid")


class IncidentPublic(BaseModel):
    id: str
    workspace: str
    title: str
    description: str
    severity: str
    status: str
    service: str | None
    namespace: str | None
    source: str
    fingerprint: str
    labels: dict
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    alert_count: int
    open_alerts: int
    first_seen: datetime
    last_seen: datetime
    parent_id: str | None
    correlation_reason: str | None
    child_count: int
    flapping: bool
    execution_arn: str | None
    metrics: dict
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    reopened_at: datetime | None = Field(
        default=None,
        description="when it last reopened (an alert firing again after it was resolved); null if it never has."
        " Its acknowledgement is timed from here",
    )
    deployment: str | None = Field(
        default=None,
        description="the Kubernetes Deployment it is about: its alert's `deployment` label, else the Deployment the"
        " diagnosis found the alert's pod belongs to, else the one the proposed action targets; null when none is known",
    )
    created_at: datetime
    updated_at: datetime


class IncidentResolve(BaseModel):
    model_config = ConfigDict(
        **MUTATION_BODY, **documented({"note": "rolled back to v2.3.0; error rate back to normal"})
    )
    note: str = Field(
        default="",
        max_length=4000,
        validation_alias=AliasChoices("note", "resolution", "comment"),
        description="what fixed it; stored as the incident's resolution (aliases: resolution, and comment as an "
        "approval's is named)",
    )


class IncidentComment(BaseModel):
    model_config = ConfigDict(**MUTATION_BODY, **documented({"text": "rolled back the config change; watching"}))
    text: str = Field(
        min_length=1,
        max_length=8000,
        validation_alias=AliasChoices("text", "comment"),
        description="the comment (alias: comment)",
    )


class TimelineEventPublic(BaseModel):
    at: str
    type: str
    actor: str
    actor_name: str = ""  # the actor's name when the entry was written (a key's, a user's)
    actor_label: str = ""  # "name (id)" as shown
    message: str  # as written: people and keys by id
    data: dict
    names: dict[str, str] = {}  # the display name of each person and key the entry names, by id, as read
    text: str = ""  # the message with each id in ``names`` shown as "name (id)"


class AlertPublic(BaseModel):
    source: str
    fingerprint: str
    state: str
    status: str  # firing | resolved (state, without the short-lived "claiming")
    incident_id: str | None
    title: str
    severity: str
    fire_count: int
    resolve_count: int
    first_seen: str | None
    last_seen: str | None
    resolved_at: str | None
    alert: dict


class IncidentGroup(BaseModel):
    parent: IncidentPublic
    children: list[IncidentPublic]


def public(record) -> dict:
    """An IncidentRecord as IncidentPublic's fields."""
    return {name: getattr(record, name) for name in IncidentPublic.model_fields if name != "deployment"} | {
        "deployment": deployment_of(record),
        "alert_count": int(record.alert_count or 0),
        "open_alerts": int(record.open_alerts or 0),
        "child_count": int(record.child_count or 0),
        "labels": record.labels or {},
        "metrics": record.metrics or {},
        "flapping": bool(record.flapping),
        "acknowledged": bool(record.acknowledged),
    }
