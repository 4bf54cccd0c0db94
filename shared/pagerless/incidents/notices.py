"""What producers call: queue a notification job about an incident, never failing their own work.

Decision: a notification that cannot be queued (SQS unreachable, a bad job) does NOT fail the
workflow step, the approval or the decision that wanted it — fixing the incident matters more
than the message about it, and a failed step would escalate or retry the remediation. It is not
silent either: the error is logged, counted (metric ``NotificationNotQueued``) and written on the
incident's timeline (``notification_not_queued``), so the gap is visible where people look: once per notice (its
event and generation), however many times it is tried (a retried step, the notice sweep's tries every 2 minutes).
"""

import hashlib

from pagerless.observability import logger
from pagerless.outbox.jobs import NotifyJob, enqueue


def publish(event: str, incident, *, generation: str = "0", data: dict | None = None) -> bool:
    """Queue ``event`` for ``incident`` (an IncidentRecord); False (logged, on the timeline) if it failed."""
    try:
        enqueue(
            NotifyJob(
                workspace=incident.workspace,
                event=event,
                incident_id=incident.id,
                generation=str(generation),
                data=data or {},
            )
        )
        return True
    except Exception as exc:  # noqa: BLE001 — see the module docstring: loud, but the caller's work goes on
        logger().error(
            "notification not queued",
            extra={"incident_id": incident.id, "event": event, "error": f"{type(exc).__name__}: {exc}"[:300]},
        )
        _count()
        try:
            from pagerless.incidents import timeline

            said = {"event": event, "generation": str(generation)}
            # once per notice: the escalation sweep tries an owed reopen or resolve notice again every 2 minutes
            # (`notice_sweep`), and an outage of SQS would otherwise add an entry at each try
            if not timeline.recorded_with(incident.id, "notification_not_queued", **said):
                timeline.record(
                    incident, "notification_not_queued", f"{event}: {type(exc).__name__}", actor="notify", data=said
                )
        except Exception:  # noqa: BLE001 — the store may be what fails; the log line stands
            logger().exception("could not record the notification failure")
        return False


def incident_resolved(incident, *, by: str, previous_status: str | None) -> bool:
    """An incident resolved outside the workflow (by hand, or by its source): say so, and turn the
    cards of a pending approval into "closed" at once. The approval record is left to the workflow
    (a click is refused: there is nothing to decide any more; the timeout expires it, and that later
    update is a duplicate the delivery claims drop). ``previous_status`` None: not known (a
    redelivery announces again), so the approval is looked up.

    A correlated child's resolve, and a flapping incident's resolve by its source, are not
    announced: their opening never was (no workflow of their own), and in a storm one message per
    child or per flap would bury the messages that matter; a flap's resolve only closes again the cards its reopen
    opened (``cards_only``: edits, no message). False: the ``incident.resolved`` job was not queued (its marker stays
    for the sweep, `pagerless.incidents.notice_sweep`)."""
    queued = True
    if not incident.parent_id:
        from pagerless.incidents.notice_phrases import data, english, phrase

        said = phrase("resolved_by", by=by)
        # a flap's quiet resolve closes again the cards its reopen opened (`incident_reopened`), and says nothing
        quiet = {"cards_only": True} if _opened_unannounced(incident) else {}
        queued = publish(
            "incident.resolved",
            incident,
            generation=notice_generation("incident.resolved", incident.resolved_at),
            data={"message": english(said), "message_phrase": data(said), **quiet, **resolved_episode(incident)},
        )
    if previous_status in ("awaiting_approval", None):
        _close_pending_approval(incident, by)
    return queued


