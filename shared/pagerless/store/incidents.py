"""Incidents, their timeline and the workspace event stream (for SSE) in DynamoDB.

- IncidentRecord: one item per incident; status changes are conditional on the current status
  and go through ``domain.incidents.transition`` (an illegal move is an error, never an overwrite).
- TimelineRecord: everything that happened to an incident, in time order.
- StreamEventRecord: per-workspace events with a strictly increasing ``seq`` (an atomic counter),
  which the SSE endpoint uses as the event id for `Last-Event-ID` resumption.
"""

import uuid
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from pagerless.domain.actors import label
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.domain.incidents import IncidentStatus, transition
from pagerless.store.base import BaseModel, Region, TableName, utcnow


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_workspace"
        projection = AllProjection()

    workspace = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)  # "<created_at iso>#<id>": newest first with scan_index_forward=False


class ByService(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_service"
        projection = AllProjection()

    service_key = UnicodeAttribute(hash_key=True)  # "<workspace>#<namespace>#<service>"
    last_seen = UTCDateTimeAttribute(range_key=True)


class IncidentRecord(BaseModel):
    class Meta:
        table_name = TableName("incidents")
        region = Region()

    id = UnicodeAttribute(hash_key=True)
    workspace = UnicodeAttribute()
    created_key = UnicodeAttribute()
    service_key = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    severity = UnicodeAttribute()
    service = UnicodeAttribute(null=True)
    namespace = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="")
    fingerprint = UnicodeAttribute(default="")  # the alert that opened it
    labels = JSONAttribute(default=dict)
    status = UnicodeAttribute(default=IncidentStatus.OPEN.value)
    acknowledged = BooleanAttribute(default=False)
    acknowledged_by = UnicodeAttribute(null=True)
    acknowledged_at = UTCDateTimeAttribute(null=True)
    alert_count = NumberAttribute(default=1)
    open_alerts = NumberAttribute(default=1)
    first_seen = UTCDateTimeAttribute(default=utcnow)
    last_seen = UTCDateTimeAttribute(default=utcnow)
    parent_id = UnicodeAttribute(null=True)
    correlation_reason = UnicodeAttribute(null=True)
    child_count = NumberAttribute(default=0)
    flapping = BooleanAttribute(default=False)
    execution_arn = UnicodeAttribute(null=True)
    diagnosis = JSONAttribute(null=True)
    proposal = JSONAttribute(null=True)
    approval = JSONAttribute(null=True)  # decision data only; the task token lives elsewhere
    actions = JSONAttribute(default=list)
    verification = JSONAttribute(null=True)
    metrics = JSONAttribute(default=dict)  # seconds to acknowledge / diagnose / resolve
    llm_usage = JSONAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)  # "source", "workflow", or a principal
    resolution = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = VersionAttribute()

    by_workspace = ByWorkspace()
    by_service = ByService()


class TimelineRecord(BaseModel):
    class Meta:
        table_name = TableName("timeline")
        region = Region()

    incident_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<iso time>#<uuid>"
    at = UTCDateTimeAttribute()
    type = UnicodeAttribute()  # e.g. incident_created, alert_received, status_changed, approved
    actor = UnicodeAttribute(default="system")
    message = UnicodeAttribute(default="")
    data = JSONAttribute(default=dict)

    def to_dict(self) -> dict:
        name = (self.data or {}).get("actor_name", "")
        return {"at": self.at.isoformat(), "type": self.type, "actor": self.actor, "actor_name": name,
                "actor_label": label(self.actor, name), "message": self.message, "data": self.data or {}}


class StreamEventRecord(BaseModel):
    class Meta:
        table_name = TableName("events")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    type = UnicodeAttribute()
    incident_id = UnicodeAttribute(null=True)
    data = JSONAttribute(default=dict)
    expires_at = NumberAttribute(null=True)  # TTL: the stream keeps a few days


class IncidentRepository:
    def get(self, incident_id: str, workspace: str | None = None) -> IncidentRecord:
        """The incident, or NotFoundError (also when it belongs to another workspace)."""
        try:
            record = IncidentRecord.get(incident_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"incident {incident_id} not found") from exc
        if workspace is not None and record.workspace != workspace:
            raise NotFoundError(f"incident {incident_id} not found")
        return record

    def set_status(self, record: IncidentRecord, target: IncidentStatus, *, actions: list | None = None) -> IncidentRecord:
        """Move ``record`` to ``target`` if the transition table allows it and nobody moved it meanwhile."""
        current = IncidentStatus(record.status)
        transition(current, target)
        try:
            record.update(
                actions=[IncidentRecord.status.set(target.value), IncidentRecord.updated_at.set(utcnow()),
                         *(actions or [])],
                condition=IncidentRecord.status == current.value,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                fresh = self.get(record.id)
                raise ConflictError(
                    f"incident {record.id} changed meanwhile: it is now {fresh.status}",
                    details=[{"expected": current.value, "actual": fresh.status}],
                ) from exc
            raise
        return record


def timeline_key(at: datetime) -> str:
    return f"{at.isoformat()}#{uuid.uuid4().hex[:12]}"
