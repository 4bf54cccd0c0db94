"""The "process later" envelope: a webhook payload the endpoint accepted but could not store.

It carries what a signature-free replay needs (the signature was checked before queueing):
source, workspace, the raw body, its content type and when it was received. It travels on the
AlertQueue beside SNS notifications, told apart by the `pagerless_kind` message attribute (and
the `kind` field, for tools that drop attributes).
"""

import base64
import math
from dataclasses import asdict, dataclass
from datetime import datetime

from pagerless import settings
from pagerless.domain.errors import ServiceUnavailableError
from pagerless.observability import logger
from pagerless.sqs_text import message_json

KIND = "ingest"
ALERT_KIND = "alert"  # one normalized alert, queued alone when the whole payload cannot be
KIND_ATTRIBUTE = "pagerless_kind"
MAX_MESSAGE_BYTES = 256 * 1024  # the SQS limit the local runtime and older queues enforce
MAX_BATCH_ENTRIES = 10  # SendMessageBatch: at most 10 entries and 256 KiB in all
MAX_ATTEMPTS = 3  # SendMessageBatch calls for an entry SQS refuses for its own reasons (a Failed entry)
MAX_VISIBILITY = 12 * 3600  # SQS's upper bound on a message's visibility timeout


@dataclass(frozen=True)
class IngestEnvelope:
    source: str
    workspace: str
    body: str  # utf-8 text, or base64 when body_encoding is "base64"
    received_at: str
    content_type: str | None = None
    body_encoding: str = "utf-8"
    kind: str = KIND

    @classmethod
    def build(
        cls, *, source: str, workspace: str, body: bytes, content_type: str | None, received_at: datetime
    ) -> "IngestEnvelope":
        try:
            text, encoding = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(body).decode(), "base64"
        return cls(
            source=source,
            workspace=workspace,
            body=text,
            received_at=received_at.isoformat(),
            content_type=content_type,
            body_encoding=encoding,
        )

    @classmethod
    def from_json(cls, data: dict) -> "IngestEnvelope":
        fields = {k: data[k] for k in ("source", "workspace", "body", "received_at") if k in data}
        if len(fields) != 4 or not all(isinstance(v, str) for v in fields.values()):
            raise ValueError("not an ingest envelope")
        return cls(**fields, content_type=data.get("content_type"), body_encoding=data.get("body_encoding", "utf-8"))

    def raw_body(self) -> bytes:
        return base64.b64decode(self.body) if self.body_encoding == "base64" else self.body.encode("utf-8")

    def to_json(self) -> str:
        return message_json(asdict(self))


@dataclass(frozen=True)
class AlertEnvelope:
    """One normalized alert to process later: what a payload too large for one SQS message, or
    partly processed already, is queued as (an alert is at most ``max_alert_bytes``)."""

    source: str
    workspace: str
    alert: dict
    received_at: str
    kind: str = ALERT_KIND

    def to_json(self) -> str:
        return message_json(asdict(self))


def is_alert_envelope(data: object, attributes: dict | None = None) -> bool:
    kind = ((attributes or {}).get(KIND_ATTRIBUTE) or {}).get("stringValue")
    return (
        isinstance(data, dict)
        and (kind == ALERT_KIND or data.get("kind") == ALERT_KIND)
        and isinstance(data.get("alert"), dict)
    )


def fits(envelope: "IngestEnvelope | AlertEnvelope") -> bool:
    return len(envelope.to_json().encode("utf-8")) <= MAX_MESSAGE_BYTES


def is_envelope(data: object, attributes: dict | None = None) -> bool:
    kind = ((attributes or {}).get(KIND_ATTRIBUTE) or {}).get("stringValue")
    return kind == KIND or (isinstance(data, dict) and data.get("kind") == KIND and "body" in data)


def _sqs():
    from pagerless import aws

    return aws.shared_client("sqs")


