"""The one owner of an incident's life: open (or correlate), reopen, count, resolve.

Intake calls it for what alerts do; the incident service calls it for what people do. Every
status change goes through `IncidentRepository.set_status` (the transition table, a conditional
write) and one conflict-retry policy (`move`); there is one resolve (`resolve`).
"""

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pagerless import settings
from pagerless.clock import until_stale, utcnow
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ConflictError, NotFoundError, ServiceUnavailableError
from pagerless.domain.incidents import RESOLVED_EVENT, Incident, IncidentStatus, service_key
from pagerless.incidents import metrics
from pagerless.incidents.ids import allocate_incident_id
from pagerless.incidents.source_resolves import SourceResolves
from pagerless.incidents.timeline import Entry
from pagerless.incidents.timeline import record as record_timeline
from pagerless.incidents.timeline import record_all as record_timeline_entries
from pagerless.incidents.timeline import recorded as recorded_on_timeline
from pagerless.observability import logger
from pagerless.store.correlation import CorrelationSlots
from pagerless.store.incidents import AlongsideTaken, AlongsideUpdate, IncidentRepository

# Backoff jitter draws from its own generator: the global one is the application's (and a test's) to seed.
_JITTER = random.Random()

MOVE_ATTEMPTS = 3
CREATE_ATTEMPTS = 40  # incident numbers are taken by a conditional put (incidents.ids)
CREATE_BACKOFF_CAP = 0.25  # seconds: a creator that lost a number waits up to this before the next


REOPENED_NOTICE, RESOLVED_NOTICE = "incident.reopened", "incident.resolved"  # the jobs a move owes (its marker's)


def _notify_resolved(incident, *, by: str, previous_status: str | None) -> bool:
    from pagerless.incidents.notices import incident_resolved

    return incident_resolved(incident, by=by, previous_status=previous_status)


