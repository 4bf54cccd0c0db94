"""A job's events as Server-Sent Events: ``id:`` is the event's sequence number (resume with
Last-Event-ID); the stream ends with the job or after ``max_seconds``.

A job's final status is written first and its last event (JobCompleted, JobFailed, JobCancelled)
just after it, so a final status alone does not end the stream: it ends once that event is sent,
or ``FINAL_GRACE_SECONDS`` after the final status was seen (an event that never came)."""

import json
import time
from collections.abc import Callable, Iterator

from pagerless.store.jobs import FINAL, JobRepository

RETRY_MS = 2000
LAST_EVENTS = ("JobCompleted", "JobFailed", "JobCancelled")
FINAL_GRACE_SECONDS = 2.0


def stream_job(
    job_id: str,
    after: int,
    *,
    max_seconds: float = 25.0,
    poll_seconds: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    repo = JobRepository()
    started = clock()
    final_since: float | None = None
    # a client resuming after the job's last event has had it
    last = next((e["event"] for e in repo.events(job_id, after - 1)), None) if after > 0 else None
    yield f"retry: {RETRY_MS}\n: job {job_id}, resuming after {after}\n\n"
    while True:
        for event in repo.events(job_id, after):
            after, last = event["seq"], event["event"]
            yield f"id: {after}\nevent: {event['event']}\ndata: {json.dumps(event, ensure_ascii=False, default=str)}\n\n"
        record = repo.find(job_id)
        final = record is not None and record.status in FINAL
        final_since = (final_since if final_since is not None else clock()) if final else None
        ended = record is None or (
            final
            and (last in LAST_EVENTS or clock() - final_since >= FINAL_GRACE_SECONDS)
            and not repo.events(job_id, after)
        )
        if ended:
            yield f"event: end\ndata: {json.dumps({'job_id': job_id, 'status': record.status if record else None})}\n\n"
            return
        remaining = max_seconds - (clock() - started)
        if remaining <= 0:
            return
        sleep(min(poll_seconds, remaining))
