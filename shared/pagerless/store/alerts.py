"""Alert fingerprint state: one item per (workspace, source, fingerprint).

The item is the dedup lock. Every change is one conditional UpdateItem, never read-then-write:
- ``touch_firing``: a duplicate of a firing alert (condition: state = firing);
- ``claim``: the first delivery of a new or re-firing alert takes the item (condition: absent,
  resolved, or a stale claim), so exactly one delivery opens or reopens the incident;
- ``finalize`` / ``release``: the claim's owner records the outcome or gives the claim back;
- ``mark_resolved``: a resolve (condition: state = firing), appending to the flap history.
"""

import uuid
from datetime import datetime, timedelta

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from pagerless.store.base import BaseModel, Region, TableName

FIRING = "firing"
RESOLVED = "resolved"
CLAIMING = "claiming"


class ByIncident(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_incident"
        projection = AllProjection()

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

    by_incident = ByIncident()

    def to_dict(self) -> dict:
        return {
            "source": self.source, "fingerprint": self.fingerprint, "state": self.state,
            "status": RESOLVED if self.state == RESOLVED else FIRING,
            "incident_id": self.incident_id, "title": self.title, "severity": self.severity,
            "fire_count": int(self.fire_count or 0), "resolve_count": int(self.resolve_count or 0),
            "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen),
            "resolved_at": _iso(self.resolved_at), "alert": self.alert or {},
        }


def alert_key(workspace: str, source: str, fingerprint: str) -> str:
    return f"{workspace}#{source}#{fingerprint}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _conditional(exc: UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class AlertRepository:
    def get(self, key: str) -> AlertRecord | None:
        try:
            return AlertRecord.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def touch_firing(self, key: str, now: datetime) -> AlertRecord | None:
        """Count a duplicate of a firing alert; None unless the alert is firing with an incident."""
        record = AlertRecord(key)
        try:
            record.update(
                actions=[AlertRecord.fire_count.add(1), AlertRecord.last_seen.set(now)],
                condition=(AlertRecord.state == FIRING) & AlertRecord.incident_id.exists(),
            )
        except UpdateError as exc:
            if _conditional(exc):
                return None
            raise
        return record

    def claim(self, key: str, *, workspace: str, source: str, fingerprint: str, now: datetime,
              stale_after: timedelta) -> AlertRecord | None:
        """Take the item to open or reopen an incident; None if another delivery holds it."""
        record = AlertRecord(key)
        try:
            record.update(
                actions=[
                    AlertRecord.state.set(CLAIMING), AlertRecord.claim_token.set(uuid.uuid4().hex),
                    AlertRecord.claimed_at.set(now), AlertRecord.generation.add(1),
                    AlertRecord.fire_count.add(1), AlertRecord.last_seen.set(now),
                    AlertRecord.first_seen.set(AlertRecord.first_seen | now),
                    AlertRecord.workspace.set(workspace), AlertRecord.source.set(source),
                    AlertRecord.fingerprint.set(fingerprint),
                    AlertRecord.flap_history.set(AlertRecord.flap_history | []),
                ],
                condition=(AlertRecord.pk.does_not_exist() | (AlertRecord.state == RESOLVED)
                           | ((AlertRecord.state == CLAIMING) & (AlertRecord.claimed_at < now - stale_after))),
            )
        except UpdateError as exc:
            if _conditional(exc):
                return None
            raise
        return record

    def finalize(self, claim: AlertRecord, incident_id: str, alert: dict, flap_history: list[int]) -> None:
        """The claim's owner records the incident the alert now belongs to."""
        claim.update(
            actions=[
                AlertRecord.state.set(FIRING), AlertRecord.incident_id.set(incident_id),
                AlertRecord.claim_token.remove(), AlertRecord.resolved_at.remove(),
                AlertRecord.title.set(alert.get("title", "")), AlertRecord.severity.set(alert.get("severity", "warning")),
                AlertRecord.alert.set(alert), AlertRecord.flap_history.set(flap_history),
            ],
            condition=AlertRecord.claim_token == claim.claim_token,
        )

    def release(self, claim: AlertRecord) -> None:
        """Give a claim back after a failure, so a retry can take it at once (best effort)."""
        previous = RESOLVED if claim.incident_id else None
        try:
            if previous is None:
                claim.delete(condition=AlertRecord.claim_token == claim.claim_token)
            else:
                claim.update(actions=[AlertRecord.state.set(RESOLVED), AlertRecord.claim_token.remove(),
                                      AlertRecord.generation.add(-1)],
                             condition=AlertRecord.claim_token == claim.claim_token)
        except Exception:  # the claim goes stale and is taken over instead
            pass

    def mark_resolved(self, key: str, now: datetime, alert: dict) -> AlertRecord | None:
        """Resolve a firing alert; None unless it was firing."""
        record = AlertRecord(key)
        try:
            record.update(
                actions=[
                    AlertRecord.state.set(RESOLVED), AlertRecord.resolved_at.set(now),
                    AlertRecord.resolve_count.add(1), AlertRecord.last_seen.set(now),
                    AlertRecord.flap_history.set((AlertRecord.flap_history | []).append([int(now.timestamp())])),
                    AlertRecord.alert.set(alert),
                ],
                condition=AlertRecord.state == FIRING,
            )
        except UpdateError as exc:
            if _conditional(exc):
                return None
            raise
        return record

    def resolve_for_incident(self, incident_id: str, now: datetime) -> int:
        """Mark every firing alert of an incident resolved (a person resolved the incident)."""
        count = 0
        for record in AlertRecord.by_incident.query(incident_id):
            try:
                record.update(actions=[AlertRecord.state.set(RESOLVED), AlertRecord.resolved_at.set(now)],
                              condition=AlertRecord.state == FIRING)
                count += 1
            except UpdateError as exc:
                if not _conditional(exc):
                    raise
        return count

    def for_incident(self, incident_id: str, limit: int = 200) -> list[AlertRecord]:
        return list(AlertRecord.by_incident.query(incident_id, limit=limit))
