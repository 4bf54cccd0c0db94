"""New Relic: Workflows webhooks (default or custom template) and the legacy Alerts webhook.

Workflow templates are user-editable, so extra keys are normal and most keys are optional.
The fingerprint is the issue `id`; the id inside `issueUrl` is not required to agree (it does
not in real captures). The legacy webhook is keyed by `incident_id`.
"""

from collections.abc import Mapping
from typing import Any

from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertStatus
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import parse_severity
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    optional_list,
    require_dict,
    scalar_text,
    text,
)

SOURCE = "newrelic"

# Workflow `state` → (status, acknowledged).
STATE_MAP: dict[str, tuple[AlertStatus, bool]] = {
    "created": (AlertStatus.FIRING, False),
    "activated": (AlertStatus.FIRING, False),
    "acknowledged": (AlertStatus.FIRING, True),
    "closed": (AlertStatus.RESOLVED, False),
}

# Legacy `current_state` → (status, acknowledged).
LEGACY_STATE_MAP: dict[str, tuple[AlertStatus, bool]] = {
    "open": (AlertStatus.FIRING, False),
    "acknowledged": (AlertStatus.FIRING, True),
    "closed": (AlertStatus.RESOLVED, False),
}


def normalize(payload: dict | list | str) -> list[Alert]:
    """One Alert from a New Relic workflow or legacy incident webhook."""
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    if "incident_id" in body or "current_state" in body:
        return [_legacy(body)]
    return [_workflow(body)]


def _workflow(body: Mapping[str, Any]) -> Alert:
    issue_id = text(body.get("id")) or text(body.get("issueId"))
    if issue_id is None:
        raise ValidationError(f"{SOURCE} workflow payload has no issue 'id'")
    state = (text(body.get("state")) or "activated").lower()
    status, acknowledged = STATE_MAP.get(state, (AlertStatus.FIRING, False))
    entities = _names(body.get("impactedEntities"), "impactedEntities")
    conditions = _names(body.get("alertConditionNames"), "alertConditionNames")
    policies = _names(body.get("alertPolicyNames"), "alertPolicyNames")
    labels = {
        key: value
        for key, value in {
            "state": state,
            "trigger": text(body.get("trigger")),
            "condition": ", ".join(conditions),
            "policy": ", ".join(policies),
            "entities": ", ".join(entities),
            "workflow": text(body.get("workflowName")),
            "owner": text(body.get("owner")),
        }.items()
        if value
    }
    return Alert(
        source=SOURCE,
        fingerprint=issue_id,
        status=status,
        severity=parse_severity(body.get("priority")),
        title=first_text(body.get("title"), *conditions) or f"New Relic issue {issue_id}",
        description=first_text(body.get("description"), body.get("details")) or "",
        service=entities[0] if entities else None,
        labels=labels,
        starts_at=parse_time(body.get("createdAt")),
        ends_at=parse_time(first_text(body.get("closedAt"), body.get("updatedAt")))
        if status is AlertStatus.RESOLVED
        else None,
        url=text(body.get("issueUrl")),
        acknowledged=acknowledged or (status is AlertStatus.FIRING and bool(text(body.get("acknowledgedAt")))),
    )


def _legacy(body: Mapping[str, Any]) -> Alert:
    incident_id = text(body.get("incident_id"))
    if incident_id is None:
        raise ValidationError(f"{SOURCE} legacy payload has no 'incident_id'")
    state = (text(body.get("current_state")) or "open").lower()
    status, acknowledged = LEGACY_STATE_MAP.get(state, (AlertStatus.FIRING, False))
    labels = {
        key: value
        for key, value in {
            "state": state,
            "condition": text(body.get("condition_name")),
            "policy": text(body.get("policy_name")),
            "account": text(body.get("account_name")),
        }.items()
        if value
    }
    return Alert(
        source=SOURCE,
        fingerprint=incident_id,
        status=status,
        severity=parse_severity(body.get("severity")),
        title=first_text(body.get("condition_name"), body.get("details")) or f"New Relic incident {incident_id}",
        description=text(body.get("details")) or "",
        service=_first_target(body.get("targets")),
        labels=labels,
        starts_at=parse_time(body.get("timestamp")) if status is AlertStatus.FIRING else None,
        ends_at=parse_time(body.get("timestamp")) if status is AlertStatus.RESOLVED else None,
        url=text(body.get("incident_url")),
        acknowledged=acknowledged,
    )


def _first_target(value: Any) -> str | None:
    """The legacy webhook's `targets` is a list of {"name": …, "type": …} objects."""
    for target in optional_list(value, f"{SOURCE} 'targets'"):
        if isinstance(target, Mapping) and text(target.get("name")):
            return text(target.get("name"))
    return None


def _names(value: Any, what: str) -> list[str]:
    return [scalar_text(item) for item in optional_list(value, f"{SOURCE} '{what}'") if item is not None]
