"""Burn alerts from Pagerless's own SLO evaluator (``pagerless.slo.service``).

Payload (one object)::

    {"slo": "payments-api-availability", "service": "payments-api", "status": "firing|resolved",
     "alert_level": "critical|warning|ok", "target": 0.9995,
     "burn_rates": {"5m": 20.1, "1h": 15.2, ...}, "budget_remaining_percent": 61.5}

One fingerprint per SLO, so a burn is one incident and recovery resolves it. The exported Prometheus rules'
``SLOErrorBudgetBurn`` alerts (`pagerless.slo.rules`), arriving through Alertmanager, take this source and
fingerprint too (`burn_of`), so Prometheus and the evaluator burning the same SLO are one incident.
"""

from typing import Any

from pagerless.domain.alerts import Alert, AlertStatus, make_fingerprint
from pagerless.domain.errors import ValidationError
from pagerless.domain.incidents import SLO_BURN_ALERT
from pagerless.domain.severity import Severity
from pagerless.intake.sources._common import load_json, require_dict, text

SOURCE = "slo"

STATUS_MAP: dict[str, AlertStatus] = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}

# critical = the workbook's page (fast burn), warning = its ticket (slow burn).
SEVERITY_MAP: dict[str, Severity] = {"critical": Severity.CRITICAL, "warning": Severity.WARNING, "ok": Severity.INFO}

# The alert name of the exported rule file (`pagerless.slo.rules`), labelled with ``slo`` and ``service``
BURN_ALERTNAME = SLO_BURN_ALERT


def fingerprint_of(name: str) -> str:
    """The one fingerprint of an SLO's burn, whoever reports it."""
    return make_fingerprint(SOURCE, name)


def title_of(name: str) -> str:
    return f"SLO {name} is burning its error budget"


def burn_of(labels: dict[str, str]) -> str | None:
    """The SLO an Alertmanager alert of the exported rules is the burn of (None for any other alert)."""
    if labels.get("alertname") != BURN_ALERTNAME:
        return None
    return text(labels.get("slo"))


def normalize(payload: dict | str) -> list[Alert]:
    body = require_dict(load_json(payload, SOURCE), f"{SOURCE} payload")
    name = text(body.get("slo"))
    if name is None:
        raise ValidationError(f"{SOURCE} alert needs 'slo'")
    status_word = (text(body.get("status")) or "firing").lower()
    if status_word not in STATUS_MAP:
        raise ValidationError(f"{SOURCE} alert has unknown status {status_word!r}")
    level = (text(body.get("alert_level")) or "warning").lower()
    if level not in SEVERITY_MAP:
        raise ValidationError(f"{SOURCE} alert has unknown alert_level {level!r}")
    service = text(body.get("service"))
    rates = body.get("burn_rates") if isinstance(body.get("burn_rates"), dict) else {}
    remaining = body.get("budget_remaining_percent")
    return [
        Alert(
            source=SOURCE,
            fingerprint=fingerprint_of(name),
            status=STATUS_MAP[status_word],
            severity=SEVERITY_MAP[level],
            title=title_of(name),
            description=_describe(rates, remaining, body.get("target")),
            service=service,
            labels={"slo": name, "alert_level": level, **({"service": service} if service else {})},
            annotations={f"burn_rate_{k}": str(v) for k, v in rates.items()},
        )
    ]


def _describe(rates: dict[str, Any], remaining: Any, target: Any) -> str:
    parts = [f"{k} burn rate {v}×" for k, v in rates.items() if k in ("5m", "1h", "6h", "3d")]
    if remaining is not None:
        parts.append(f"{remaining}% of the budget left")
    if target is not None:
        parts.append(f"target {target}")
    return "; ".join(parts)
