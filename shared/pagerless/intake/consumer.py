"""The AlertQueue consumer's per-record logic, and the DLQ's.

- A payload that cannot be normalized goes straight to the dead-letter store (retrying cannot
  help) and the record succeeds.
- Each alert is processed once per delivery: the alert item remembers the last delivery applied
  to it (status and delivery time; `DeliveryMark`), and every change is conditional on it, so a
  redelivery changes nothing and costs no extra item (it replaced a Powertools idempotency
  record: two writes per alert, docs/writes.md). A state change older than the alert's last one
  (a firing redelivered after its resolve) is refused too.
- Any other failure notes the error on the dead-letter record (status `failing`, not listed)
  and fails the record, so SQS redelivers it; after maxReceiveCount the queue moves it to the
  DLQ, whose function marks the record `dead` (the API lists it).
- A failure that says when a retry can succeed — the alert's claim or its service's correlation
  slot is held by another delivery, perhaps one that died with its Lambda — sets the message's visibility to that moment, so the retries are not spent before
  the holder's claim goes stale (and, on AWS, the retry need not wait the whole visibility
  timeout).
"""

from pydantic import ValidationError as PydanticValidationError

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ServiceUnavailableError, ValidationError
from pagerless.intake import metrics
from pagerless.intake.bootstrap import intake_service
from pagerless.intake.deliveries import Delivery, parse_delivery
from pagerless.intake.payloads import parse_payload
from pagerless.intake.queue import delay_redelivery
from pagerless.intake.sources import normalize
from pagerless.observability import logger
from pagerless.store.alerts import DeliveryMark
from pagerless.store.dead_letters import DeadLetterRepository


def register_context(context) -> None:
    """Kept for the handler's call: the consumer's idempotency no longer has an in-progress window
    to size (it is a conditional write on the alert item, see `DeliveryMark`)."""


def delivery_mark(delivery: Delivery, alert: Alert) -> DeliveryMark:
    """What names this alert's delivery on its alert item: status and delivery time (the alert's
    workspace, source and fingerprint are the item's key) — not the SQS message id, which a
    redriven or re-published message does not keep."""
    return DeliveryMark(f"{alert.status.value}|{delivery.delivered_at.isoformat()}", delivery.delivered_at)


def handle_alert_record(
    body: str, message_attributes: dict | None, attributes: dict | None, receipt_handle: str | None = None
) -> list[dict]:
    """Process one AlertQueue record; raises to have SQS redeliver it."""
    attributes = attributes or {}
    delivery = parse_delivery(body, message_attributes, attributes.get("SentTimestamp"))
    try:
        alerts = delivery_alerts(delivery)
    except ValidationError as exc:
        dead_letter(delivery, error=f"not a valid {delivery.source} payload: {exc.message}", reason="invalid")
        return []
    service = intake_service()
    try:
        return [
            service.process(alert, delivery.workspace, delivery_mark(delivery, alert)).to_dict() for alert in alerts
        ]
    except Exception as exc:
        _note_failure(delivery, exc, int(attributes.get("ApproximateReceiveCount", "1") or 1))
        delay = retry_after(exc)
        if delay is not None and receipt_handle:
            delay_redelivery(receipt_handle, delay)
        raise


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
