"""PagerDuty: Webhooks V3 (incident events) and Events API v2 (trigger/acknowledge/resolve).

V3: the fingerprint is the incident id (`event.data.id`); `event.id` is new on every delivery
and never identifies the problem. An acknowledged incident is still firing, with
`acknowledged=True`. Events that do not carry the incident itself (notes, responders,
status updates, `pagey.ping`) change nothing and give no alert.

Events v2: the fingerprint is `dedup_key`. The `routing_key` is a secret and never copied.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import Severity, parse_severity
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    optional_dict,
    optional_list,
    require_dict,
    scalar_text,
    text,
)

SOURCE = "pagerduty"

# V3 `event.data.status` → (status, acknowledged).
INCIDENT_STATUS_MAP: dict[str, tuple[AlertStatus, bool]] = {
    "triggered": (AlertStatus.FIRING, False),
    "acknowledged": (AlertStatus.FIRING, True),
    "resolved": (AlertStatus.RESOLVED, False),
}

# Used when an incident has no priority. Low urgency means "no one is woken up, handle it in
# working hours": that is still a problem to look at, so warning rather than info.
URGENCY_SEVERITY_MAP: dict[str, Severity] = {"high": Severity.HIGH, "low": Severity.WARNING}

# Events v2 `event_action` → (status, acknowledged).
EVENT_ACTION_MAP: dict[str, tuple[AlertStatus, bool]] = {
    "trigger": (AlertStatus.FIRING, False),
    "acknowledge": (AlertStatus.FIRING, True),
    "resolve": (AlertStatus.RESOLVED, False),
}

# Events v2 custom_details keys that name the Kubernetes context.
_CONTEXT_KEYS = ("service", "namespace", "pod")


def normalize(payload: dict | list | str) -> list[Alert]:
    """Alerts from a PagerDuty Webhooks V3 body or an Events API v2 event."""
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    if is_events_v2(body):
        return normalize_events_v2(body)
    if "event" in body:
        return _webhook_v3(require_dict(body["event"], f"{SOURCE} 'event'"))
    raise ValidationError(f"{SOURCE} payload is neither a V3 webhook ('event') nor an Events v2 event")


def is_events_v2(body: Mapping[str, Any]) -> bool:
    """Whether a JSON object is a PagerDuty Events API v2 event (it has `event_action`)."""
    return "event_action" in body and "event" not in body


def normalize_events_v2(body: Mapping[str, Any], *, source: str = SOURCE) -> list[Alert]:
    """One Alert from an Events API v2 event; ``source`` names the endpoint it came through."""
    action = (text(body.get("event_action")) or "").lower()
    if action not in EVENT_ACTION_MAP:
        raise ValidationError(f"{source} Events v2 'event_action' must be trigger, acknowledge or resolve")
    status, acknowledged = EVENT_ACTION_MAP[action]
    event = optional_dict(body.get("payload"), f"{source} Events v2 'payload'")
    details = optional_dict(event.get("custom_details"), f"{source} Events v2 'custom_details'")
    summary = text(event.get("summary"))
    dedup_key = text(body.get("dedup_key"))
    if dedup_key is None:
        if action != "trigger" or summary is None:
            raise ValidationError(f"{source} Events v2 {action} event needs a 'dedup_key'")
        # PagerDuty would invent a key; ours must be stable across redeliveries instead.
        dedup_key = make_fingerprint(source, summary, event.get("source"), event.get("component"))
    labels = {
        key: value
        for key, value in {
            "host": text(event.get("source")),
            "component": text(event.get("component")),
            "group": text(event.get("group")),
            "class": text(event.get("class")),
            "client": text(body.get("client")),
        }.items()
        if value
    }
    annotations = {str(k): scalar_text(v) for k, v in details.items() if v is not None}
    links = optional_list(body.get("links"), f"{source} Events v2 'links'")
    service = text(details.get("service")) or text(event.get("component"))
    defaulted = tuple(
        name
        for name, present in (
            ("title", summary),
            ("severity", text(event.get("severity"))),
            ("service", service),
            ("namespace", text(details.get("namespace"))),
            ("pod", text(details.get("pod"))),
        )
        if present is None
    )
    return [
        Alert(
            source=source,
            fingerprint=dedup_key,
            status=status,
            severity=parse_severity(event.get("severity")),
            title=summary or dedup_key,
            description="",
            service=service,
            namespace=text(details.get("namespace")),
            pod=text(details.get("pod")),
            labels=labels,
            annotations=annotations,
            starts_at=parse_time(event.get("timestamp")) if status is AlertStatus.FIRING else None,
            url=first_text(*(link.get("href") for link in links if isinstance(link, Mapping)), body.get("client_url")),
            acknowledged=acknowledged,
            defaulted=defaulted,
        )
    ]


def _webhook_v3(event: Mapping[str, Any]) -> list[Alert]:
    data = optional_dict(event.get("data"), f"{SOURCE} 'event.data'")
    event_type = text(event.get("event_type")) or ""
    # `data.type` says what the event is about; senders that copy PagerDuty's shape by hand (the
    # seed API's "incident.triggered" example) leave it out: the event type then says it.
    if text(data.get("type")) not in ("incident", None) or not event_type.startswith("incident."):
        return []
    incident_id = text(data.get("id"))
    if incident_id is None:
        raise ValidationError(f"{SOURCE} incident event has no 'event.data.id'")
    status, acknowledged = _incident_state(event_type, text(data.get("status")))
    priority = optional_dict(data.get("priority"), f"{SOURCE} 'priority'")
    service = optional_dict(data.get("service"), f"{SOURCE} 'service'")
    labels = {
        key: value
        for key, value in {
            "incident_key": text(data.get("incident_key")),
            "incident_number": text(data.get("number")),
            "priority": text(priority.get("summary")),
            "urgency": text(data.get("urgency")),
            "service_id": text(service.get("id")),
            "event_type": event_type,
        }.items()
        if value
    }
    return [
        Alert(
            source=SOURCE,
            fingerprint=incident_id,
            status=status,
            severity=_severity(priority, text(data.get("urgency"))),
            title=text(data.get("title")) or f"PagerDuty incident {incident_id}",
            service=text(service.get("summary")),
            labels=labels,
            starts_at=_episode_start(event_type, data, event),
            ends_at=parse_time(event.get("occurred_at")) if status is AlertStatus.RESOLVED else None,
            url=text(data.get("html_url")),
            acknowledged=acknowledged,
        )
    ]


def _episode_start(event_type: str, data: Mapping[str, Any], event: Mapping[str, Any]) -> datetime | None:
    """When the incident's current episode started: its creation, or for a reopen the reopen itself
    (a firing that starts no later than the incident's resolve is that episode arriving late)."""
    if event_type == "incident.reopened":
        return parse_time(event.get("occurred_at"))
    return parse_time(first_text(data.get("created_at"), event.get("occurred_at")))


def _incident_state(event_type: str, data_status: str | None) -> tuple[AlertStatus, bool]:
    if event_type == "incident.resolved":
        return AlertStatus.RESOLVED, False
    if event_type == "incident.acknowledged":
        return AlertStatus.FIRING, True
    if event_type in ("incident.unacknowledged", "incident.reopened"):
        return AlertStatus.FIRING, False
    return INCIDENT_STATUS_MAP.get((data_status or "triggered").lower(), (AlertStatus.FIRING, False))


def _severity(priority: Mapping[str, Any], urgency: str | None) -> Severity:
    if text(priority.get("summary")):
        return parse_severity(priority.get("summary"))
    return URGENCY_SEVERITY_MAP.get((urgency or "").lower(), Severity.WARNING)
