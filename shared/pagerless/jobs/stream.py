"""A job's events as Server-Sent Events: ``id:`` is the event's sequence number (resume with
Last-Event-ID); the stream ends with the job or after ``max_seconds``."""

import json
import time
from collections.abc import Callable, Iterator

from pagerless.store.jobs import FINAL, JobRepository

RETRY_MS = 2000


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
    yield f"retry: {RETRY_MS}\n: job {job_id}, resuming after {after}\n\n"
    while True:
        for event in repo.events(job_id, after):
            after = event["seq"]
            yield f"id: {after}\nevent: {event['event']}\ndata: {json.dumps(event, ensure_ascii=False, default=str)}\n\n"
        record = repo.find(job_id)
        if record is None or record.status in FINAL and not repo.events(job_id, after):
            yield f"event: end\ndata: {json.dumps({'job_id': job_id, 'status': record.status if record else None})}\n\n"
            return
        remaining = max_seconds - (clock() - started)
        if remaining <= 0:
            return
        sleep(min(poll_seconds, remaining))
