"""The sweep of the notices incident changes owe (a transactional outbox): a reopen and a resolve of a root
incident put a marker in their own transaction (`IncidentRepository.notice_due`) and delete it once their
notification job (``incident.reopened``, ``incident.resolved``) is on NotifyQueue. A process that stopped between
the two (its Lambda killed), or SQS refusing the job, leaves the marker; the scheduled `escalation-sweep` (every
2 minutes) queues here every marker older than ``PAGERLESS_INTAKE_NOTICE_GRACE_SECONDS`` (longer than any Lambda
that writes one may run, so a live writer is not raced), then deletes it. A marker is one change's (its key names the
change's time, `sweeps.notice_key`): a second resolve after a reopen leaves the first one's marker as it was, so both
are swept, oldest first; one an older version put under ``<incident id>|<event>`` is read and deleted by its own key.
A marker may also owe a live event rather than a job (``sweeps.GAVE_UP_LIVE``: an escalation's give-up, whose
transaction stores its timeline entry): the entry's stream event is put, once for the entry, then the marker deleted.

The job is the one the change would have queued: its generation is the change's (`notices.generation_of` of the
reopen's or resolve's time), so a job queued twice (the writer's, then the sweep's after a marker whose delete
failed) is one delivery per channel (the notify function's delivery keys, `store.deliveries`). A marker whose
change is not the incident's latest any more (the incident reopened after the resolve, or resolved after the
reopen: that change's own notice stands for both) is not said, and one whose incident is gone is deleted unsent. A
stale resolve still closes the page cards of the episode it ended (nothing else would: the later change's job edits
only its own episode's): an edit-only job naming that episode (`notices.stale_resolve_cards`), as a resolve's job
that came after a reopen does. A marker put by a version that did not record the episode is deleted unsent."""

from datetime import datetime, timedelta

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import notices, timeline
from pagerless.incidents.lifecycle import REOPENED_NOTICE, RESOLVED_NOTICE
from pagerless.observability import logger
from pagerless.store import sweeps
from pagerless.store.incidents import IncidentRecord, IncidentRepository
from pagerless.store.timeline import items_of_type

NOT_QUEUED = "notification_not_queued"  # what `notices.publish` writes on the timeline of a notice it could not queue
QUEUED_LATE = "notification_queued_late"


def sweep(now: datetime | None = None) -> list[dict]:
    """Queue the notice of every marker older than the grace; what was done for each."""
    grace = timedelta(seconds=settings.intake().notice_grace_seconds)
    done = []
    for marker in sweeps.notices_due(before=(now or utcnow()) - grace):
        entry = {"incident_id": marker.incident_id, "event": marker.event}
        try:
            entry["notice"] = _send(marker)
        except Exception as exc:  # one notice must not stop the others; the next sweep tries again
            logger().exception("could not queue an owed notice", extra=entry)
            entry.update(notice="failed", error=type(exc).__name__)
        done.append(entry)
    return done


def _send(marker: sweeps.NoticeMarker) -> str:
    """``queued``, ``not queued`` (SQS refused it again: the next sweep tries), ``superseded`` (a stale resolve:
    ``cards closed`` when its episode's page cards are queued to close), ``announced`` (a live event owed), or
    ``gone``."""
    try:
        incident = IncidentRepository().get(marker.incident_id)
    except NotFoundError:
        sweeps.notice_cleared(marker)
        return "gone"
    if marker.event == sweeps.GAVE_UP_LIVE:
        return _announce(marker, incident)
    if not _latest_change(marker, incident):
        return _superseded(marker, incident)
    if marker.event == RESOLVED_NOTICE:
        by = marker.announced_by or "unknown"
        queued = notices.incident_resolved(incident, by=by, previous_status=None)
    else:
        queued = notices.incident_reopened(incident)
    if not queued:
        return "not queued"
    _queued_late(incident, marker)
    sweeps.notice_cleared(marker)
    return "queued"


def _announce(marker: sweeps.NoticeMarker, incident: IncidentRecord) -> str:
    """The live event of the timeline entry the marker's change stored (an escalation's give-up: its process failed
    to put it, or died before), put on the stream once for the entry (`timeline.announce` marks the entry), then the
    marker deleted. ``gone`` when the entry is not there (expired with its incident's timeline)."""
    entry = next((i for i in items_of_type(incident.id, marker.event) if i.at == marker.at), None)
    if entry is None:
        sweeps.notice_cleared(marker)
        return "gone"
    said = {k: v for k, v in (entry.data or {}).items() if k != "actor_name"}
    sent = timeline.announce(incident, marker.event, entry.message, actor=entry.actor, data=said, entry=entry.sk)
    sweeps.notice_cleared(marker)
    return "announced" if sent is not None else "announced already"


def _superseded(marker: sweeps.NoticeMarker, incident: IncidentRecord) -> str:
    """A marker a later change made stale: a resolve's closes its episode's page cards, then it is deleted."""
    if marker.event != RESOLVED_NOTICE or marker.episode is None:
        sweeps.notice_cleared(marker)
        return "superseded"
    episode = None if marker.episode == sweeps.FIRST_EPISODE else marker.episode
    by = marker.announced_by or "unknown"
    if not notices.stale_resolve_cards(incident, by=by, at=marker.at, episode=episode):
        return "not queued"
    _queued_late(incident, marker)
    sweeps.notice_cleared(marker)
    return "superseded: cards closed"


def _queued_late(incident: IncidentRecord, marker: sweeps.NoticeMarker) -> None:
    """The notice the timeline said was not queued (``notification_not_queued``) is queued now: the timeline says so
    (``notification_queued_late``, the same event and generation), once per notice, so the failure is not its last word.
    A notice whose writer queued nothing without saying so (its process stopped) has nothing to take back."""
    said = {"event": marker.event, "generation": notices.notice_generation(marker.event, marker.at)}
    try:
        if timeline.recorded_with(incident.id, NOT_QUEUED, **said) and not timeline.recorded_with(
            incident.id, QUEUED_LATE, **said
        ):
            message = f"{marker.event}: queued late, by the notice sweep"
            timeline.record(incident, QUEUED_LATE, message, actor="notify", data=said)
    except Exception:  # noqa: BLE001 — the notice is queued; the entry is what may fail (the store)
        logger().exception("could not record the late notice", extra={"incident_id": incident.id})


def _latest_change(marker: sweeps.NoticeMarker, incident: IncidentRecord) -> bool:
    """Whether the change the marker owes a notice for is still the incident's state."""
    resolved = incident.status == IncidentStatus.RESOLVED.value
    if marker.event == RESOLVED_NOTICE:
        return resolved and incident.resolved_at == marker.at
    if marker.event == REOPENED_NOTICE:
        return not resolved and incident.reopened_at == marker.at
    return False
