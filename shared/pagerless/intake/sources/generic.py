"""Generic JSON alerts, for tools without a dedicated normalizer.

Our own shape, one object or a list of them::

    {"title": "...", "description": "...", "severity": "critical", "source": "zabbix",
     "service": "...", "namespace": "...", "pod": "...", "deployment": "...",
     "fingerprint": "optional", "status": "firing|resolved", "labels": {...}}

Two shapes that senders commonly point at a generic endpoint are recognised and delegated:
PagerDuty Events API v2 (`event_action`) and Grafana OnCall's formatted webhook
(`alert_uid`). A chat bot's ``{"message": "...", "sender_id": "..."}`` with no title is read as
chat text (the `text` source). An Alertmanager group (`alerts` + `groupKey`) goes to the Alertmanager reader.
"""

from collections.abc import Mapping
from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import severity_from
from pagerless.intake.sources import alertmanager, pagerduty
from pagerless.intake.sources import text as text_source
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    require_dict,
    string_map,
    text,
)

SOURCE = "generic"

STATUS_MAP: dict[str, AlertStatus] = {
    "firing": AlertStatus.FIRING,
    "alerting": AlertStatus.FIRING,
    "triggered": AlertStatus.FIRING,
    "trigger": AlertStatus.FIRING,
    "open": AlertStatus.FIRING,
    "problem": AlertStatus.FIRING,
    "resolved": AlertStatus.RESOLVED,
    "resolve": AlertStatus.RESOLVED,
    "ok": AlertStatus.RESOLVED,
    "closed": AlertStatus.RESOLVED,
    "recovered": AlertStatus.RESOLVED,
}

# Grafana OnCall formatted webhook `state` → status.
ONCALL_STATE_MAP: dict[str, AlertStatus] = {"alerting": AlertStatus.FIRING, "ok": AlertStatus.RESOLVED}

_MAX_SOURCE_LENGTH = 64


def normalize(payload: dict | list | str) -> list[Alert]:
    """Alerts from a generic JSON object, a list of them, or a recognised foreign shape."""
    body = load_json(payload, SOURCE)
    if isinstance(body, list):
        alerts = []
        for index, item in enumerate(body):
            alerts.extend(_one(require_dict(item, f"{SOURCE} payload[{index}]")))
        return alerts
    return _one(require_dict(body, f"{SOURCE} payload"))


def _one(body: Mapping[str, Any]) -> list[Alert]:
    if _is_chat_message(body):
        return _chat_message(body)
    if pagerduty.is_events_v2(body):
        return pagerduty.normalize_events_v2(body, source=SOURCE)
    if "alert_uid" in body:
        return [_grafana_oncall(body)]
    if isinstance(body.get("alerts"), list) and "groupKey" in body:
        return alertmanager.normalize_group(body, source=SOURCE)
    return [_generic(body)]


def _generic(body: Mapping[str, Any]) -> Alert:
    labels = string_map(body.get("labels"), f"{SOURCE} 'labels'")
    annotations = string_map(body.get("annotations"), f"{SOURCE} 'annotations'")
    title = first_text(body.get("title"), body.get("summary"), body.get("name"), labels.get("alertname"))
    if title is None:
        raise ValidationError(f"{SOURCE} alert needs a 'title'")
    status_word = (text(body.get("status")) or "firing").lower()
    if status_word not in STATUS_MAP:
        raise ValidationError(f"{SOURCE} alert has unknown status {status_word!r}")
    status = STATUS_MAP[status_word]
    source = (text(body.get("source")) or SOURCE)[:_MAX_SOURCE_LENGTH]
    service = first_text(body.get("service"), labels.get("service"))
    namespace = first_text(body.get("namespace"), labels.get("namespace"))
    pod = first_text(body.get("pod"), labels.get("pod"))
    deployment = first_text(body.get("deployment"), labels.get("deployment"))
    if deployment:
        labels["deployment"] = deployment
    fingerprint = text(body.get("fingerprint")) or make_fingerprint(source, title, service, namespace, deployment, pod)
    return Alert(
        source=source,
        fingerprint=fingerprint,
        status=status,
        severity=severity_from(
            {"severity": body.get("severity"), "priority": body.get("priority"), **labels},
            body.get("tags") if isinstance(body.get("tags"), list) else (),
        ),
        title=title,
        description=first_text(body.get("description"), body.get("message")) or "",
        service=service or deployment,
        namespace=namespace,
        pod=pod,
        labels=labels,
        annotations=annotations,
        starts_at=parse_time(first_text(body.get("starts_at"), body.get("startsAt"), body.get("timestamp"))),
        ends_at=parse_time(first_text(body.get("ends_at"), body.get("endsAt")))
        if status is AlertStatus.RESOLVED
        else None,
        url=first_text(body.get("url"), body.get("link")),
    )


def _is_chat_message(body: Mapping[str, Any]) -> bool:
    """``{"message": "...", "sender_id": ...}``: a chat bot forwarding an alert's text (seed 000)."""
    return (
        isinstance(body.get("message"), str)
        and bool(body["message"].strip())
        and first_text(body.get("title"), body.get("summary"), body.get("name")) is None
        and "alerts" not in body
        and "event_action" not in body
        and "alert_uid" not in body
    )


def _chat_message(body: Mapping[str, Any]) -> list[Alert]:
    """The message read as chat text; who sent it is kept as a label."""
    alerts = text_source.normalize(body["message"])
    sender = first_text(body.get("sender_id"), body.get("sender"))
    if sender is None:
        return alerts
    return [alert.model_copy(update={"labels": {**alert.labels, "sender_id": sender[:128]}}) for alert in alerts]


def _grafana_oncall(body: Mapping[str, Any]) -> Alert:
    uid = text(body.get("alert_uid"))
    if uid is None:
        raise ValidationError(f"{SOURCE} Grafana OnCall webhook has an empty 'alert_uid'")
    state = (text(body.get("state")) or "alerting").lower()
    image = text(body.get("image_url"))
    return Alert(
        source=SOURCE,
        fingerprint=uid,
        status=ONCALL_STATE_MAP.get(state, AlertStatus.FIRING),
        severity=severity_from({"severity": body.get("severity")}),
        title=text(body.get("title")) or f"Alert {uid}",
        description=text(body.get("message")) or "",
        labels={"oncall_state": state},
        annotations={"image_url": image} if image else {},
        url=text(body.get("link_to_upstream_details")),
    )
