"""The intake service's resolves, mixed into `IntakeService`: an alert resolves with its
incident's side of it in one transaction (`IncidentLifecycle.alert_resolved`), a resolve with
nothing left to do is answered (and, redelivered, announces its incident's resolve again), and the
resolve of an alert never seen here is kept until no late firing can arrive.

A resolve of an earlier episode than the one firing is late (`late_resolve`): a sender's retry or an HA
peer's copy of the resolve of an alert that has fired again since. Its start (the episode it resolves, by
its source's clock) is earlier than the firing's, and it resolves nothing. Only from a source whose resolve
names its episode's start (`sources.EPISODE_STARTS`: Alertmanager, Grafana), and only within the late window
(``PAGERLESS_INTAKE_LATE_FIRING_WINDOW_SECONDS``) of that firing: a resolve without a start, a firing without one,
another source, or a resolve that comes later (a sender that writes ``startsAt`` its own way) keeps the rule that
a resolve resolves what fires."""

import time
from datetime import datetime, timedelta

from pagerless import settings
from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertState
from pagerless.domain.incidents import IncidentStatus
from pagerless.intake import metrics
from pagerless.intake.results import IngestResult
from pagerless.intake.sources import EPISODE_STARTS
from pagerless.observability import logger
from pagerless.store.alerts import AlertRecord, DeliveryMark
from pagerless.store.incidents import AlongsideTaken, IncidentRecord

LATE_RESOLVE = "late_resolve"  # the answer's reason

# How long after a resolve a firing delivered before it can still arrive: the AlertDLQ keeps a
# message this long from its first enqueue (MessageRetentionPeriod in template.yaml), and the
# dead-letter store then keeps it `dead_letter_retention_days` for a replay — and a little longer:
# DynamoDB deletes an expired item within days, not at once, and until then it can be replayed.
ALERT_DLQ_RETENTION = timedelta(days=14)
TTL_DELETION_LAG = timedelta(days=2)


