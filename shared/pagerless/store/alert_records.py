"""The alerts table's item (one per workspace, source and fingerprint), its index, and the mark
of the delivery a change comes from. What changes the item, and under which conditions, is
``pagerless.store.alerts``.
"""

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from pagerless.domain.alerts import AlertState
from pagerless.store.base import BaseModel, Region, TableName

FIRING = AlertState.FIRING.value
RESOLVED = AlertState.RESOLVED.value
CLAIMING = AlertState.CLAIMING.value


class ByIncident(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_incident"
        projection = KeysOnlyProjection()  # duplicates never write it; readers get the items after

    incident_id = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class AlertRecord(BaseModel):
    class Meta:
        table_name = TableName("alerts")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)  # "<workspace>#<source>#<fingerprint>"
    workspace = UnicodeAttribute()
    source = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    state = UnicodeAttribute()  # claiming | firing | resolved
    incident_id = UnicodeAttribute(null=True)
    claim_token = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    generation = NumberAttribute(default=0)  # claims won: each one opened or reopened an incident
    fire_count = NumberAttribute(default=0)  # firing deliveries, duplicates included
    resolve_count = NumberAttribute(default=0)
    first_seen = UTCDateTimeAttribute(null=True)
    last_seen = UTCDateTimeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    flap_history = ListAttribute(of=NumberAttribute, null=True)  # epoch seconds of recent resolves
    title = UnicodeAttribute(default="")
    severity = UnicodeAttribute(default="warning")
    alert = JSONAttribute(null=True)  # the last normalized alert that changed the state
    pending = NumberAttribute(null=True)  # duplicates counted here and not yet added to the incident
    folded_at = UTCDateTimeAttribute(null=True)  # when the incident last heard from this alert
    last_fold = UnicodeAttribute(null=True)  # the last fold's token ("<incident id>@<time>"), on the incident too
    delivery = UnicodeAttribute(null=True)  # the last queued delivery applied (DeliveryMark.key)
    changed_at = UTCDateTimeAttribute(null=True)  # delivery time of the last state change queued
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds): only a kept resolve of an alert never seen

    by_incident = ByIncident()

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "state": self.state,
            "status": RESOLVED if self.state == RESOLVED else FIRING,
            "incident_id": self.incident_id,
            "title": self.title,
            "severity": self.severity,
            "fire_count": int(self.fire_count or 0),
            "resolve_count": int(self.resolve_count or 0),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "resolved_at": _iso(self.resolved_at),
            "alert": self.alert or {},
        }


@dataclass(frozen=True)
class DeliveryMark:
    """Which delivery a change comes from: the consumer's idempotency, kept on the alert item
    instead of an idempotency record (docs/writes.md). A webhook request marks its changes as its
    queued copy will be, so that the copy of a request that failed midway is a replay. ``key``
    names the delivery (status and delivery time); ``at`` is when it was delivered. A change
    carrying the mark the item already holds is a redelivery and is refused; a state change
    (claim, resolve) older than the item's last one is stale and refused."""

    key: str
    at: datetime

    @classmethod
    def of(cls, status: str, at: datetime) -> "DeliveryMark":
        """The mark of an alert with ``status`` delivered at ``at``: the same for a webhook request
        and for the queued copy of it (whose envelope keeps the request's receive time)."""
        return cls(f"{status}|{at.isoformat()}", at)


def alert_key(workspace: str, source: str, fingerprint: str) -> str:
    return f"{workspace}#{source}#{fingerprint}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Pending:
    """An incident's duplicates counted on its alert and not folded into it yet (``count``), and the token of the
    alert's last fold into it (``fold``; None if none). An incident read whose `last_fold` is that token already
    counts every fold before: its ``alert_count`` plus ``count`` is exact, whatever the clocks of the writers."""

    count: int = 0
    fold: str | None = None

    @classmethod
    def of(cls, record: AlertRecord | None, incident_id: str) -> "Pending":
        if record is None or record.incident_id != incident_id:
            return cls()
        fold = record.last_fold if (record.last_fold or "").startswith(f"{incident_id}@") else None
        return cls(int(record.pending or 0), fold)

    def counted_in(self, incident) -> bool:
        """Whether ``incident`` as read has every fold of its alert (read it again otherwise)."""
        return self.fold == getattr(incident, "last_fold", None)
