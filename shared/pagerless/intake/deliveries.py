"""What arrives on the AlertQueue, as one shape: a Delivery (source, workspace, payload, time).

Four kinds of SQS bodies:
- `ingest`: a webhook payload the endpoint queued (see intake.queue);
- `alert`: one normalized alert the endpoint queued alone (body: the alert's JSON);
- `sns`: an SNS notification (RawMessageDelivery false). The source comes from the SNS message
  attribute `source`, else from the message: a CloudWatch alarm (`AlarmName`), an EventBridge
  event (`detail-type`), otherwise generic JSON. The workspace from the attribute `workspace`;
- `raw`: anything else (a raw-delivery alarm or JSON alert), read like an SNS message.
The delivery's id is stable across redeliveries and the DLQ: it names the dead-letter record.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pagerless import settings
from pagerless.clock import parse_time
from pagerless.intake.queue import IngestEnvelope, is_alert_envelope, is_envelope
from pagerless.store.dead_letters import DeadLetterRecord


@dataclass(frozen=True)
class Delivery:
    kind: str
    source: str
    workspace: str
    body: str  # what the normalizer reads (text; base64 if body_encoding says so)
    delivered_at: datetime
    content_type: str | None = None
    body_encoding: str = "utf-8"
    raw: str = ""  # the SQS body, for the id

    @property
    def id(self) -> str:
        digest = hashlib.sha256(self.raw.encode("utf-8", "replace")).hexdigest()[:12]
        return f"dl-{self.delivered_at:%Y%m%dT%H%M%S}-{digest}"

    def raw_body(self) -> bytes:
        return IngestEnvelope(self.source, self.workspace, self.body, "", body_encoding=self.body_encoding).raw_body()

    def dead_letter(self) -> DeadLetterRecord:
        return DeadLetterRecord(
            self.workspace,
            self.id,
            kind=self.kind,
            source=self.source,
            body=self.body,
            body_encoding=self.body_encoding,
            content_type=self.content_type,
            received_at=self.delivered_at,
        )


def parse_delivery(body: str, message_attributes: dict | None = None, sent_timestamp: str | None = None) -> Delivery:
    """Read an SQS body; never raises (an unreadable body becomes a `raw` delivery of source unknown)."""
    default_workspace = settings.api().default_workspace
    sent = parse_time(sent_timestamp) or datetime.now(UTC)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return Delivery("raw", "unknown", default_workspace, body, sent, raw=body)
    if (
        is_alert_envelope(data, message_attributes)
        and isinstance(data.get("source"), str)
        and isinstance(data.get("workspace"), str)
    ):
        return Delivery(
            "alert",
            data["source"],
            data["workspace"],
            json.dumps(data["alert"], ensure_ascii=False, separators=(",", ":")),
            parse_time(data.get("received_at")) or sent,
            "application/json",
            raw=body,
        )
    if is_envelope(data, message_attributes):
        try:
            envelope = IngestEnvelope.from_json(data)
        except (ValueError, TypeError):
            return Delivery("ingest", "unknown", default_workspace, body, sent, raw=body)
        return Delivery(
            "ingest",
            envelope.source,
            envelope.workspace,
            envelope.body,
            parse_time(envelope.received_at) or sent,
            envelope.content_type,
            envelope.body_encoding,
            raw=body,
        )
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        attributes = data.get("MessageAttributes") if isinstance(data.get("MessageAttributes"), dict) else {}
        message = data.get("Message")
        source = _attribute(attributes, "source") or _detect(message)
        workspace = _attribute(attributes, "workspace") or default_workspace
        payload = body if source == "cloudwatch" else (message if isinstance(message, str) else json.dumps(message))
        return Delivery(
            "sns", source, workspace, payload, parse_time(data.get("Timestamp")) or sent, "application/json", raw=body
        )
    return Delivery("raw", _detect(body), default_workspace, body, sent, "application/json", raw=body)


def _attribute(attributes: dict, name: str) -> str | None:
    value = attributes.get(name)
    if isinstance(value, dict) and isinstance(value.get("Value"), str) and value["Value"].strip():
        return value["Value"].strip()
    return None


def _detect(message: Any) -> str:
    try:
        data = json.loads(message) if isinstance(message, str) else message
    except (ValueError, RecursionError):
        return "text"
    if isinstance(data, dict) and "AlarmName" in data:
        return "cloudwatch"
    if isinstance(data, dict) and "detail-type" in data:
        return "eventbridge"
    return "generic"
