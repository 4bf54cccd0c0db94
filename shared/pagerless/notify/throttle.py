"""When a delivery that could not be made now is tried again, and how its job goes back to NotifyQueue.

A throttle (a 429, WeCom's 45009, DingTalk's 130101) does not use up a delivery's ``max_attempts``: it waits the
vendor's wait, or minutes when the vendor says none, and only time ends it (`throttle_wait`: 30 minutes after the
delivery was made or last replayed, it is dead, dead-lettered and its page settled).

A job that must come back only because it is throttled (or held by a vendor's wait, or by our own rate limit) is
not a failure the queue should count. NotifyQueue's ``maxReceiveCount`` (5) counts receives, and throttled
returns at the queue's pace (its 3-minute visibility timeout, or the wait) would move such a job to NotifyDLQ
after about 12 to 35 minutes, whatever the delivery's own give-up said, and without its bookkeeping. So such a
job is sent again as a new message with ``DelaySeconds`` (the wait, at least the queue's 3 minutes, at most SQS's
15) and the received one is acknowledged (`requeue_throttled`): its receives count only real failures (a 5xx, a
timeout, a crash), and the redrive policy stays the backstop for those. If that send fails, the job goes back
the old way (a counted receive) rather than being lost; if the acknowledgement is lost, the job runs twice and
the deliveries' claims keep anything from being sent twice.
"""

import math
from datetime import datetime, timedelta

from pagerless.clock import utcnow
from pagerless.outbox.jobs import MAX_DELAY_SECONDS, QUEUE_REDELIVERY_SECONDS, NotifyJob

THROTTLE_MIN_WAIT = 300.0
THROTTLE_GIVE_UP_SECONDS = 1800
THROTTLE_MIN_RETRY_AFTER = 1.0  # a vendor's "Retry-After: 0" is not taken as "hammer me"


class RetryLaterError(Exception):
    """Some delivery of the job must be tried again later: the queue redelivers the job, not before
    ``retry_after`` seconds when a vendor said how long to wait (a Retry-After, DingTalk's throttle).
    ``throttled``: nothing failed, the job only waits (a throttle, a vendor's wait, our rate limit)."""

    def __init__(self, message: str, retry_after: float | None = None, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.throttled = throttled


def held_until(retry_after: float | None) -> datetime | None:
    """Until when a delivery whose vendor said to wait ``retry_after`` seconds is not tried again: a
    wait longer than the queue's redelivery holds it while the job's other deliveries come back at
    the queue's pace (a shorter one is over by the time the job is back)."""
    if retry_after is None or retry_after <= QUEUE_REDELIVERY_SECONDS:
        return None
    return utcnow() + timedelta(seconds=retry_after)


def throttle_wait(record, retry_after: float | None) -> float | None:
    """How long a delivery the vendor throttled waits: the vendor's ``retry_after``, at least
    THROTTLE_MIN_RETRY_AFTER; without one, as long as it has been failing (a throttle window outlasts a passing
    failure: Teams' connectors count requests per hour and per day), at least THROTTLE_MIN_WAIT, at most SQS's
    delay maximum. None once it has failed for THROTTLE_GIVE_UP_SECONDS since it was made or last replayed (it is
    dead): throttled attempts do not use up ``max_attempts``, so time is what ends them."""
    began = record.replayed_at or record.created_at or utcnow()  # a replay is a new run of tries
    failing = (utcnow() - began).total_seconds()
    if failing >= THROTTLE_GIVE_UP_SECONDS:
        return None
    if retry_after is not None:
        return max(THROTTLE_MIN_RETRY_AFTER, retry_after)
    return float(min(MAX_DELAY_SECONDS, max(THROTTLE_MIN_WAIT, failing)))


def requeue_throttled(job: NotifyJob, exc: RetryLaterError) -> bool:
    """Send a job that only waits (``exc.throttled``) again as a new message, delayed by its wait (at least the
    queue's redelivery, so a "Retry-After: 0" does not make it spin; at most SQS's 15 minutes). True when sent:
    the received message may then be acknowledged. False: it must go back the queue's way."""
    from pagerless.outbox.jobs import enqueue

    if not exc.throttled:
        return False
    delay = min(MAX_DELAY_SECONDS, math.ceil(max(QUEUE_REDELIVERY_SECONDS, exc.retry_after or 0)))
    try:
        return enqueue(job, delay_seconds=delay)
    except Exception:  # noqa: BLE001 — the job goes back the queue's way instead (a counted receive)
        from pagerless.observability import logger

        logger().warning("could not requeue a throttled notification job", exc_info=True)
        return False