def _close_pending_approval(incident, by: str) -> None:
    try:
        from pagerless.domain.approvals import PENDING
        from pagerless.store.approvals import ApprovalRepository

        record = ApprovalRepository().latest(incident.id)
    except Exception:  # noqa: BLE001 — the resolution stands; the approval's timeout updates the cards later
        logger().exception("could not read the pending approval", extra={"incident_id": incident.id})
        return
    if record is not None and record.status == PENDING:
        publish(
            "approval.decided",
            incident,
            generation=record.approval_id,
            data={
                "approval_id": record.approval_id,
                "decision": "closed",
                "decided_by": by,
                "decided_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
                "comment": "the incident was resolved before anyone decided; nothing ran",
            },
        )


def stale_resolve_cards(incident, *, by: str, at, episode: str | None) -> bool:
    """A resolve whose notice was never queued and whose incident changed since (reopened; the sweep found its marker,
    `pagerless.incidents.notice_sweep`): its message is not said any more, but the page cards of the ``episode`` it
    ended (`resolved_episode`) still carry their Acknowledge button. An edit-only ``incident.resolved`` job naming
    that episode closes them, as a late resolve's job does (`pagerless.notify.edits`); its generation is the resolve's
    (``at``), so the resolve's own job, had it been queued after all, is the same delivery. False: not queued."""
    from pagerless.incidents.notice_phrases import data, english, phrase

    said = phrase("resolved_by", by=by)
    return publish(
        "incident.resolved",
        incident,
        generation=notice_generation("incident.resolved", at),
        data={"message": english(said), "message_phrase": data(said), "cards_only": True, "episode": episode},
    )


def resolved_episode(incident) -> dict:
    """What an ``incident.resolved`` job says of the episode it ended: ``episode``, when the incident last reopened
    before this resolve (ISO 8601), None for its first opening. Its job closes that episode's page cards, and, when
    the incident reopened since (the job came late), leaves the reopened cards open and says nothing in the thread
    (`pagerless.notify.edits`). A job without it (queued by an older version) is judged by the incident as it is."""
    return {"episode": incident.reopened_at.isoformat() if incident.reopened_at else None}


def incident_reopened(incident) -> bool:
    """A resolved incident reopened (a flap's reopen too): the thread's first message and the incident's opened cards
    in Slack and the Lark app, closed by its resolve, show it open again, with their Acknowledge button (an edit
    only, ``incident.reopened``: the reopen's own message is its new run's ``incident.opened``, which a flap's holds
    back until it settles). A correlated child has no cards of its own. False: the job was not queued."""
    if incident.parent_id or incident.reopened_at is None:
        return True
    return publish(
        "incident.reopened", incident, generation=notice_generation("incident.reopened", incident.reopened_at)
    )


def incident_acknowledged(incident, *, by: str, at) -> None:
    """An acknowledgement (a person's, or one made at the alert's source): the incident's opened cards and the page
    cards people got (Slack, the Lark app) are updated to say who acknowledged and when, in place of their Acknowledge
    button; the channels the routes send it to where no card is edited get a message of its own."""
    publish(
        "incident.acknowledged",
        incident,
        generation=generation_of("acknowledged", at.isoformat()),
        data={"acknowledged_by": by, "acknowledged_at": at.isoformat()},
    )


def _opened_unannounced(incident) -> bool:
    """Whether ``incident`` came (back) without an `incident.opened`: a correlated child, or a
    flapping incident resolved by its source (its reopen started no workflow)."""
    return bool(incident.parent_id) or (bool(incident.flapping) and incident.resolved_by == "source")


def notice_generation(event: str, at) -> str:
    """The generation of a resolve's or a reopen's notice (``event``), from the change's time ``at``: its writer's
    and the notice sweep's job are one delivery, and the sweep finds what the timeline said of it."""
    if event == "incident.reopened":
        return generation_of("reopened", at.isoformat())
    return generation_of("resolved", at)


def generation_of(*parts) -> str:
    """A short stable generation from what makes an occurrence distinct (an execution, a reason)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _count() -> None:
    try:
        from pagerless.incidents.metrics import notification_not_queued
        from pagerless.observability import count

        count("NotificationNotQueued")
        notification_not_queued()
    except Exception:  # noqa: BLE001, S110 — a metric must never break the producer
        pass
