"""What producers call: queue a notification job about an incident, never failing their own work.

Decision: a notification that cannot be queued (SQS unreachable, a bad job) does NOT fail the
workflow step, the approval or the decision that wanted it — fixing the incident matters more
than the message about it, and a failed step would escalate or retry the remediation. It is not
silent either: the error is logged, counted (metric ``NotificationNotQueued``) and written on the
incident's timeline (``notification_not_queued``), so the gap is visible where people look.
"""

import hashlib

from pagerless.notify.jobs import NotifyJob, enqueue
from pagerless.observability import logger


def publish(event: str, incident, *, generation: str = "0", data: dict | None = None) -> bool:
    """Queue ``event`` for ``incident`` (an IncidentRecord); False (logged, on the timeline) if it failed."""
    try:
        enqueue(NotifyJob(workspace=incident.workspace, event=event, incident_id=incident.id,
                          generation=str(generation), data=data or {}))
        return True
    except Exception as exc:  # noqa: BLE001 — see the module docstring: loud, but the caller's work goes on
        logger().error("notification not queued", extra={"incident_id": incident.id, "event": event,
                                                         "error": f"{type(exc).__name__}: {exc}"[:300]})
        _count()
        try:
            from pagerless.incidents import timeline

            timeline.record(incident, "notification_not_queued", f"{event}: {type(exc).__name__}",
                            actor="notify", data={"event": event, "generation": str(generation)})
        except Exception:  # noqa: BLE001 — the store may be what fails; the log line stands
            logger().exception("could not record the notification failure")
        return False


def incident_resolved(incident, *, by: str, previous_status: str) -> None:
    """An incident resolved outside the workflow (by hand, or by its source): say so, and close a
    pending approval at once so its cards stop offering buttons (the workflow's timeout later finds
    it closed and ends quietly)."""
    publish("incident.resolved", incident, generation=generation_of("resolved", incident.resolved_at),
            data={"message": f"resolved by {by}"})
    if previous_status != "awaiting_approval":
        return
    try:
        from pagerless.workflow.approvals import ApprovalService

        ApprovalService().expire(incident.id, f"the incident was resolved by {by} before anyone decided")
    except Exception:  # noqa: BLE001 — the resolution stands; the approval's own timeout closes it later
        logger().exception("could not close the pending approval", extra={"incident_id": incident.id})


def generation_of(*parts) -> str:
    """A short stable generation from what makes an occurrence distinct (an execution, a reason)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _count() -> None:
    try:
        from aws_lambda_powertools.metrics import MetricUnit

        from pagerless.observability import metrics

        metrics().add_metric(name="NotificationNotQueued", unit=MetricUnit.Count, value=1)
    except Exception:  # noqa: BLE001, S110 — a metric must never break the producer
        pass
