"""The one owner of an incident's life: open (or correlate), reopen, count, resolve.

Intake calls it for what alerts do; the incident service calls it for what people do. Every
status change goes through `IncidentRepository.set_status` (the transition table, a conditional
write) and one conflict-retry policy (`move`); there is one resolve (`resolve`). Opening an incident
is `incidents.openings`; an incident's side of its alerts' resolves is `incidents.source_resolves`.
"""

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from pagerless.clock import utcnow
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import RESOLVED_EVENT, IncidentStatus
from pagerless.incidents import metrics
from pagerless.incidents.ids import allocate_incident_id
from pagerless.incidents.openings import IncidentOpenings
from pagerless.incidents.source_resolves import SourceResolves
from pagerless.incidents.timeline import Entry
from pagerless.incidents.timeline import record as record_timeline
from pagerless.incidents.timeline import record_all as record_timeline_entries
from pagerless.incidents.timeline import recorded as recorded_on_timeline
from pagerless.observability import logger
from pagerless.store.correlation import CorrelationSlots
from pagerless.store.incidents import AlongsideTaken, AlongsideUpdate, IncidentRepository

MOVE_ATTEMPTS = 3


REOPENED_NOTICE, RESOLVED_NOTICE = "incident.reopened", "incident.resolved"  # the jobs a move owes (its marker's)


def _notify_resolved(incident, *, by: str, previous_status: str | None) -> bool:
    from pagerless.incidents.notices import incident_resolved

    return incident_resolved(incident, by=by, previous_status=previous_status)


class IncidentLifecycle(IncidentOpenings, SourceResolves):
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


def _current_description(alert: Alert) -> str | None:
    """The description a reopen gives its incident: the re-firing alert's (None: a placeholder, keep the old)."""
    return None if "description" in alert.defaulted else alert.description