def enqueue(envelope: "IngestEnvelope | AlertEnvelope") -> None:
    """Put the envelope on the AlertQueue; ServiceUnavailableError if that is impossible too."""
    url = settings.workflow().alert_queue_url
    message = envelope.to_json()
    if not url or len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise ServiceUnavailableError("the alert could not be stored or queued; retry later")
    try:
        _sqs().send_message(
            QueueUrl=url,
            MessageBody=message,
            MessageAttributes={KIND_ATTRIBUTE: {"DataType": "String", "StringValue": envelope.kind}},
        )
    except Exception as exc:
        raise ServiceUnavailableError("the alert could not be stored or queued; retry later") from exc


def delay_redelivery(receipt_handle: str, seconds: float) -> None:
    """Make a received AlertQueue message visible again only after ``seconds`` (best effort: if
    this fails, the queue's own visibility timeout applies)."""
    url = settings.workflow().alert_queue_url
    if not url:
        return
    try:
        _sqs().change_message_visibility(
            QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=min(MAX_VISIBILITY, math.ceil(seconds))
        )
    except Exception:
        logger().warning("could not delay the redelivery of an alert message", exc_info=True)


def enqueue_all(envelopes: "list[IngestEnvelope | AlertEnvelope]") -> int:
    """Put envelopes on the AlertQueue in as few calls as SQS allows (one SendMessageBatch per 10
    entries / 256 KiB); returns how many were queued. Entries SQS refuses in a batch (its ``Failed``,
    not the sender's fault) are sent again, up to `MAX_ATTEMPTS` times; a batch whose call fails is
    left (botocore retried it already) and the next batches are still sent. When some could not be
    queued, raises ServiceUnavailableError with ``taken``, the indices SQS took (the caller keeps
    the others some other way)."""
    url = settings.workflow().alert_queue_url
    messages = [(envelope.to_json(), envelope.kind) for envelope in envelopes]
    if not url or any(len(m.encode("utf-8")) > MAX_MESSAGE_BYTES for m, _ in messages):
        raise _unavailable(set())
    if len(messages) == 1:
        try:
            enqueue(envelopes[0])
        except ServiceUnavailableError as exc:
            exc.taken = frozenset()
            raise
        return 1
    taken: set[int] = set()
    for batch in _batches(list(enumerate(messages))):
        taken |= _send_batch(url, dict(batch))
    if len(taken) < len(messages):
        raise _unavailable(taken)
    return len(messages)


def _send_batch(url: str, pending: dict[int, tuple[str, str]]) -> set[int]:
    """Send one batch (``pending``: message by its index in the call), again for the entries SQS
    refused for its own reasons; the indices SQS took."""
    taken: set[int] = set()
    for _ in range(MAX_ATTEMPTS):
        entries = [
            {
                "Id": str(index),
                "MessageBody": body,
                "MessageAttributes": {KIND_ATTRIBUTE: {"DataType": "String", "StringValue": kind}},
            }
            for index, (body, kind) in pending.items()
        ]
        try:
            response = _sqs().send_message_batch(QueueUrl=url, Entries=entries)
        except Exception:
            logger().warning("the alert queue refused a batch", exc_info=True, extra={"entries": len(entries)})
            return taken
        taken |= {int(entry["Id"]) for entry in response.get("Successful", [])}
        failed = response.get("Failed", [])
        if failed:
            logger().warning(
                "the alert queue refused entries of a batch",
                extra={"codes": sorted({f.get("Code", "") for f in failed}), "entries": len(failed)},
            )
        again = {
            int(f["Id"]) for f in failed if not f.get("SenderFault")
        }  # the sender's fault: sent again, refused again
        pending = {index: message for index, message in pending.items() if index in again}
        if not pending:
            break
    return taken


def _batches(messages: list[tuple[int, tuple[str, str]]]):
    batch: list[tuple[int, tuple[str, str]]] = []
    size = 0
    for message in messages:
        length = len(message[1][0].encode("utf-8"))
        if batch and (len(batch) == MAX_BATCH_ENTRIES or size + length > MAX_MESSAGE_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += length
    if batch:
        yield batch


def _unavailable(taken: set[int]) -> ServiceUnavailableError:
    exc = ServiceUnavailableError("the alert could not be stored or queued; retry later")
    exc.taken = frozenset(taken)
    return exc
