"""The intake service: normalized alerts in, deduplicated incidents out.

Per alert, keyed by (workspace, source, fingerprint) on the alerts table:
- firing, fingerprint firing with an incident → a duplicate: +1 on the alert item only (one
  UpdateItem); its incident hears of duplicates at most once a minute (`AlertRepository.fold`),
  and readers add what is pending, so counts stay exact (docs/writes.md);
- firing, an update only (`Alert.update_only`) of an alert not firing here → ignored; one of a
  firing alert counts as a duplicate (one saying its source has no data is noted on the incident);
- firing, resolved by its source with a start not later than that resolve → ignored: the episode
  the resolve ended, arriving late (`pagerless.intake.late_firings`), not a re-fire;
- firing, fingerprint new, resolved or stale → one delivery wins a conditional claim and opens
  an incident (or reopens the last one within the reopen window); losers wait for the winner and
  take the duplicate path. Incident numbers are allocated by the winner only (what the claim's winner does:
  `pagerless.intake.reopens`);
- resolved → the alert resolves; the incident resolves when its last alert does, in the same
  transaction (a retry of a resolve that failed midway finds nothing done and does it all).
Infrastructure failures propagate (the webhook queues the payload, the consumer retries).
"""

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pagerless import settings
from pagerless.clock import until_stale, utcnow
from pagerless.domain.alerts import Alert, AlertState, AlertStatus
from pagerless.domain.errors import NotFoundError, ServiceUnavailableError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents.acknowledgements import acknowledge_at_source
from pagerless.incidents.lifecycle import IncidentLifecycle
from pagerless.incidents.no_data import note_no_data
from pagerless.incidents.severity import is_higher, raise_paged, raise_severity
from pagerless.intake import metrics
from pagerless.intake.late_firings import LATE_FIRING, is_late, late_firing
from pagerless.intake.reopens import AlertReopens, restart_name
from pagerless.intake.resolves import AlertResolves
from pagerless.intake.results import IngestResult
from pagerless.intake.sources import normalize
from pagerless.store.alerts import AlertRecord, AlertRepository, DeliveryMark, alert_key
from pagerless.store.incidents import AlongsideTaken, IncidentRecord, IncidentRepository
from pagerless.workflow.executions import start_incident_workflow
from pagerless.workflow.flapping import settle_wait

# Backoff jitter draws from its own generator: the global one is the application's (and a test's) to seed.
_JITTER = random.Random()

WorkflowStarter = Callable[..., str | None]
# Duplicates reach the incident (its alert_count and last_seen, and so the by_service index) at
# most this often per alert; readers add what is pending (docs/writes.md).
FOLD_EVERY = timedelta(seconds=60)


