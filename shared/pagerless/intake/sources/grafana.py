"""Grafana alerting webhooks: unified alerting (8+) and legacy dashboard alerting (≤7).

Unified alerting is Alertmanager's shape plus extras; each alert carries its own status, so a
`[FIRING:1, RESOLVED:2]` batch gives one firing and two resolved alerts, and a relative
`generatorURL` (Grafana 12's "?orgId=1") is resolved against `externalURL`.
Legacy alerting sends one rule per call (`ruleName`/`state`/`evalMatches`) and no fingerprint,
so the rule's position (org, dashboard, panel, rule id) identifies it.
"""

import re
from collections.abc import Mapping
from typing import Any

from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.severity import severity_from
from pagerless.intake.sources import alertmanager
from pagerless.intake.sources._common import (
    first_text,
    load_json,
    optional_list,
    require_dict,
    scalar_text,
    string_map,
    text,
)

SOURCE = "grafana"

# Legacy `state` → status. `pending` and `paused` are not alerts yet (or any more).
LEGACY_STATUS_MAP: dict[str, AlertStatus | None] = {
    "alerting": AlertStatus.FIRING,
    "no_data": AlertStatus.FIRING,
    "ok": AlertStatus.RESOLVED,
    "pending": None,
    "paused": None,
}

_LEGACY_TITLE_TAG = re.compile(r"^\s*\[(alerting|ok|no data|no_data|pending|paused)\]\s*", re.I)


def normalize(payload: dict | list | str) -> list[Alert]:
    """Alerts from a Grafana webhook body, unified or legacy."""
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    if "alerts" in body:
        return alertmanager.normalize_group(body, source=SOURCE)
    if "ruleName" in body or "evalMatches" in body:
        return _legacy(body)
    raise ValidationError(f"{SOURCE} payload has neither 'alerts' (unified) nor 'ruleName' (legacy)")


def _legacy(body: Mapping[str, Any]) -> list[Alert]:
    state = (text(body.get("state")) or "alerting").lower()
    status = LEGACY_STATUS_MAP.get(state, AlertStatus.FIRING)
    if status is None:
        return []
    tags = string_map(body.get("tags"), f"{SOURCE} 'tags'")
    rule_name = first_text(body.get("ruleName"), _LEGACY_TITLE_TAG.sub("", text(body.get("title")) or ""))
    rule_id = text(body.get("ruleId"))
    position = [text(body.get(key)) for key in ("orgId", "dashboardId", "panelId")]
    # A test notification has ruleId 0; then the rule name is all that tells rules apart.
    identity = [rule_id] if rule_id not in (None, "0") else [rule_id, rule_name]
    return [
        Alert(
            source=SOURCE,
            fingerprint=make_fingerprint(SOURCE, "legacy", *position, *identity),
            status=status,
            severity=severity_from(tags),
            title=rule_name or "Grafana alert",
            description=_legacy_description(body),
            labels={**tags, "grafana_state": state},
            annotations={k: v for k, v in {"image_url": text(body.get("imageUrl"))}.items() if v},
            url=text(body.get("ruleUrl")),
        )
    ]


def _legacy_description(body: Mapping[str, Any]) -> str:
    lines = [text(body.get("message")) or ""]
    for match in optional_list(body.get("evalMatches"), f"{SOURCE} 'evalMatches'"):
        if isinstance(match, Mapping):
            lines.append(f"{scalar_text(match.get('metric'))} = {scalar_text(match.get('value'))}")
    return "\n".join(line for line in lines if line)