class AlertResolves:
    """Needs ``alerts``, ``lifecycle``, ``clock``, ``sleep`` and ``_incident`` (`IntakeService`)."""

    def _resolve(self, key: str, alert: Alert, workspace: str, mark: DeliveryMark | None = None) -> IngestResult:
        """The alert resolves with its incident's side of it, in one transaction
        (`IncidentLifecycle.alert_resolved`): a retry of a resolve that failed finds the alert still
        firing and does it all; one that finds it resolved has nothing left to do."""
        alert = self._inherit(key, alert)
        payload = alert.model_dump(mode="json")
        deadline = time.monotonic() + settings.intake().claim_wait_seconds
        while True:
            now = self.clock()
            record = self.alerts.get(key)
            if record is None or record.state != AlertState.FIRING or _stale(record, mark):
                if record is None and mark is not None:  # a firing dead-lettered before it must stay closed
                    self.alerts.remember_resolve(
                        key,
                        workspace=workspace,
                        alert=payload,
                        now=now,
                        mark=mark,
                        keep_until=_late_firing_horizon(now),
                    )
                if record is None or record.state != AlertState.CLAIMING or time.monotonic() >= deadline:
                    return self._not_resolved(record, alert, mark)
                self.sleep(0.05)  # the firing delivery is still opening the incident
                continue
            if _earlier_episode(alert, record, now):
                return self._late_resolve(record, alert)
            if record.pending:  # the incident hears of every duplicate before the alert leaves it
                self.alerts.fold(record, now)
            incident = None
            if record.incident_id:
                resolving = self.alerts.resolving(key, now, payload, mark, incident_id=record.incident_id)
                try:
                    incident = self.lifecycle.alert_resolved(record.incident_id, alert, now, alongside=resolving)
                except AlongsideTaken:
                    continue  # the alert changed since it was read: look again
            if incident is None and self.alerts.mark_resolved(key, now, payload, mark) is None:
                continue  # its incident is gone: the alert resolves alone
            status = incident.status if incident is not None else "unknown"
            return IngestResult(alert.fingerprint, record.incident_id, False, status, "resolved")

    def _not_resolved(self, record: AlertRecord | None, alert: Alert, mark: DeliveryMark | None) -> IngestResult:
        """A resolve with nothing to do: the alert is unknown, resolved already (this delivery's
        redelivery among others), or changed by a later delivery. This delivery's redelivery, when
        its resolve resolved the incident, tells of it again: its first attempt may have stopped
        between the transaction and the notification (`IncidentLifecycle.announce_source_resolve`)."""
        if record is None or not record.incident_id:
            return IngestResult(alert.fingerprint, None, True, "ignored", "ignored")
        incident = self._incident(record.incident_id)
        if incident is None:
            return IngestResult(alert.fingerprint, record.incident_id, True, "unknown", "ignored")
        replayed = mark is not None and record.delivery == mark.key and record.state == AlertState.RESOLVED
        if replayed and _resolved_by(incident, record):
            self.lifecycle.announce_source_resolve(incident)
        return IngestResult(alert.fingerprint, record.incident_id, True, incident.status, "ignored")

    def _late_resolve(self, record: AlertRecord, alert: Alert) -> IngestResult:
        """The answer to a resolve of an episode before the one firing (nothing changed)."""
        metrics.late_resolve(alert.source)
        logger().info(
            "late resolve ignored: the alert has fired again since the episode it resolves",
            extra={"source": alert.source, "fingerprint": alert.fingerprint, "incident_id": record.incident_id},
        )
        incident = self._incident(record.incident_id) if record.incident_id else None
        status = incident.status if incident is not None else "unknown"
        return IngestResult(alert.fingerprint, record.incident_id, True, status, "ignored", reason=LATE_RESOLVE)

    def _inherit(self, key: str, alert: Alert) -> Alert:
        """A bare resolve (Opsgenie Close, Events v2 resolve) takes title, severity, service... from
        the alert it resolves, so the record and the timeline keep saying what resolved."""
        if not alert.defaulted:
            return alert
        existing = self.alerts.get(key)
        if existing is None or not existing.alert:
            return alert
        try:
            earlier = Alert.model_validate(existing.alert)
        except ValueError:  # a record written by an older version: keep the resolve as it came
            return alert
        return alert.inherit(earlier)


def _resolved_by(incident: IncidentRecord, record: AlertRecord) -> bool:
    """Whether the alert's resolve is what resolved the incident (one transaction: the same time)."""
    return (
        incident.status == IncidentStatus.RESOLVED.value
        and incident.resolved_by == "source"
        and incident.resolved_at is not None
        and incident.resolved_at == record.resolved_at
    )


def _earlier_episode(alert: Alert, record: AlertRecord, now: datetime) -> bool:
    """Whether the resolve ``alert``, come at ``now``, is of an episode that started before the one the alert fires
    in, and came within the late window of that episode's firing (HA copies and retries come within seconds; a
    sender that writes ``startsAt`` its own way is trusted after that: its resolve resolves)."""
    if alert.source not in EPISODE_STARTS or record.claimed_at is None:
        return False
    if now - record.claimed_at > timedelta(seconds=settings.intake().late_firing_window_seconds):
        return False
    resolved, firing = parse_time(alert.starts_at), parse_time((record.alert or {}).get("starts_at"))
    return resolved is not None and firing is not None and resolved < firing


def _stale(record: AlertRecord, mark: DeliveryMark | None) -> bool:
    """Whether a later delivery than ``mark``'s changed the alert's state (its change is refused)."""
    return mark is not None and record.changed_at is not None and record.changed_at > mark.at


def _late_firing_horizon(now: datetime) -> datetime:
    """Until when a firing delivered before ``now`` may still arrive (a dead letter replayed)."""
    return now + ALERT_DLQ_RETENTION + timedelta(days=settings.intake().dead_letter_retention_days) + TTL_DELETION_LAG
