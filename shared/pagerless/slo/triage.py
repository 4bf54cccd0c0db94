"""Triage: open incidents ranked so that one burning an error budget comes before one that does not.

score = severity weight (critical 100, high 60, warning 30, info 10)
      + SLO burn of the incident's service (the worst of its SLOs: critical 50, warning 25, ok 0)
      + 10 while nobody has acknowledged it
      + alerts received, at most 10.
Ties go to the older incident. Each item lists the reasons that made its score.
"""

SEVERITY_WEIGHT = {"critical": 100, "high": 60, "warning": 30, "info": 10}
BURN_WEIGHT = {"critical": 50, "warning": 25, "ok": 0}
UNACKNOWLEDGED = 10
MAX_ALERT_POINTS = 10


def rank(incidents: list[dict], burn_by_service: dict[str, str]) -> list[dict]:
    """``incidents``: id, title, severity, service, status, acknowledged, alert_count, created_at (ISO)."""
    ranked = []
    for incident in incidents:
        reasons = [f"severity {incident['severity']} (+{SEVERITY_WEIGHT.get(incident['severity'], 0)})"]
        score = SEVERITY_WEIGHT.get(incident["severity"], 0)
        burn = burn_by_service.get(incident.get("service") or "", "ok")
        if BURN_WEIGHT[burn]:
            score += BURN_WEIGHT[burn]
            reasons.append(f"burns the error budget of {incident['service']} ({burn}, +{BURN_WEIGHT[burn]})")
        if not incident.get("acknowledged"):
            score += UNACKNOWLEDGED
            reasons.append(f"not acknowledged (+{UNACKNOWLEDGED})")
        alerts = min(int(incident.get("alert_count") or 0), MAX_ALERT_POINTS)
        if alerts:
            score += alerts
            reasons.append(f"{incident.get('alert_count')} alert(s) (+{alerts})")
        ranked.append({**incident, "score": score, "slo_burn": burn, "reasons": reasons})
    return sorted(ranked, key=lambda r: (-r["score"], r["created_at"], r["id"]))


def worst_level(levels: list[str]) -> str:
    order = ("ok", "warning", "critical")
    return max(levels, key=order.index, default="ok")
