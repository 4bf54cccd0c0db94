"""Sentry integration-platform webhooks: issue, issue alert (event_alert) and metric alert.

The `Sentry-Hook-Resource` header names the shape, but the body alone tells them apart
(`data.issue`, `data.event`, `data.metric_alert`), so the normalizer needs no header.
An issue and its issue alerts share the issue id as fingerprint; a metric alert is keyed by
its alert rule and Sentry's incident identifier, so "critical" and "resolved" pair up.
"""

import re
from collections.abc import Mapping
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
    text,
)

SOURCE = "sentry"

# Issue `action` → (status, acknowledged). Ignored/archived issues need no one's attention.
ISSUE_ACTION_MAP: dict[str, tuple[AlertStatus, bool]] = {
    "created": (AlertStatus.FIRING, False),
    "unresolved": (AlertStatus.FIRING, False),
    "assigned": (AlertStatus.FIRING, True),
    "resolved": (AlertStatus.RESOLVED, False),
    "ignored": (AlertStatus.RESOLVED, False),
    "archived": (AlertStatus.RESOLVED, False),
}

# Issue `status` → status, for an action that does not change it ("assigned" is sent for resolved
# and archived issues too: https://docs.sentry.io/integrations/integration-platform/webhooks/issues/).
ISSUE_STATUS_MAP: dict[str, AlertStatus] = {
    "unresolved": AlertStatus.FIRING,
    "resolved": AlertStatus.RESOLVED,
    "ignored": AlertStatus.RESOLVED,
    "archived": AlertStatus.RESOLVED,
}

# Metric alert `action` → (status, severity).
METRIC_ACTION_MAP: dict[str, tuple[AlertStatus, Severity]] = {
    "critical": (AlertStatus.FIRING, Severity.CRITICAL),
    "warning": (AlertStatus.FIRING, Severity.WARNING),
    "resolved": (AlertStatus.RESOLVED, Severity.INFO),
}

_PROJECT_IN_URL = re.compile(r"/projects/[^/]+/(?P<project>[^/]+)/")


def normalize(payload: dict | list | str) -> list[Alert]:
    """One Alert from a Sentry issue, issue-alert or metric-alert webhook."""
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    data = require_dict(body.get("data"), f"{SOURCE} 'data'")
    action = (text(body.get("action")) or "").lower()
    if "metric_alert" in data:
        return [_metric_alert(action, data)]
    if "event" in data:
        return [_issue_alert(require_dict(data["event"], f"{SOURCE} 'data.event'"), data)]
    if "issue" in data:
        return [_issue(action, require_dict(data["issue"], f"{SOURCE} 'data.issue'"))]
    raise ValidationError(f"{SOURCE} payload has no 'data.issue', 'data.event' or 'data.metric_alert'")


def _issue(action: str, issue: Mapping[str, Any]) -> Alert:
    issue_id = first_text(issue.get("id"), issue.get("shortId"))
    if issue_id is None:
        raise ValidationError(f"{SOURCE} issue has no 'id'")
    status, acknowledged = ISSUE_ACTION_MAP.get(action, (AlertStatus.FIRING, False))
    if action not in ISSUE_ACTION_MAP or action == "assigned":
        status = ISSUE_STATUS_MAP.get((text(issue.get("status")) or "").lower(), status)
        acknowledged = acknowledged and status is AlertStatus.FIRING
    project = optional_dict(issue.get("project"), f"{SOURCE} 'issue.project'")
    metadata = optional_dict(issue.get("metadata"), f"{SOURCE} 'issue.metadata'")
    labels = {
        key: value
        for key, value in {
            "short_id": text(issue.get("shortId")),
            "platform": text(issue.get("platform")),
            "culprit": text(issue.get("culprit")),
            "level": text(issue.get("level")),
            "action": action,
        }.items()
        if value
    }
    return Alert(
        source=SOURCE,
        fingerprint=issue_id,
        status=status,
        severity=parse_severity(issue.get("level")),
        title=text(issue.get("title")) or f"Sentry issue {issue_id}",
        description=first_text(metadata.get("value"), issue.get("culprit")) or "",
        service=first_text(project.get("slug"), project.get("name")),
        labels=labels,
        # an issue unresolved (a regression, or by hand) fires again from a moment the payload does not
        # give: its firstSeen, long before its resolve, would make the re-fire look like a late firing
        starts_at=parse_time(issue.get("firstSeen")) if action != "unresolved" else None,
        ends_at=parse_time(issue.get("lastSeen")) if status is AlertStatus.RESOLVED else None,
        url=text(issue.get("permalink")),
        acknowledged=acknowledged,
    )


def _issue_alert(event: Mapping[str, Any], data: Mapping[str, Any]) -> Alert:
    issue_id = text(event.get("issue_id"))
    if issue_id is None:
        raise ValidationError(f"{SOURCE} issue alert event has no 'issue_id'")
    tags = {}
    for pair in optional_list(event.get("tags"), f"{SOURCE} 'event.tags'"):
        if isinstance(pair, list) and len(pair) == 2 and text(pair[0]) and text(pair[1]):
            tags[text(pair[0])] = text(pair[1])
    project = _PROJECT_IN_URL.search(text(event.get("url")) or "")
    rule = text(data.get("triggered_rule"))
    return Alert(
        source=SOURCE,
        fingerprint=issue_id,
        status=AlertStatus.FIRING,
        severity=parse_severity(event.get("level")),
        title=first_text(event.get("title"), event.get("message")) or f"Sentry issue {issue_id}",
        description=first_text(event.get("culprit")) or "",
        service=project["project"] if project else None,
        labels={**tags, **({"triggered_rule": rule} if rule else {})},
        starts_at=parse_time(first_text(event.get("datetime"), event.get("timestamp"))),
        url=text(event.get("web_url")),
    )


def _metric_alert(action: str, data: Mapping[str, Any]) -> Alert:
    incident = require_dict(data.get("metric_alert"), f"{SOURCE} 'data.metric_alert'")
    rule = optional_dict(incident.get("alert_rule"), f"{SOURCE} 'metric_alert.alert_rule'")
    rule_id = text(rule.get("id"))
    if rule_id is None:
        raise ValidationError(f"{SOURCE} metric alert has no 'alert_rule.id'")
    status, severity = METRIC_ACTION_MAP.get(action, (AlertStatus.FIRING, Severity.WARNING))
    projects = [text(p) for p in optional_list(rule.get("projects"), f"{SOURCE} 'alert_rule.projects'") if text(p)]
    labels = {
        key: value
        for key, value in {
            "alert_rule_id": rule_id,
            "incident_identifier": text(incident.get("identifier")),
            "environment": text(rule.get("environment")),
            "aggregate": text(rule.get("aggregate")),
            "query": text(rule.get("query")),
            "action": action,
        }.items()
        if value
    }
    description = "\n".join(
        part for part in (text(data.get("description_title")), text(data.get("description_text"))) if part
    )
    return Alert(
        source=SOURCE,
        fingerprint=make_fingerprint(SOURCE, "metric_alert", rule_id, text(incident.get("identifier"))),
        status=status,
        severity=severity,
        title=first_text(rule.get("name"), data.get("description_title"), incident.get("title"))
        or "Sentry metric alert",
        description=description,
        service=projects[0] if projects else None,
        labels=labels,
        starts_at=parse_time(first_text(incident.get("date_started"), incident.get("date_detected"))),
        ends_at=parse_time(incident.get("date_closed")) if status is AlertStatus.RESOLVED else None,
        url=text(data.get("web_url")),
    )
