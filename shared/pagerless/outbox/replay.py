"""Send a dead-lettered notification again (the dead-letter store's replay of a ``notify`` letter)."""

import json

from pagerless.outbox.jobs import NotifyJob, enqueue


def replay(record) -> dict:
    """Send a dead-lettered notification again: revive its delivery, put the job back on NotifyQueue."""
    from pagerless.domain.errors import ValidationError
    from pagerless.store.deliveries import DeliveryRepository

    stored = json.loads(record.body)
    try:
        job = NotifyJob.from_json(json.dumps(stored.get("job")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"the dead letter does not hold a notification job: {exc}") from exc
    from pagerless import settings
    from pagerless.domain.errors import ServiceUnavailableError

    if not settings.workflow().notify_queue_url:
        raise ServiceUnavailableError("no notification queue is configured (PAGERLESS_NOTIFY_QUEUE_URL)")
    revived = DeliveryRepository().revive(stored["delivery_id"]) if stored.get("delivery_id") else None
    enqueue(job)
    return {"requeued": True, "event": job.event, "incident_id": job.incident_id, "delivery_revived": revived}
