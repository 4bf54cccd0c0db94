"""Composition root of the notify function and API."""

from functools import cache

from pagerless.notify.delivery import NotifyService
from pagerless.notify.throttle import RetryLaterError, requeue_throttled
from pagerless.observability import logger
from pagerless.outbox.jobs import QUEUE_REDELIVERY_SECONDS, NotifyJob


@cache
def notify_service() -> NotifyService:
    return NotifyService()


def handle_record(body: str, remaining_ms: int | None = None, receipt_handle: str | None = None) -> dict:
    """One NotifyQueue message; an unreadable one is dead-lettered at once (it can never succeed).

    ``remaining_ms`` is the invocation's remaining time: deliveries that would not finish before it
    go back to the queue (the claims keep what was sent from being sent again). A job that must wait
    longer than the queue's redelivery (DingTalk's throttle, a long Retry-After) comes back only then:
    its message (``receipt_handle``) stays invisible that long, at most SQS's 15-minute delay. A
    shorter wait is not shortened further: the queue's retries keep their spacing.

    A job that only waits (throttled: see `pagerless.notify.throttle`) is instead sent again as a new
    delayed message and this one is acknowledged: NotifyQueue's maxReceiveCount counts real failures only.
    """
    import time

    try:
        job = NotifyJob.from_json(body)
    except (ValueError, KeyError, TypeError) as exc:
        from pagerless.notify.dead_letters import put_job

        put_job(body, error=f"not a notification job: {exc}")
        return {"dead_lettered": True}
    deadline = time.monotonic() + remaining_ms / 1000 - 2 if remaining_ms else None
    try:
        outcome = notify_service().handle(job, deadline=deadline)
    except RetryLaterError as exc:
        if requeue_throttled(job, exc):
            logger().info("throttled notification job requeued", extra={"event": job.event, "reason": str(exc)[:300]})
            return {"requeued": True}
        if receipt_handle and exc.retry_after is not None and exc.retry_after > QUEUE_REDELIVERY_SECONDS:
            from pagerless.outbox.jobs import delay_redelivery

            delay_redelivery(receipt_handle, exc.retry_after)
        raise
    logger().info(
        "notification job done", extra={"event": job.event, "incident_id": job.incident_id, **outcome.to_dict()}
    )
    return outcome.to_dict()
