"""The AlertQueue consumer's batch and per-record logic, and the DLQ's.

- A batch is read whole first: a firing alert delivered several times in it (a storm repeats
  the same alerts) is counted in one write (`AlertBatch`).

- A payload that cannot be normalized goes straight to the dead-letter store (retrying cannot
  help) and the record succeeds.
- Each alert is processed once per delivery: the alert item remembers the last delivery applied
  to it (status and delivery time; `DeliveryMark`), and every change is conditional on it, so a
  redelivery changes nothing and costs no extra item (it replaced a Powertools idempotency
  record: two writes per alert, docs/writes.md). A state change older than the alert's last one
  (a firing redelivered after its resolve) is refused too.
- A batch that runs short of the function's time gives its remaining records back to the queue
  (visible again at once) rather than time out and have SQS redeliver the whole batch later.
- Any other failure notes the error on the dead-letter record (status `failing`, not listed)
  and fails the record, so SQS redelivers it; after maxReceiveCount the queue moves it to the
  DLQ, whose function marks the record `dead` (the API lists it).
- A failure that says when a retry can succeed — the alert's claim or its service's correlation
  slot is held by another delivery, perhaps one that died with its Lambda — sets the message's visibility to that moment, so the retries are not spent before
  the holder's claim goes stale (and, on AWS, the retry need not wait the whole visibility
  timeout).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from pydantic import ValidationError as PydanticValidationError

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.alerts import Alert, AlertStatus
from pagerless.domain.errors import ServiceUnavailableError, ValidationError
from pagerless.intake import metrics
from pagerless.intake.bootstrap import intake_service
from pagerless.intake.deliveries import Delivery, parse_delivery
from pagerless.intake.late_firings import LATE_FIRING, started
from pagerless.intake.payloads import parse_payload
from pagerless.intake.queue import delay_redelivery
from pagerless.intake.service import IngestResult, IntakeService
from pagerless.intake.sources import normalize
from pagerless.observability import logger
from pagerless.store.alerts import DeliveryMark, alert_key
from pagerless.store.dead_letters import DeadLetterRepository

MAX_RUN = 100  # deliveries counted in one write: its condition names each (DynamoDB's IN takes at most 100)
MIN_MARGIN_SECONDS = 5.0  # a batch stops taking records this long before the function's timeout


def register_context(context) -> None:
    """Kept for the handler's call: the consumer's idempotency no longer has an in-progress window
    to size (it is a conditional write on the alert item, see `DeliveryMark`)."""


def delivery_mark(delivery: Delivery, alert: Alert) -> DeliveryMark:
    """What names this alert's delivery on its alert item: status and delivery time (the alert's
    workspace, source and fingerprint are the item's key) — not the SQS message id, which a
    redriven or re-published message does not keep."""
    return DeliveryMark.of(alert.status.value, delivery.delivered_at)


def handle_alert_record(
    body: str, message_attributes: dict | None, attributes: dict | None, receipt_handle: str | None = None
) -> list[dict]:
    """Process one AlertQueue record alone (a batch of one); raises to have SQS redeliver it."""
    record = {
        "messageId": "0",
        "body": body,
        "messageAttributes": message_attributes,
        "attributes": attributes,
        "receiptHandle": receipt_handle,
    }
    return AlertBatch([record]).handle("0")


class _Member(NamedTuple):
    """One firing delivery of a run: where it is in the batch, the alert, and its mark."""

    message_id: str
    index: int  # the alert's place in its record
    alert: Alert
    mark: DeliveryMark


@dataclass
class _Run:
    """Firing deliveries of one alert that follow each other in a batch, with no resolve of it
    between them: applied together by the first record that reaches them."""

    members: list[_Member] = field(default_factory=list)
    result: IngestResult | None = None
    error: Exception | None = None


@dataclass
class _Entry:
    record: dict
    delivery: Delivery
    alerts: list[Alert] = field(default_factory=list)
    runs: list[_Run | None] = field(default_factory=list)  # per alert; None for a resolve
    unreadable: Exception | None = None


class AlertBatch:
    """One AlertQueue batch (Lambda event records, in order). The records are read first, so that
    an alert delivered several times in the batch — a storm repeats the same alerts — is counted
    in one conditional write and one incident read (`IntakeService.process`'s ``earlier``), not
    one of each per delivery. Each alert keeps its own order: a resolve between two firings of it
    splits them. A record that holds a later delivery of a run succeeds or fails with the run
    (SQS redelivers it; the deliveries' marks keep a replay from counting twice)."""

    def __init__(self, records: list[dict], remaining_ms: Callable[[], int] | None = None) -> None:
        self._entries: dict[str, _Entry] = {}
        self._remaining_ms = remaining_ms
        self._slowest = 0.0  # seconds, the slowest record so far
        runs: dict[str, _Run] = {}
        for record in records:
            attributes = record.get("attributes") or {}
            delivery = parse_delivery(record["body"], record.get("messageAttributes"), attributes.get("SentTimestamp"))
            entry = self._entries[record["messageId"]] = _Entry(record, delivery)
            try:
                entry.alerts = delivery_alerts(delivery)
            except Exception as exc:  # handled (dead-lettered, or failed) when its record's turn comes
                entry.unreadable = exc
                continue
            for index, alert in enumerate(entry.alerts):
                key = alert_key(delivery.workspace, alert.source, alert.fingerprint)
                if alert.status is not AlertStatus.FIRING:
                    runs.pop(key, None)
                    entry.runs.append(None)
                    continue
                run = runs.get(key)
                if run is None or len(run.members) >= MAX_RUN:
                    run = runs[key] = _Run()
                run.members.append(_Member(record["messageId"], index, alert, delivery_mark(delivery, alert)))
                entry.runs.append(run)

    def handle(self, message_id: str) -> list[dict]:
        """Process one record of the batch (in batch order); raises to have SQS redeliver it."""
        entry = self._entries[message_id]
        if self._out_of_time() and not _done_already(entry):  # back to the queue now, not after a timeout
            if entry.record.get("receiptHandle"):
                delay_redelivery(entry.record["receiptHandle"], 0)
            raise ServiceUnavailableError("the batch ran out of time before this record; it is redelivered")
        started = time.monotonic()
        try:
            return self._handle(entry)
        finally:
            self._slowest = max(self._slowest, time.monotonic() - started)

    def _out_of_time(self) -> bool:
        """Whether the function's remaining time may not hold another record: less than twice the
        slowest so far, and never less than `MIN_MARGIN_SECONDS`."""
        if self._remaining_ms is None:
            return False
        return self._remaining_ms() / 1000 < max(MIN_MARGIN_SECONDS, 2 * self._slowest)

    def _handle(self, entry: _Entry) -> list[dict]:
        delivery = entry.delivery
        if isinstance(entry.unreadable, ValidationError):
            dead_letter(
                delivery, error=f"not a valid {delivery.source} payload: {entry.unreadable.message}", reason="invalid"
            )
            return []
        try:
            if entry.unreadable is not None:
                raise entry.unreadable
            return [self._apply(entry, index, alert).to_dict() for index, alert in enumerate(entry.alerts)]
        except Exception as exc:
            attributes = entry.record.get("attributes") or {}
            _note_failure(delivery, exc, int(attributes.get("ApproximateReceiveCount", "1") or 1))
            delay = retry_after(exc)
            if delay is not None and entry.record.get("receiptHandle"):
                delay_redelivery(entry.record["receiptHandle"], delay)
            raise

    def _apply(self, entry: _Entry, index: int, alert: Alert) -> IngestResult:
        service = intake_service()
        run = entry.runs[index]
        if run is None:
            return service.process(alert, entry.delivery.workspace, delivery_mark(entry.delivery, alert))
        if run.error is not None:
            raise run.error
        if run.result is None:  # the first record to reach the run: the members from here on
            position = next(
                n for n, m in enumerate(run.members) if (m.message_id, m.index) == (entry.record["messageId"], index)
            )
            try:
                run.result = _apply_run(service, run.members[position:], entry.delivery.workspace)
            except Exception as exc:
                run.error = exc
                raise
        return run.result


def _apply_run(service: IntakeService, members: list[_Member], workspace: str) -> IngestResult:
    """Apply a run with its first delivery's alert. A run whose first alert is a late firing (its
    episode resolved already) is late whole, unless a later delivery in it starts later (a re-fire
    may follow the late copy in one batch): the run goes on from that one."""
    while True:
        marks = tuple({m.mark.key: m.mark for m in members}.values())  # a delivery repeated (a re-send) counts once
        result = service.process(members[0].alert, workspace, marks[-1], marks[:-1])
        first = started(members[0].alert)
        later = [n for n, m in enumerate(members) if first and (start := started(m.alert)) and start > first]
        if result.reason != LATE_FIRING or not later:
            return result
        members = members[later[0] :]


def _done_already(entry: _Entry) -> bool:
    """Whether every alert of the record was applied with a run an earlier record reached (giving
    such a record back would count its deliveries again)."""
    return entry.unreadable is None and all(run is not None and run.result is not None for run in entry.runs)


def retry_after(exc: Exception) -> float | None:
    """Seconds after which a retry of the failed record can succeed, when the failure tells."""
    return exc.retry_after if isinstance(exc, ServiceUnavailableError) else None


def delivery_alerts(delivery: Delivery) -> list[Alert]:
    """The alerts a delivery carries: one queued alert, or its payload normalized."""
    if delivery.kind == "alert":
        try:
            return [Alert.model_validate_json(delivery.body)]
        except PydanticValidationError as exc:
            raise ValidationError("the queued alert is not a valid alert") from exc
    payload = parse_payload(delivery.raw_body(), source=delivery.source, content_type=delivery.content_type)
    return normalize(delivery.source, payload)


def handle_dead_record(body: str, message_attributes: dict | None, attributes: dict | None) -> None:
    """An AlertDLQ record: the queue gave up on it; keep it where the API can show and replay it."""
    delivery = parse_delivery(body, message_attributes, (attributes or {}).get("SentTimestamp"))
    dead_letter(delivery, error=None, reason="retries_exhausted")


def dead_letter(delivery: Delivery, *, error: str | None, reason: str) -> None:
    DeadLetterRepository().put_dead(
        delivery.dead_letter(), error=error, now=utcnow(), retention_days=settings.intake().dead_letter_retention_days
    )
    metrics.dead_lettered(reason)
    logger().warning(
        "alert payload dead-lettered",
        extra={"dead_letter_id": delivery.id, "reason": reason, "source": delivery.source},
    )


def _note_failure(delivery: Delivery, exc: Exception, attempts: int) -> None:
    code = getattr(exc, "cause_response_code", None) or (
        getattr(exc, "response", {}).get("Error", {}).get("Code")
        if isinstance(getattr(exc, "response", None), dict)
        else None
    )
    error = f"{type(exc).__name__}: {getattr(exc, 'message', None) or code or 'processing failed'}"
    try:
        DeadLetterRepository().note_failure(
            delivery.dead_letter(),
            error=error[:500],
            attempts=attempts,
            retention_days=settings.intake().dead_letter_retention_days,
        )
    except Exception:  # the store may be what fails; the DLQ still keeps the message
        logger().warning("could not note the failure", extra={"dead_letter_id": delivery.id})
