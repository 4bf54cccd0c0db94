"""Typed views of the API's answers. Unknown fields are kept (the server may be newer than the SDK)."""

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(_Model, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class Incident(_Model):
    id: str
    workspace: str | None = None
    number: int | None = None
    title: str
    severity: str
    status: str
    service: str | None = None
    namespace: str | None = None
    source: str | None = None
    acknowledged: bool = False
    alert_count: int = 0
    open_alerts: int = 0
    labels: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    created_at: datetime | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    reopened_at: datetime | None = None  # when it last reopened; None if it never has


class TimelineEvent(_Model):
    at: datetime
    type: str
    actor: str = "system"
    message: str = ""
    data: dict[str, Any] = {}


class Diagnosis(_Model):
    category: str
    confidence: float
    summary: str = ""
    engine: str | None = None
    evidence: list[dict[str, Any]] = []
    remediations: list[str] = []


class Approval(_Model):
    incident_id: str
    approval_id: str
    status: str
    requested_at: datetime | None = None
    expires_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    proposal: dict[str, Any] | None = None


class Decision(_Model):
    approval: Approval
    changed: bool


class KnowledgeEntry(_Model):
    id: str
    title: str
    content: str
    tags: list[str] = []
    service: str | None = None
    score: float | None = None


class AlertResult(_Model):
    action: str | None = None
    incident_id: str | None = None
    fingerprint: str | None = None
    group_id: str | None = None


class IngestResult(_Model):
    alerts: list[AlertResult] = []


class Config(_Model):
    workspace: str
    values: dict[str, Any]
    sources: dict[str, str]
    updated_at: datetime | None = None
    updated_by: str | None = None


class RunbookSummary(_Model):
    id: str
    version: int
    name: str
    description: str = ""
    risk_level: str
    source: str
    step_count: int = 0
    score: int | None = None  # when matched against an incident
    reasons: list[str] = []


class Runbook(_Model):
    id: str
    version: int
    name: str
    description: str = ""
    risk_level: str
    source: str
    match: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    created_by: str = ""


class Job(_Model):
    job_id: str
    status: str  # pending | running | parked | completed | failed | cancelled
    workflow_id: str | None = None
    kind: str | None = None
    current_node: str | None = None
    correlation_key: str | None = None
    incident_id: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    steps: list[dict[str, Any]] = []


class JobTrace(_Model):
    job_id: str
    status: str
    timeline: list[dict[str, Any]] = []
