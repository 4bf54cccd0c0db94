"""The notify side of the dead-letter store: a delivery dead after its retries, and a job the queue gave up on
(NotifyDLQ) or could not read. A replay (pagerless.outbox.replay) sends either again."""

import hashlib
import json

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.observability import count, logger
from pagerless.outbox.jobs import NotifyJob
from pagerless.prometheus import REGISTRY
from pagerless.store.dead_letters import DeadLetterRecord, DeadLetterRepository


def put_delivery(job: NotifyJob, channel: dict, record, error: str, attempts: int) -> None:
    """Keep the job of a delivery dead after its retries, naming the delivery, for a replay."""
    now = utcnow()
    body = json.dumps(
        {"job": json.loads(job.to_json()), "delivery_id": record.delivery_id, "channel_id": channel["id"]},
        separators=(",", ":"),
    )
    dead = DeadLetterRecord(
        job.workspace,
        f"dl-{now:%Y%m%dT%H%M%S%f}-{record.delivery_id[4:16]}",
        kind="notify",
        source=channel["channel_type"],
        content_type="application/json",
        body=body,
        attempts=attempts,
        received_at=now,
    )
    DeadLetterRepository().put_dead(
        dead, error=error[:500], now=now, retention_days=settings.intake().dead_letter_retention_days
    )
    _counted("delivery")
    logger().warning("notification dead-lettered", extra={"delivery_id": record.delivery_id, "dead_letter_id": dead.id})


def put_job(body: str, *, error: str | None) -> None:
    """A NotifyDLQ message (or an unreadable job): keep it in the dead-letter store for replay. A job the queue
    gave up on puts on the incident's timeline the paged people no delivered message reached."""
    try:
        workspace = json.loads(body).get("workspace") or settings.api().default_workspace
    except (ValueError, AttributeError):
        workspace = settings.api().default_workspace
    now = utcnow()
    record = DeadLetterRecord(
        str(workspace),
        f"dl-{now:%Y%m%dT%H%M%S%f}-{hashlib.sha256(body.encode()).hexdigest()[:12]}",
        kind="notify",
        source="notify",
        content_type="application/json",
        body=json.dumps({"job": _maybe_json(body)}, separators=(",", ":")),
        received_at=now,
    )
    DeadLetterRepository().put_dead(
        record, error=error, now=now, retention_days=settings.intake().dead_letter_retention_days
    )
    _counted("job")
    logger().warning("notification job dead-lettered", extra={"dead_letter_id": record.id})
    try:
        job = NotifyJob.from_json(body)
    except (ValueError, KeyError, TypeError):
        return
    from pagerless.notify.bootstrap import notify_service

    try:
        notify_service().given_up(job)
    except Exception:  # noqa: BLE001 — the letter is kept: failing here would bring the message back for a second one
        logger().exception("could not record whom the given-up page reached", extra={"dead_letter_id": record.id})


def _counted(what: str) -> None:
    REGISTRY.inc(
        "notifications_dead_lettered",
        {"what": what},
        help_text="Notification deliveries (dead after their retries) and jobs (given up by NotifyQueue) dead-lettered.",
    )
    count("DeadLettered")  # the DeadLettersAlarm of template.yaml


def _maybe_json(body: str):
    try:
        return json.loads(body)
    except ValueError:
        return body
