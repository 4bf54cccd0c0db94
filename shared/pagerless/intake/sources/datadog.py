"""Datadog webhooks, whose body is a user-defined template.

The default template carries only `title`/`body`/`date`/`id`; the transition ("[Triggered on
{host:web-03}] …") and the monitor id (the "Monitor Status" link in the body) are read from
that text. Richer templates (Keep's, for example) add `alert_transition`, `alert_type`,
`severity` ($ALERT_PRIORITY), `monitor_id`, `scopes` and `tags`, which win when present.
`id` is a new event id per notification and is never the fingerprint: monitor id + scope is.
"""

import re
from collections.abc import Mapping
from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import Severity, parse_severity, severity_from
from pagerless.intake.sources._common import first_text, load_json, require_dict, text

SOURCE = "datadog"

TRANSITION_STATUS_MAP: dict[str, AlertStatus] = {
    "triggered": AlertStatus.FIRING,
    "re-triggered": AlertStatus.FIRING,
    "renotify": AlertStatus.FIRING,
    "warn": AlertStatus.FIRING,
    "re-warn": AlertStatus.FIRING,
    "no data": AlertStatus.FIRING,
    "re-no data": AlertStatus.FIRING,
    "recovered": AlertStatus.RESOLVED,
    "warn recovered": AlertStatus.RESOLVED,
}

# Used when the monitor has no priority ($ALERT_PRIORITY empty).
TRANSITION_SEVERITY_MAP: dict[str, Severity] = {
    "triggered": Severity.HIGH,
    "re-triggered": Severity.HIGH,
    "renotify": Severity.HIGH,
    "warn": Severity.WARNING,
    "re-warn": Severity.WARNING,
    "no data": Severity.WARNING,
    "re-no data": Severity.WARNING,
    "recovered": Severity.INFO,
    "warn recovered": Severity.INFO,
}

# `alert_type` ($ALERT_TYPE) → (status, severity), used when there is no transition.
ALERT_TYPE_MAP: dict[str, tuple[AlertStatus, Severity]] = {
    "error": (AlertStatus.FIRING, Severity.HIGH),
    "warning": (AlertStatus.FIRING, Severity.WARNING),
    "info": (AlertStatus.FIRING, Severity.INFO),
    "success": (AlertStatus.RESOLVED, Severity.INFO),
}

# Datadog tag names → Alert fields.
SERVICE_TAGS = ("service", "kube_service", "kube_deployment")
NAMESPACE_TAGS = ("kube_namespace", "namespace")
POD_TAGS = ("pod_name", "pod")

# "[P2] [Triggered on {host:a,env:b}] Monitor name": priority and scope are optional.
_TITLE = re.compile(
    r"^\s*(?:\[(?P<priority>P\d)\]\s*)?\[(?P<transition>[A-Za-z -]+?)(?: on \{(?P<scope>[^}]*)\})?\]\s*(?P<name>.*)$",
    re.S,
)
_MONITOR_LINK = re.compile(r"https://[^\s)\]]*/monitors/(?P<id>\d+)[^\s)\]]*")


def normalize(payload: dict | list | str) -> list[Alert]:
    """One Alert from a Datadog webhook (default or custom template)."""
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    raw_title = text(body.get("title"))
    if raw_title is None:
        raise ValidationError(f"{SOURCE} payload has no 'title'")
    parsed = _TITLE.match(raw_title)
    title_parts = parsed.groupdict() if parsed else {}
    transition = (first_text(body.get("alert_transition"), title_parts.get("transition")) or "").lower()
    status, severity = _status_and_severity(transition, text(body.get("alert_type")))
    priority = first_text(body.get("severity"), body.get("priority"), title_parts.get("priority"))
    if priority:
        severity = parse_severity(priority)
    else:  # a "severity:sev1" or "P1" tag, when the monitor has no priority
        raw_tags = body.get("tags") if isinstance(body.get("tags"), list) else str(body.get("tags") or "").split(",")
        severity = severity_from(_tag_labels(body.get("tags")), raw_tags, default=None) or severity
    text_body = _strip_markers(text(body.get("body")) or "")
    monitor_link = _MONITOR_LINK.search(text_body)
    monitor_id = first_text(body.get("monitor_id"), body.get("alert_id"), monitor_link and monitor_link["id"])
    scope = _scope(first_text(body.get("scopes"), body.get("scope"), title_parts.get("scope")))
    labels = _tag_labels(body.get("tags"))
    labels.update(_tag_labels(scope))
    name = text(title_parts.get("name")) or raw_title
    if monitor_id:
        labels["monitor_id"] = monitor_id
        fingerprint = make_fingerprint(SOURCE, monitor_id, scope)
    else:
        fingerprint = text(body.get("aggreg_key")) or make_fingerprint(SOURCE, name, scope)
    return [
        Alert(
            source=SOURCE,
            fingerprint=fingerprint,
            status=status,
            severity=severity,
            title=name,
            description=text_body,
            service=_first_tag(labels, SERVICE_TAGS),
            namespace=_first_tag(labels, NAMESPACE_TAGS),
            pod=_first_tag(labels, POD_TAGS),
            labels=labels,
            annotations={
                k: v for k, v in {"transition": transition, "query": text(body.get("alert_query"))}.items() if v
            },
            starts_at=parse_time(body.get("date")) if status is AlertStatus.FIRING else None,
            ends_at=parse_time(first_text(body.get("last_updated"), body.get("date")))
            if status is AlertStatus.RESOLVED
            else None,
            url=first_text(body.get("url"), body.get("link"), monitor_link and monitor_link[0]),
        )
    ]


def _status_and_severity(transition: str, alert_type: str | None) -> tuple[AlertStatus, Severity]:
    if transition in TRANSITION_STATUS_MAP:
        return TRANSITION_STATUS_MAP[transition], TRANSITION_SEVERITY_MAP[transition]
    if alert_type and alert_type.lower() in ALERT_TYPE_MAP:
        return ALERT_TYPE_MAP[alert_type.lower()]
    return AlertStatus.FIRING, Severity.WARNING


def _scope(raw: str | None) -> str:
    """A scope with its parts stripped and sorted, so "b:2, a:1" and "a:1,b:2" agree."""
    if not raw:
        return ""
    return ",".join(sorted(part.strip() for part in raw.split(",") if part.strip()))


def _tag_labels(tags: Any) -> dict[str, str]:
    """Datadog tags ("service:x,env:prod" or a list) as labels; bare tags are skipped."""
    if isinstance(tags, str):
        items = tags.split(",")
    elif isinstance(tags, list):
        items = [item for item in tags if isinstance(item, str)]
    else:
        return {}
    labels = {}
    for item in items:
        key, found, value = item.partition(":")
        if found and key.strip() and value.strip():
            labels[key.strip()] = value.strip()
    return labels


def _first_tag(labels: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return first_text(*(labels.get(name) for name in names))


def _strip_markers(body: str) -> str:
    """Datadog wraps markdown bodies in %%% fences."""
    return body.replace("%%%", "").strip()
