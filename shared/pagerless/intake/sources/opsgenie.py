"""Opsgenie webhook integration ("alert action data").

The fingerprint is the alert's `alias` (Opsgenie's own dedup key), else its `alertId`, so
Create → Acknowledge → Close land on one incident. Only Close/Delete resolve; every other
action (AddNote, AddTags, Escalate…) reports an alert that is still open, as an update: it joins
the alert's incident while it fires and never opens or reopens one (a note added to a closed
alert must not page anyone). `priority` is usually "P1".."P5" but an integer (3) has been seen.
"""

from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import severity_from
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    optional_list,
    require_dict,
    string_map,
    text,
)

SOURCE = "opsgenie"

# `action` → status; actions not listed leave the alert firing.
ACTION_STATUS_MAP: dict[str, AlertStatus] = {
    "close": AlertStatus.RESOLVED,
    "delete": AlertStatus.RESOLVED,
}

# Actions that report a new alert; any other (AddNote, Acknowledge, AddTags…) updates one
# (https://docs.opsgenie.com/docs/webhook-integration). A body without an action is read as a Create.
OPENING_ACTIONS = frozenset({"create", ""})

# `action` → acknowledged; actions not listed say nothing about acknowledgement.
ACTION_ACK_MAP: dict[str, bool] = {"acknowledge": True, "unacknowledge": False}

ALERT_URL = "https://app.opsgenie.com/alert/detail/{alert_id}/details"


def normalize(payload: dict | list | str) -> list[Alert]:
    """One Alert from an Opsgenie alert action webhook."""
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    alert = require_dict(body.get("alert"), f"{SOURCE} 'alert'")
    action = (text(body.get("action")) or "").lower()
    fingerprint = first_text(alert.get("alias"), alert.get("alertId"))
    if fingerprint is None:
        raise ValidationError(f"{SOURCE} alert has neither 'alias' nor 'alertId'")
    details = string_map(alert.get("details"), f"{SOURCE} 'alert.details'")
    raw_tags = optional_list(alert.get("tags"), f"{SOURCE} 'alert.tags'")
    tags = _tag_labels(raw_tags)
    labels = {**tags, **details}
    entity = text(alert.get("entity"))
    if entity:
        labels.setdefault("entity", entity)
    status = ACTION_STATUS_MAP.get(action, AlertStatus.FIRING)
    alert_id = text(alert.get("alertId"))
    defaulted = tuple(
        name
        for name, present in (
            ("title", text(alert.get("message"))),
            ("severity", text(_priority(alert.get("priority")))),
            ("service", labels.get("service")),
            ("namespace", first_text(labels.get("namespace"), labels.get("kubernetes_namespace"))),
            ("description", text(alert.get("description"))),
        )
        if present is None
    )
    return [
        Alert(
            source=SOURCE,
            fingerprint=fingerprint,
            status=status,
            # an explicit severity detail or tag wins over the priority, which Opsgenie defaults to P3
            severity=severity_from(
                {**details, **{k: v for k, v in tags.items() if not k.startswith("tag:")}}, raw_tags, default=None
            )
            or severity_from({"priority": _priority(alert.get("priority"))}),
            title=text(alert.get("message")) or f"Opsgenie alert {fingerprint}",
            description=text(alert.get("description")) or "",
            service=labels.get("service"),
            namespace=first_text(labels.get("namespace"), labels.get("kubernetes_namespace")),
            pod=labels.get("pod"),
            labels=labels,
            annotations={k: v for k, v in {"action": action, "note": text(alert.get("note"))}.items() if v},
            starts_at=parse_time(alert.get("createdAt")),
            ends_at=parse_time(alert.get("updatedAt")) if status is AlertStatus.RESOLVED else None,
            url=ALERT_URL.format(alert_id=alert_id) if alert_id else None,
            acknowledged=ACTION_ACK_MAP.get(action, False),
            update_only=status is AlertStatus.FIRING and action not in OPENING_ACTIONS,
            defaulted=defaulted,
        )
    ]


def _priority(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"P{value}"
    return text(value)


def _tag_labels(tags: list[Any]) -> dict[str, str]:
    """Tags like "service=x" or "service:x" become labels; bare tags become `tag:<name>`."""
    labels: dict[str, str] = {}
    for tag in tags:
        word = text(tag)
        if word is None:
            continue
        for separator in ("=", ":"):
            key, found, value = word.partition(separator)
            if found and key.strip() and value.strip():
                labels[key.strip()] = value.strip()
                break
        else:
            labels[f"tag:{word}"] = "true"
    return labels