class IntakeService(AlertReopens, AlertResolves):
    def __init__(
        self,
        alerts: AlertRepository | None = None,
        incidents: IncidentRepository | None = None,
        start_workflow: WorkflowStarter = start_incident_workflow,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        lifecycle: IncidentLifecycle | None = None,
    ) -> None:
        self.alerts = alerts or AlertRepository()
        self.incidents = incidents or IncidentRepository()
        self.lifecycle = lifecycle or IncidentLifecycle(self.incidents)
        self.start_workflow = start_workflow
        self.clock = clock
        self.sleep = sleep

    def ingest(
        self,
        source: str,
        payload: Any,
        workspace: str,
        *,
        raw_body: bytes | None = None,
        delivered_at: datetime | None = None,
    ) -> list[IngestResult]:
        """Normalize ``payload`` and process its alerts in payload order (ValidationError first, if any).
        ``delivered_at``: the time of the queued delivery it comes from, whose marks it carries
        (a dead-letter replay: see `DeliveryMark`)."""
        return [
            self.process(alert, workspace, DeliveryMark.of(alert.status.value, delivered_at) if delivered_at else None)
            for alert in normalize(source, payload)
        ]

    def process(
        self,
        alert: Alert,
        workspace: str,
        delivery: DeliveryMark | None = None,
        earlier: tuple[DeliveryMark, ...] = (),
    ) -> IngestResult:
        """Apply one alert: dedup, open/reopen/correlate, or resolve. ``delivery`` (the queue
        consumer's) makes it idempotent per delivery: see `DeliveryMark`. ``earlier``: more
        deliveries of the same firing alert, in order before ``delivery`` (one SQS batch's):
        counted with it in one write when the alert is a duplicate."""
        metrics.alert_received(alert.source, alert.status.value, 1 + len(earlier))
        key = alert_key(workspace, alert.source, alert.fingerprint)
        if alert.status is AlertStatus.FIRING:
            result = self._fire(key, alert, workspace, delivery, earlier)
            if result.reason == LATE_FIRING:  # nothing of it is news: not its acknowledgement either
                return result
            if alert.acknowledged and result.incident_id and result.status != IncidentStatus.RESOLVED.value:
                # acknowledged in the monitoring tool: the incident is, and its escalation stops
                acknowledge_at_source(result.incident_id, alert.source, self.clock(), self.incidents)
            if alert.no_data and result.action == "deduplicated" and result.incident_id:
                # its source went quiet while it fired: the incident stays open and says so
                note_no_data(result.incident_id, alert, self.incidents)
            return result
        if earlier:
            raise ValueError("only a firing alert's deliveries are counted together")
        return self._resolve(key, alert, workspace, delivery)

    # ------------------------------------------------------------------ firing
    def _fire(
        self, key: str, alert: Alert, workspace: str, mark: DeliveryMark | None, earlier: tuple[DeliveryMark, ...] = ()
    ) -> IngestResult:
        config = settings.intake()
        deadline = time.monotonic() + config.claim_wait_seconds
        while True:
            now = self.clock()
            duplicate = self.alerts.touch_firing(key, now, mark, earlier)
            if duplicate is not None:
                result = self._duplicate(duplicate, alert, now, 1 + len(earlier), mark)
                if result is not None:
                    return result
                continue  # its incident was resolved under it: the alert now takes the reopen path
            if alert.update_only:  # the alert does not fire here (closed, or never seen): nothing to update
                return self._update_ignored(key, alert)
            if earlier:
                return self._fire_in_turn(key, alert, workspace, (*earlier, mark))
            record = self.alerts.get(key)
            if record is None:
                opened = self._open(key, alert, workspace, now, mark)
                if opened is not None:
                    return opened
                if time.monotonic() >= deadline:
                    raise ServiceUnavailableError(
                        "another delivery of this alert is still opening its incident", retry_after=1.0
                    )
                self.sleep(0.01 * _JITTER.uniform(0.5, 1.5))
                continue  # another delivery opened it first (or raced it): this one looks again
            if mark is not None and (applied := self._applied(record, alert, mark)) is not None:
                return applied
            if is_late(alert, record, self.clock()):  # its episode's resolve came first: nothing to reopen
                return late_firing(alert, record, self._incident(record.incident_id) if record.incident_id else None)
            claim = self.alerts.claim(
                key,
                workspace=workspace,
                source=alert.source,
                fingerprint=alert.fingerprint,
                now=now,
                stale_after=timedelta(seconds=config.claim_stale_seconds),
                mark=mark,
            )
            if claim is not None:
                return self._claimed(claim, alert, workspace, now, mark)
            self._await_claim(key, deadline)

    def _update_ignored(self, key: str, alert: Alert) -> IngestResult:
        record = self.alerts.get(key)
        incident = self._incident(record.incident_id) if record is not None and record.incident_id else None
        if incident is None:
            return IngestResult(alert.fingerprint, None, True, "ignored", "ignored")
        return IngestResult(alert.fingerprint, incident.id, True, incident.status, "ignored")

    def _fire_in_turn(self, key: str, alert: Alert, workspace: str, marks: tuple[DeliveryMark, ...]) -> IngestResult:
        """Several deliveries of a firing alert that are not (only) duplicates: the first takes the
        whole path alone, the rest follow it in one write. A redelivery skips those applied already
        (the item's mark names the last one: this path and `touch_firing` write only the first's or
        the last's), so a replayed batch counts nothing twice."""
        record = self.alerts.get(key)
        keys = [m.key for m in marks]
        applied = 0
        if record is not None and record.state != AlertState.CLAIMING and record.delivery in keys:
            applied = keys.index(record.delivery) + 1
        if applied == len(marks):  # the whole run was applied: the replay answers as the last delivery
            return self._fire(key, alert, workspace, marks[-1])
        if applied == 0:
            first = self._fire(key, alert, workspace, marks[0])
            if first.reason == LATE_FIRING:  # one alert: the run's other deliveries are as late
                return first
            applied = 1
        return self._fire(key, alert, workspace, marks[-1], marks[applied:-1])

    def _applied(self, record: AlertRecord, alert: Alert, mark: DeliveryMark) -> IngestResult | None:
        """A redelivery of a delivery already applied (nothing to apply again, but the workflow
        start its first attempt failed on is retried), or a firing older than the resolve the
        alert has seen since (it must not reopen: nothing to do). None: go on."""
        replayed = record.delivery == mark.key and record.state != AlertState.CLAIMING
        stale = record.state == AlertState.RESOLVED and record.changed_at is not None and record.changed_at > mark.at
        if not (replayed or stale):
            return None
        incident = self._incident(record.incident_id) if record.incident_id else None
        if replayed and incident is not None:  # its first attempt may have failed after its change, before the start
            if incident.created_at == record.claimed_at:  # this alert's claim opened the incident
                if self.lifecycle.ensure_announced(incident, alert):  # ... and may have failed before announcing it
                    incident = self._incident(incident.id) or incident  # a root now, if its parent resolved
                if incident.parent_id:  # ... or before raising its root
                    self._raise_root(incident, alert, self.clock())
            self._start_unconfirmed(incident)
            if incident.raise_page_due:  # ... or after its raise, before the raise's page
                incident = self._page_raise(incident)
        status = incident.status if incident is not None else "unknown"
        return IngestResult(
            alert.fingerprint, record.incident_id, True, status, "deduplicated" if replayed else "ignored"
        )

    def _incident(self, incident_id: str) -> IncidentRecord | None:
        try:
            return self.incidents.get(incident_id)
        except NotFoundError:
            return None

    def _await_claim(self, key: str, deadline: float) -> None:
        """Another delivery holds the claim: watch it with reads (a failed conditional write costs a
        write unit) until it is settled or stale, then try again."""
        stale_after = timedelta(seconds=settings.intake().claim_stale_seconds)
        pause = 0.05
        record = None
        while time.monotonic() < deadline:
            self.sleep(pause * _JITTER.uniform(0.5, 1.5))
            pause = min(pause * 1.5, 0.5)
            record = self.alerts.get(key)
            if record is None or record.state != AlertState.CLAIMING:
                return
            if record.claimed_at is None or record.claimed_at < self.clock() - stale_after:
                return
        raise ServiceUnavailableError(
            "another delivery of this alert is still opening its incident",
            retry_after=until_stale(record.claimed_at if record else None, stale_after, self.clock()),
        )

    def _duplicate(
        self, record: AlertRecord, alert: Alert, now: datetime, count: int = 1, mark: DeliveryMark | None = None
    ) -> IngestResult | None:
        """Count ``count`` firing duplicates (on the alert item only: see `AlertRepository.fold`);
        None when its incident was resolved while the alert still fired (the workflow resolved it
        a moment ago): the alert is closed so that it can reopen it."""
        incident = self._incident(record.incident_id)
        if incident is not None and incident.status == IncidentStatus.RESOLVED.value:
            # these deliveries reopen the incident instead (and count there)
            self.alerts.uncount(record.pk, count, mark)
            self.alerts.resolve_for_incident(record.incident_id, now)
            return None
        metrics.deduplicated(alert.source, count)
        if incident is None:
            return IngestResult(alert.fingerprint, record.incident_id, True, "unknown", "deduplicated")
        if is_higher(alert, incident):  # it fires again at a higher severity: so does its incident
            incident = raise_severity(incident, alert, now) or incident  # None: another delivery raised it
        if incident.parent_id:  # a child whose delivery stopped before raising its root (retried as a duplicate)
            self._raise_root(incident, alert, now)  # one read of the root; a raise already made is not made again
        if incident.raise_page_due:  # this raise's page, or one whose delivery stopped before starting it
            incident = self._page_raise(incident)
        folds = self.alerts.needs_fold(record, now, FOLD_EVERY)
        if folds:
            self.alerts.fold(record, now)
        if folds or not incident.flapping:  # a flap's start waits minutes to settle: retried once a minute
            self._start_unconfirmed(incident)
        return IngestResult(alert.fingerprint, incident.id, True, incident.status, "deduplicated", incident.parent_id)

    def _raise_root(self, child: IncidentRecord, alert: Alert, now: datetime) -> None:
        """A child (correlated, or reopened under its open root) more severe than its root raises the root, as
        its own alert firing higher would: the root is the one people are paged for, and a critical outage
        correlated under a warning root paged nobody (children page nobody)."""
        root = self._incident(child.parent_id)
        if root is None or root.status == IncidentStatus.RESOLVED.value or not is_higher(alert, root):
            return
        root = raise_severity(root, alert, now, child_id=child.id) or root
        if root.raise_page_due:
            self._page_raise(root)

    def _page_raise(self, incident: IncidentRecord) -> IncidentRecord:
        """Page for the incident's raised severity where a policy covers it (the opening did not, if
        it did not cover the old one), then mark the raise paged. A start that fails fails the
        delivery: its retry (or the alert's next delivery) finds the page still due and starts it."""
        from pagerless.oncall.starts import start_for_severity_raise

        start_for_severity_raise(incident)
        return raise_paged(incident)

    def _open(
        self, key: str, alert: Alert, workspace: str, now: datetime, mark: DeliveryMark | None
    ) -> IngestResult | None:
        """A never-seen alert: its item and its new incident are put in one transaction (no claim
        to finalize; docs/writes.md); None if another delivery put the item first."""
        payload = alert.model_dump(mode="json")
        try:
            incident = self.lifecycle.create(
                alert,
                workspace,
                now,
                alongside=lambda incident_id: self.alerts.opening(
                    key, workspace=workspace, alert=payload, incident_id=incident_id, now=now, mark=mark
                ),
            )
        except AlongsideTaken:
            return None
        return self._opened(incident, alert, now, "correlated" if incident.parent_id else "created", None)

    def _opened(
        self,
        incident,
        alert: Alert,
        now: datetime,
        action: str,
        generation: int | None,
        settle: dict | None = None,
    ) -> IngestResult:
        """After the alert belongs to ``incident``: announce a new one; start the workflow of a new
        root, or restart a reopened one (``generation``: the claim that reopened it; ``settle``: its
        settle wait, if not what is left since the reopen). A failure here is retried as a
        duplicate, never as a second incident."""
        if action in ("created", "correlated"):
            incident = self.lifecycle.announce(incident, alert, now)
            if action == "correlated" and incident.parent_id is None:  # its parent resolved meanwhile
                action = "created"
        if incident.parent_id:
            self._raise_root(incident, alert, now)
        if action == "created" or generation is not None:
            name = incident.id if action == "created" else restart_name(incident.id, generation)
            # A new incident's execution records its own ARN (its first step writes the incident): a
            # duplicate that still sees none retries the start, which is idempotent by name. A
            # reopen wrote the restart's ARN with the reopen.
            wait = settle if settle is not None else settle_wait(incident, now)
            self.start_workflow(incident, name=name, record_arn=False, **wait)
        return IngestResult(alert.fingerprint, incident.id, False, incident.status, action, incident.parent_id)

    def _start_unconfirmed(self, incident: IncidentRecord) -> None:
        """Retry a start that failed earlier (idempotent by name: an existing execution counts as started)."""
        name = self._unconfirmed_workflow(incident)
        if name is not None:
            self.start_workflow(incident, name=name, record_arn=False, **settle_wait(incident, self.clock()))

    @staticmethod
    def _unconfirmed_workflow(incident: IncidentRecord) -> str | None:
        """The name of the execution an open root incident should have but may not: its own
        (``incident.id``) while no execution has stored its ARN; the one a reopen or a resume named,
        which stored the ARN before its StartExecution, so the ARN proves nothing until the
        execution moves the incident on (a flap's waits for its alert to settle meanwhile). None
        when there is nothing to retry (a flapping incident without an ARN was reopened by a
        version that started no workflow for a flap)."""
        if incident.parent_id is not None or incident.status != IncidentStatus.OPEN.value:
            return None
        if incident.execution_arn is None:
            return None if incident.flapping else incident.id
        name = incident.execution_arn.rsplit(":", 1)[-1]
        return None if name == incident.id else name  # its own ARN is stored by the execution itself
