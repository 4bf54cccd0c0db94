"""The incidents table's item (one per incident) and its indexes, and the conversions between an
item and the domain's ``Incident``. What changes an item, and under which conditions, is
``pagerless.store.incidents``.
"""

from datetime import UTC, datetime

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from pagerless.clock import utcnow
from pagerless.domain.incidents import Incident, IncidentStatus
from pagerless.store.base import BaseModel, Region, TableName

# what `store.slos.service_incident_spans` (with `domain.incidents.is_slo_burn` and `open_periods`) and
# `store.reports.active_roots` / `open_incidents` read of an incident
END_PROJECTED = [
    "parent_id",
    "service",
    "severity",
    "source",
    "labels",
    "first_seen",
    "created_at",
    "resolved_at",
    "reopened_at",
]


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_workspace"
        projection = AllProjection()

    workspace = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(
        range_key=True
    )  # "<created_at iso>#<id>": newest first with scan_index_forward=False


class ByService(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_service"
        # What correlation filters on; the incidents themselves are read after (docs/writes.md).
        projection = IncludeProjection(["parent_id", "status"])

    service_key = UnicodeAttribute(hash_key=True)  # "<workspace>#<namespace>#<service>"
    last_seen = UTCDateTimeAttribute(range_key=True)


# `end_key` of an incident not resolved: sorts after every timestamp
ACTIVE_END = "~"


def end_key_of(status: str, resolved_at: datetime | None) -> str:
    """The `by_end` range key: the resolve's time (UTC ISO, as `created_key` is written) while resolved,
    ``ACTIVE_END`` while not."""
    if status != IncidentStatus.RESOLVED.value or resolved_at is None:
        return ACTIVE_END
    return resolved_at.astimezone(UTC).isoformat()


class ByEnd(GlobalSecondaryIndex):
    """Every incident by when it stopped being active: its resolve's time, or ``ACTIVE_END`` while it is
    active, so the SLO read (the incidents active or resolved since its window began) and the digest (the
    active ones) read the incidents of their window, not every incident the workspace ever had. INCLUDE of
    what those reads look at, none of which a duplicate's fold or a status move between active statuses
    changes (docs/writes.md); the digest reads the items it lists after."""

    class Meta:
        index_name = "by_end"
        projection = IncludeProjection(END_PROJECTED)

    workspace = UnicodeAttribute(hash_key=True)
    end_key = UnicodeAttribute(range_key=True)


class IncidentRecord(BaseModel):
    class Meta:
        table_name = TableName("incidents")
        region = Region()

    id = UnicodeAttribute(hash_key=True)
    workspace = UnicodeAttribute()
    created_key = UnicodeAttribute()
    # its resolve's time while resolved, "~" while active: its `by_end` key (set at creation, by the
    # resolve and by the reopen, in their writes)
    end_key = UnicodeAttribute(null=True)
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
    # the token of the last fold of its alert's duplicates into `alert_count`, set with the alert's own
    # (`AlertRepository.fold`): a reader whose alert names another fold read the incident before that one
    last_fold = UnicodeAttribute(null=True)
    parent_id = UnicodeAttribute(null=True)
    correlation_reason = UnicodeAttribute(null=True)
    child_count = NumberAttribute(default=0)
    flapping = BooleanAttribute(default=False)
    # the severity a raise by its source set, until that raise's page is started (or not needed): a
    # delivery that stopped between the raise and the page leaves it for its retry (`incidents.severity`)
    raise_page_due = UnicodeAttribute(null=True)
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
    reopened_at = UTCDateTimeAttribute(null=True)  # the last reopen: its acknowledgement is timed from it
    # when a flap's alert last began firing (its reopen, or its latest re-fire): its settle wait counts from it
    flap_fired_at = UTCDateTimeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = VersionAttribute()

    by_workspace = ByWorkspace()
    by_service = ByService()
    by_end = ByEnd()


_DOMAIN_FIELDS = tuple(Incident.__dataclass_fields__)


def record_of(incident: Incident) -> IncidentRecord:
    """The DynamoDB item of a new incident."""
    fields = {name: getattr(incident, name) for name in _DOMAIN_FIELDS if name != "id"}
    fields["updated_at"] = fields["updated_at"] or incident.created_at
    return IncidentRecord(
        incident.id,
        created_key=incident.created_key,
        end_key=end_key_of(incident.status, incident.resolved_at),
        service_key=incident.service_key,
        **{k: v for k, v in fields.items() if v is not None},
    )


def to_domain(record: IncidentRecord) -> Incident:
    """The domain object of an item (numbers back to int, maps to dict)."""
    values = {name: getattr(record, name) for name in _DOMAIN_FIELDS}
    for name in ("alert_count", "open_alerts", "child_count"):
        values[name] = int(values[name] or 0)
    values["labels"] = dict(values["labels"] or {})
    values["metrics"] = dict(values["metrics"] or {})
    return Incident(**values)
