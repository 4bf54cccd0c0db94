"""One delivery's attempts: send (or update a card) with retry, and record what happened.

A retryable failure (429 with Retry-After, 5xx, timeout) is tried again with backoff, in this invocation while the
wait is short, otherwise by the queue (`RetryLaterError`, with the vendor's wait held on the delivery:
``retry_at``); after ``max_attempts`` the delivery is dead and the job goes to the dead-letter store. Any other 4xx
gives up at once. A throttle (a 429 — Slack's ``chat.update`` too —, Slack's HTTP 200 ``ratelimited`` error, WeCom's
45009, DingTalk's 130101) does not use up ``max_attempts``: only time ends it (`pagerless.notify.throttle`). The
channel's rate (messages a minute) is taken before each call. Split from `pagerless.notify.delivery`, which decides what to deliver.
"""

import time

from pagerless import settings
from pagerless.notify import dead_letters
from pagerless.notify.channels.base import Parts, PermanentError, RetryableError
from pagerless.notify.throttle import RetryLaterError, held_until, throttle_wait
from pagerless.observability import logger
from pagerless.store import deliveries as store


def attempt(service, job, channel, module, config_for, record, message, ref, outcome, deadline, thread=None) -> bool:
    """Send ``message`` (or update the card ``ref`` names) through ``channel`` for the claimed delivery ``record``,
    retrying as the module docstring says; ``service``: the `NotifyService` whose rate slots, delivery log, HTTP
    client and sleep it uses. What happened goes to ``outcome`` and the delivery log; RetryLaterError hands the
    rest to the queue. True when the vendor took it."""
    conf = settings.notify()
    rate = channel["config"].get("rate_per_minute") or module.RATE_PER_MINUTE
    attempts = int(record.attempts or 0)
    counted = attempts - int(record.throttles or 0)  # throttled attempts do not use up max_attempts
    throttled_here = 0  # but at most max_attempts of them in one invocation: then the queue's pace
    parts = Parts(record.parts_sent or (), lambda keys: service.deliveries.mark_parts_sent(record, keys))
    in_parts = {"parts": parts} if getattr(module, "SENDS_IN_PARTS", False) else {}
    if getattr(module, "DELIVERY_MESSAGE_ID", False):  # every attempt of the delivery sends one message id
        in_parts["message_id"] = "msg_" + record.delivery_id.removeprefix("dlv-")
    if thread is not None:
        in_parts["thread"] = thread
    requests = getattr(module, "requests", None)  # a message sent in several requests takes a slot for each
    while True:
        slots = min(int(rate or 0), requests(message, parts) if requests and not ref else 1)
        if slots:
            wait = service.config.take_rate_slot(job.workspace, channel["id"], int(rate), slots=slots)
            if wait > 0:
                if wait > conf.max_wait_seconds or not time_for(deadline, wait):
                    service.deliveries.release(record, f"rate limited: {rate} messages a minute")
                    raise RetryLaterError(f"rate limited for {wait:.0f}s", throttled=True)
                service.sleep(wait)
                continue
        attempts += 1
        counted += 1
        service.deliveries.note_attempt(record)
        try:
            config = config_for()
            sent = (
                module.update(service.http, config, ref, message)
                if ref
                else module.send(service.http, config, message, **in_parts)
            )
        except PermanentError as exc:
            service.deliveries.mark_failed(record, store.GAVE_UP, exc.message, fix=exc.fix)
            outcome.failed.append({"channel_id": channel["id"], "status": store.GAVE_UP, "error": exc.message})
            logger().warning("notification refused", extra={"delivery_id": record.delivery_id, "error": exc.message})
            return False
        except RetryableError as exc:
            wait = exc.retry_after
            if exc.throttled:
                counted -= 1
                throttled_here += 1
                service.deliveries.note_throttle(record)
                wait = throttle_wait(record, wait)
            if (wait is None) if exc.throttled else counted >= conf.max_attempts:
                service.deliveries.mark_failed(record, store.DEAD, exc.message)
                dead_letters.put_delivery(job, channel, record, exc.message, attempts)
                outcome.failed.append({"channel_id": channel["id"], "status": store.DEAD, "error": exc.message})
                return False
            delay = wait if wait is not None else conf.backoff_base_seconds * 2 ** (counted - 1)
            later = delay > conf.max_wait_seconds or throttled_here >= conf.max_attempts
            if later or not time_for(deadline, delay):
                service.deliveries.mark_failed(record, store.FAILED, exc.message, retry_at=held_until(wait))
                raise RetryLaterError(exc.message, wait, throttled=exc.throttled) from exc
            service.sleep(delay)
            continue
        service.deliveries.mark_sent(record, message_id=sent.message_id, ref=sent.ref or ref)
        outcome.delivered.append(channel["id"])
        return True


def time_for(deadline: float | None, wait: float) -> bool:
    """Is there time to wait ``wait`` seconds and then make one vendor call before the deadline?"""
    return deadline is None or time.monotonic() + wait + settings.notify().timeout_seconds + 1 <= deadline