class IncidentLifecycle(SourceResolves):
    def __init__(
        self,
        repository: IncidentRepository | None = None,
        slots: CorrelationSlots | None = None,
        *,
        allocate_id: Callable[[datetime, str], str] = allocate_incident_id,
        record: Callable[..., object] | None = None,
        record_all: Callable[..., object] | None = None,
        recorded: Callable[[str, str], bool] | None = None,
        notify_resolved: Callable[..., None] = _notify_resolved,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository or IncidentRepository()
        self.slots = slots or CorrelationSlots()
        self.allocate_id = allocate_id
        self.record = record or (lambda *args, **kwargs: record_timeline(*args, **kwargs))
        self.record_all = record_all or (lambda *args, **kwargs: record_timeline_entries(*args, **kwargs))
        self.recorded = recorded or recorded_on_timeline
        self.notify_resolved = notify_resolved
        self.clock = clock
        self.sleep = sleep

    # ------------------------------------------------------------------ open
    def open(self, alert: Alert, workspace: str, now: datetime):
        """A new incident for ``alert`` (see `create` and `announce`)."""
        incident = self.create(alert, workspace, now)
        self.announce(incident, alert, now)
        return incident

    def create(self, alert: Alert, workspace: str, now: datetime, *, alongside: Callable[[str], object] | None = None):
        """Store a new incident: a child of an open incident of the same service, if any.

        ``alongside(incident_id)``: an item put with the incident in one transaction (intake's new
        alert item); `AlongsideTaken` when another writer put that item first."""
        for attempt in range(CREATE_ATTEMPTS):  # each lost attempt: another creator took the number
            incident_id = self.allocate_id(now, workspace)
            parent = self.claim_root_or_parent(alert, workspace, now, incident_id)
            incident = Incident(
                incident_id,
                workspace=workspace,
                title=alert.title,
                description=alert.description,
                severity=alert.severity.value,
                service=alert.service,
                namespace=alert.namespace,
                source=alert.source,
                fingerprint=alert.fingerprint,
                labels={**alert.labels, **({"pod": alert.pod} if alert.pod else {})},
                first_seen=now,
                last_seen=now,
                created_at=now,
                updated_at=now,
                parent_id=parent.id if parent else None,
                correlation_reason=_reason(alert) if parent else None,
            )
            try:
                stored = self.repository.add(incident, alongside(incident_id) if alongside else None)
            except Exception:
                self._release_slot(incident)
                raise
            if stored is not None:
                return stored
            self._release_slot(incident)
            logger().info("incident id already taken; allocating another", extra={"incident_id": incident_id})
            # Simultaneous creators all read the same first free number: jitter spreads them out.
            self.sleep(_JITTER.uniform(0, min(CREATE_BACKOFF_CAP, 0.005 * 2**attempt)))
        raise ServiceUnavailableError(f"incident {incident_id} is already taken; try again", retry_after=1.0)

    def _release_slot(self, incident) -> None:
        if incident.parent_id is None and incident.service:
            self.slots.release(incident.service_key, incident.id)

    def claim_root_or_parent(self, alert: Alert, workspace: str, now: datetime, incident_id: str):
        """The open root incident ``alert`` correlates with, or None once ``incident_id`` holds the
        service's correlation slot (a conditional write: of simultaneous alerts, one is the root).
        A slot whose root never appears is taken over after ``claim_stale_seconds``."""
        if not alert.service:
            return None
        key = service_key(workspace, alert.namespace, alert.service)
        config = settings.intake()
        window = timedelta(seconds=config.correlation_window_seconds)
        stale = timedelta(seconds=config.claim_stale_seconds)
        deadline = time.monotonic() + 2 * config.claim_wait_seconds
        parent = self.correlation_parent(alert, workspace, now)
        if parent is not None:
            return parent
        pause = 0.05
        while True:
            if self.slots.claim(key, incident_id, now, window):
                return None
            slot = self.slots.get(key)
            if slot is None:
                continue
            try:
                root = self.repository.get(slot.root_id)
            except NotFoundError:
                root = None
            if root is not None and root.parent_id is None and root.status != IncidentStatus.RESOLVED.value:
                return root
            if (root is not None or slot.claimed_at < self.clock() - stale) and self.slots.claim(
                key, incident_id, now, window, replacing=slot.root_id
            ):
                return None  # the root it named is closed or a child, or was never created
            if time.monotonic() >= deadline:
                raise ServiceUnavailableError(
                    f"the root incident of service {alert.service} is still being opened",
                    retry_after=until_stale(slot.claimed_at, stale, self.clock()),
                )
            self.sleep(pause * _JITTER.uniform(0.5, 1.5))
            pause = min(pause * 1.5, 0.5)

    def discard(self, incident) -> None:
        """Delete an incident created for a claim that could not be finalized (best effort: it has
        no timeline yet and no alert points to it)."""
        try:
            self.repository.delete(incident)
        except Exception:  # left as an orphan without alerts; logged so it can be found
            logger().warning("could not discard an unfinished incident", extra={"incident_id": incident.id})
        self._release_slot(incident)

    def announce(self, incident, alert: Alert, now: datetime):
        """The timeline and stream event of a new incident, and its parent's child count; returns
        the incident (a root now if its parent resolved as it was correlated: see `_promote`).

        One event: a child's correlation (parent and reason) rides on its ``incident_created``; the
        child's "correlated" entry and the parent's "child_correlated" entries are rendered from it
        and from the parent's children when the timeline is read (`incidents.timeline`,
        docs/writes.md round 3), not written."""
        data = {
            "source": alert.source,
            "fingerprint": alert.fingerprint,
            "severity": alert.severity.value,
            "service": alert.service,
            "namespace": alert.namespace,
            "parent_id": incident.parent_id,
        }
        if incident.parent_id:
            data["correlation_reason"] = incident.correlation_reason
        self.record(incident, "incident_created", alert.title, data=data)
        if incident.parent_id and self.repository.add_child(incident.parent_id, now) is None:
            incident = self._promote(incident)
        metrics.incident_created(alert.source, bool(incident.parent_id))
        return incident

    def _promote(self, incident):
        """The parent resolved between the child's correlation and now: a child starts no workflow,
        so under a resolved parent nobody would hear of it. It becomes a root of its own."""
        parent_id = incident.parent_id
        promoted = self.repository.promote_to_root(incident.id)
        if promoted is None:
            return incident
        self.record(
            promoted,
            "promoted_to_root",
            f"its parent {parent_id} was resolved as it was correlated: it is an incident of its own",
            data={"parent_id": parent_id},
            stream_type="incident_updated",
        )
        return promoted

    def ensure_announced(self, incident, alert: Alert) -> bool:
        """Announce an incident whose announcement was lost: the delivery that opened it stored it
        (with its alert item, in one transaction) and failed before `announce`; its redelivery or
        dead-letter replay finds the delivery applied and comes here. True if it was announced now."""
        if self.recorded(incident.id, "incident_created"):
            return False
        self.announce(incident, alert, incident.created_at)
        return True

    def correlation_parent(self, alert: Alert, workspace: str, now: datetime):
        """The newest open root incident of the same service and namespace seen within the window."""
        if not alert.service:
            return None
        window = timedelta(seconds=settings.intake().correlation_window_seconds)
        return self.repository.open_root_of_service(
            service_key(workspace, alert.namespace, alert.service), now - window
        )

    # ------------------------------------------------------------------ re-fire
    def refire(self, incident, alert: Alert, now: datetime, *, flapping: bool, execution_arn: str | None = None):
        """A resolved alert fires again and its incident takes it back (reopening it if resolved).
        A reopened incident belongs to the execution ``execution_arn`` (the workflow the caller
        starts next), or to none: an execution of before the resolve stops at its next step. A
        flap (``flapping``) is marked; its execution waits for the alert to settle before it pages.
        An open flap that did not resolve is handed to ``execution_arn`` (its new settle run) if given.
        A reopened incident describes the alert as it fires now (its summary and description may have changed
        since the first episode: a new value, another pod); its id, title and history stay."""
        if incident.status == IncidentStatus.RESOLVED.value:
            moved = [incident]

            def reopen_with(entries) -> bool:
                # the reopen (a flap's mark with it) and its timeline entries are one transaction: the
                # reports' `reopens` index finds every reopened incident by its entry (docs/writes.md)
                moved[0], done = self.move(
                    incident,
                    IncidentStatus.OPEN,
                    lambda fresh: [
                        *self.repository.reopen_actions(
                            fresh, now, execution_arn, flapping=flapping, description=_current_description(alert)
                        ),
                        # its cards' notice, queued by the sweep if this process stops before it is queued below
                        *self.repository.notice_due(fresh, REOPENED_NOTICE, now),
                    ],
                    alongside=entries,
                )
                return done

            data = {"fingerprint": alert.fingerprint, "status": IncidentStatus.OPEN.value}
            entries = [
                Entry("incident_reopened", "the alert fired again within the reopen window", data, "incident_updated")
            ]
            if flapping and not incident.flapping:  # marked once (a flap's reopen of a flap keeps the mark)
                entries.append(
                    Entry(
                        "flapping_detected",
                        "the alert keeps firing and resolving; paging waits until it holds firing",
                        {"fingerprint": alert.fingerprint, "flapping": True},
                        "incident_updated",
                    )
                )
            self.record_all(incident, entries, write=reopen_with)
            incident = moved[0]
            metrics.reopened(alert.source)
            from pagerless.incidents.notices import incident_reopened

            if incident_reopened(incident):  # its cards closed by the resolve read open again
                self.notice_sent(incident, REOPENED_NOTICE, now)
        else:
            self.record(
                incident,
                "alert_refired",
                alert.title,
                data={"fingerprint": alert.fingerprint},
                stream_type="alert_received",
            )
            if execution_arn is not None:  # an open flap's re-fire: the settle run the caller starts next
                incident = self.repository.hand_flap_to(incident.id, execution_arn, fired_at=now) or incident
        return self.repository.count_refire(incident.id, now) or incident

    # ------------------------------------------------------------------ resolve
    def resolve(
        self,
        incident,
        *,
        by: str,
        resolution: str,
        now: datetime,
        actor: str = "system",
        announced_by: str | None = None,
        close_alerts: bool = False,
        stop: Callable[[object], bool] = lambda _: False,
        before: Sequence[Entry] = (),
        updating: AlongsideUpdate | None = None,
        detail: dict | None = None,
    ) -> tuple[object, bool]:
        """The one resolve: move to resolved (with `move`'s retries) and record it on the timeline, in
        one transaction, and tell the notifications. Returns the incident and whether this call
        resolved it (False: it was resolved meanwhile, or ``stop`` said to leave it).

        ``before``: timeline entries of the same change, recorded ahead of the resolve's own (a
        source resolve's `alert_resolved`); ``updating``: an item of another table changed in the
        same transaction (the alert's resolve; `AlongsideTaken` when it changed first); ``detail``:
        more data for the resolve's own entry."""
        previous_status = incident.status
        moved = [incident]

        def resolve_with(items) -> bool:
            # the resolve and its timeline entries are one transaction: the reports and
            # `domain.incidents.open_periods` read its entry (docs/writes.md)
            moved[0], done = self.move(
                incident,
                IncidentStatus.RESOLVED,
                lambda current: [
                    *self.repository.resolve_actions(current, now, by, resolution, close_alerts=close_alerts),
                    # its notice, queued by the sweep if this process stops before it is queued below
                    *self.repository.notice_due(current, RESOLVED_NOTICE, now, announced_by or by),
                ],
                stop=stop,
                alongside=items,
                updating=updating,
            )
            return done

        data = {"resolved_by": by, "status": "resolved", **(detail or {})}
        own = Entry(RESOLVED_EVENT, resolution, data, "incident_updated")
        if self.record_all(incident, [*before, own], actor=actor, write=resolve_with) is None:
            return moved[0], False
        if self.notify_resolved(moved[0], by=announced_by or by, previous_status=previous_status) is not False:
            self.notice_sent(moved[0], RESOLVED_NOTICE, now)
        if moved[0].parent_id:  # the last firing child of a root that waited for it
            self.resolve_waiting_parent(moved[0].parent_id, now)
        return moved[0], True

    def notice_sent(self, incident, event: str, at: datetime | None) -> None:
        """Delete the marker of the notice ``event`` of ``incident``'s change at ``at``: its job is queued. A
        failure leaves it to the sweep, which queues the job again: the same job (its generation is the change's),
        so the notify function's delivery keys send nothing twice."""
        if incident.parent_id or at is None:  # a correlated child's change owes no notice (`notice_due`)
            return
        try:
            self.repository.notice_sent(incident.id, event, at)
        except Exception:  # noqa: BLE001 — the job is queued; the marker only makes the sweep queue it again
            logger().warning("could not clear a notice's marker", extra={"incident_id": incident.id, "event": event})

    def move(
        self,
        incident,
        target: IncidentStatus,
        actions: Callable[[object], list],
        *,
        stop: Callable[[object], bool] = lambda _: False,
        alongside=None,
        updating: AlongsideUpdate | None = None,
    ) -> tuple[object, bool]:
        """The one conflict-retry policy of incident status moves: `set_status`; on a conflict
        (something else changed the incident meanwhile) re-read and try again, up to
        MOVE_ATTEMPTS times. Gives up without moving (False) when the fresh incident is already at
        ``target`` or ``stop(fresh)`` holds; an illegal move from the fresh status is an error.
        ``alongside``: the move's timeline items, put in the same transaction; ``updating``: an item
        of another table changed in it (`AlongsideTaken`, not retried, when its condition fails)."""
        for attempt in range(MOVE_ATTEMPTS):
            try:
                moved = self.repository.set_status(
                    incident, target, actions=actions(incident), alongside=alongside, updating=updating
                )
                return moved, True
            except AlongsideTaken:
                raise
            except ConflictError:
                if attempt == MOVE_ATTEMPTS - 1:
                    raise
                incident = self.repository.get(incident.id)
                if incident.status == target.value or stop(incident):
                    return incident, False
        raise AssertionError("unreachable")


def is_within(moment: datetime | None, now: datetime, seconds: int) -> bool:
    return moment is not None and now - moment <= timedelta(seconds=seconds)


def _reason(alert: Alert) -> str:
    where = f" in namespace {alert.namespace}" if alert.namespace else ""
    minutes = settings.intake().correlation_window_seconds // 60
    return f"same service {alert.service}{where} within {minutes} min"


def _current_description(alert: Alert) -> str | None:
    """The description a reopen gives its incident: the re-firing alert's (None: a placeholder, keep the old)."""
    return None if "description" in alert.defaulted else alert.description
