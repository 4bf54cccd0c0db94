"""Seed 002's analytics, computed from stored incidents (pure functions; formulas in each docstring).

Every function takes the incidents already loaded (``Incident``) and ``now``; nothing here reads a table.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pagerless.clock import parse_time
from pagerless.domain.actions import seed_outcome
from pagerless.domain.incidents import resolving_since, responding_since
from pagerless.reports.data import IncidentFacts, mtta, mttr, pattern_key
from pagerless.reports.responses import responses

CAPACITY_PATTERNS = {
    "oom_killed",
    "cpu_throttling",
    "memory_pressure",
    "disk_pressure",
    "node_pressure",
    "hpa_maxed",
    "pvc_full",
    "resource_quota_exceeded",
    "evicted",
}
RECOMMENDATIONS = {
    "oom_killed": "Audit memory limits across affected services",
    "cpu_throttling": "Review CPU limits and requests; consider horizontal scaling",
    "crash_loop": "Check recent deploys and startup probes of the affected services",
    "image_pull": "Check registry credentials and image tags in the deploy pipeline",
    "disk_pressure": "Add disk headroom or log rotation on the affected nodes",
}
CAPACITY_RECOMMENDATION = "Increase resource limits or add horizontal scaling"


@dataclass(frozen=True)
class Incident(IncidentFacts):
    status: str = "open"
    actions: list[dict] = field(default_factory=list)


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 2)


def noisy(incidents: list[Incident], max_duration_minutes: float, limit: int) -> list[dict]:
    """Resolved incidents that lasted at most ``max_duration_minutes`` (first alert, or last reopen, → resolved) and
    had no action run: alerts that fire and clear on their own. Newest first."""
    rows = [
        i
        for i in incidents
        if i.resolved_at
        and not i.actions
        and (i.resolved_at - resolving_since(i)).total_seconds() <= max_duration_minutes * 60
    ]
    rows.sort(key=lambda i: (i.first_seen, i.id), reverse=True)
    return [
        {
            "id": i.id,
            "title": i.title,
            "severity": i.severity,
            "state": i.status,
            "service": i.service,
            "created_at": i.first_seen.isoformat(),
            "resolved_at": i.resolved_at.isoformat(),
            "duration_minutes": _minutes(i.resolved_at - resolving_since(i)),
        }
        for i in rows[:limit]
    ]


def incident_patterns(incidents: list[Incident], min_occurrences: int) -> list[dict]:
    """Incidents grouped by pattern (diagnosis category, else the title with its varying parts masked —
    `reports.data.pattern_key`); groups with at least ``min_occurrences``, most frequent first."""
    groups: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        groups[pattern_key(incident)].append(incident)
    rows = [
        {
            "pattern": key,
            "occurrences": len(items),
            "services": sorted({i.service for i in items if i.service}),
            "recommendation": RECOMMENDATIONS.get(key, "Look for a shared cause; write a runbook for it"),
        }
        for key, items in groups.items()
        if len(items) >= min_occurrences
    ]
    return sorted(rows, key=lambda r: (-r["occurrences"], r["pattern"]))


def service_profile(service: str, incidents: list[Incident]) -> dict:
    """A service's failure profile.

    ``repeat_rate`` = (incidents − distinct patterns) / incidents: the share that repeated a pattern the
    service had already shown. ``risk_assessment``: high when there are 3+ critical incidents or the
    repeat rate is at least 0.5 over 5+ incidents; medium with 3+ incidents; otherwise low.
    """
    own = [i for i in incidents if i.service == service]
    patterns = Counter(pattern_key(i) for i in own)
    severities = Counter(i.severity for i in own)
    total = len(own)
    repeat_rate = round((total - len(patterns)) / total, 4) if total else 0.0
    critical = severities.get("critical", 0)
    if critical >= 3 or (total >= 5 and repeat_rate >= 0.5):
        risk = "high"
    elif total >= 3:
        risk = "medium"
    else:
        risk = "low"
    return {
        "service": service,
        "total_incidents": total,
        "top_failure_patterns": [p for p, _ in sorted(patterns.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
        "most_common_severity": sorted(severities.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if own else None,
        "repeat_rate": repeat_rate,
        "risk_assessment": risk,
        "mtta_minutes": mtta(own),
        "mttr_minutes": mttr(own),
    }


def incident_metrics(incident: Incident, timeline: list[dict]) -> dict:
    """Seed 002's incident metrics: first response = the first acknowledgement or timeline entry by a person
    (`reports.responses`: not Pagerless itself, a webhook nor the incident's own monitor, which raises its
    severity), since the first alert or the last reopen (`domain.incidents.responding_since`: a response
    before the reopen does not answer it), counted from then; resolution time = resolved − first alert (or
    last reopen: `domain.incidents.resolving_since`). An acknowledgement made in the source is counted as an
    acknowledgement (``acknowledged_at``)."""
    since = responding_since(incident)
    answered = responses(timeline, since=since, acknowledged_at=incident.acknowledged_at, source=incident.source)
    first_response = answered[0].at if answered else None
    summary = {
        "time_to_first_response_minutes": _minutes(first_response - since) if first_response else None,
        "resolution_time_minutes": _minutes(incident.resolved_at - resolving_since(incident))
        if incident.resolved_at
        else None,
        "actions_taken": len(incident.actions),
    }
    points = [
        {"metric_name": name, "value": summary[name], "created_at": at.isoformat()}
        for name, at in (
            ("time_to_first_response_minutes", first_response),
            ("resolution_time_minutes", incident.resolved_at),
        )
        if at is not None
    ]
    return {"incident_id": incident.id, "summary": summary, "timeline": points}


def capacity_forecast(incidents: list[Incident], now: datetime, hours: int) -> dict:
    """Capacity risk per service from capacity-type incidents (OOM, CPU throttling, pressure, full volumes, maxed
    HPAs) in the last ``hours``. Trend: incidents in the second half of the period vs the first half.
    ``critical`` = 5+ such incidents with a rising trend, ``high`` = 3+, ``medium`` = 2."""
    since = now - timedelta(hours=hours)
    middle = now - timedelta(hours=hours / 2)
    recent = [i for i in incidents if since <= i.first_seen < now]
    by_service: dict[str, list[Incident]] = defaultdict(list)
    for incident in recent:
        if incident.category in CAPACITY_PATTERNS and incident.service:
            by_service[incident.service].append(incident)
    forecasts = []
    for service, items in sorted(by_service.items()):
        later = sum(1 for i in items if i.first_seen >= middle)
        rising = later > len(items) - later
        count = len(items)
        level = "critical" if count >= 5 and rising else "high" if count >= 3 else "medium" if count >= 2 else None
        if level is None:
            continue
        kinds = Counter(i.category for i in items).most_common(1)[0][0]
        forecasts.append(
            {
                "service": service,
                "risk_level": level,
                "signal": f"{count} {kinds} incidents in {hours}h, {'increasing' if rising else 'steady or falling'} trend",
                "recommendation": RECOMMENDATIONS.get(kinds, CAPACITY_RECOMMENDATION),
            }
        )
    order = {"critical": 0, "high": 1, "medium": 2}
    forecasts.sort(key=lambda f: (order[f["risk_level"]], f["service"]))
    return {
        "generated_at": now.isoformat(),
        "analysis_period_hours": hours,
        "total_forecasts": len(forecasts),
        "critical_count": sum(f["risk_level"] == "critical" for f in forecasts),
        "high_count": sum(f["risk_level"] == "high" for f in forecasts),
        "forecasts": forecasts,
        "incident_rate_summary": {
            "rate_per_hour": round(len(recent) / hours, 4),
            "total_incidents": len(recent),
            "period_hours": hours,
        },
    }


def drift(incidents: list[Incident], now: datetime) -> dict:
    """Operational drift: ``incident_rate_spike`` when the last hour saw at least 3 incidents and at least 3 × the
    24-hour hourly average; ``severity_shift`` when critical incidents are at least 50 % of the last 24 h's (3+ of
    them) and at least twice their share of the 7 days before; ``mtta_regression`` when the last 24 h's MTTA is at
    least twice the previous 7 days' (both known)."""

    def within(hours_back: float, hours_to: float = 0) -> list[Incident]:
        return [
            i for i in incidents if now - timedelta(hours=hours_back) <= i.first_seen < now - timedelta(hours=hours_to)
        ]

    last_1h, last_24h, before = within(1), within(24), within(24 * 8, 24)
    rate_1h, rate_24h = float(len(last_1h)), round(len(last_24h) / 24, 4)
    signals = []
    if len(last_1h) >= 3 and rate_1h >= 3 * rate_24h:
        signals.append(
            {
                "type": "incident_rate_spike",
                "severity": "high",
                "detail": f"Incident rate spiked to {len(last_1h)}/hr (24h avg: {rate_24h:.2f}/hr)",
                "recommendation": "Investigate recent deploys and check infra health.",
            }
        )
    crit_now = sum(i.severity == "critical" for i in last_24h)
    share_now = crit_now / len(last_24h) if last_24h else 0.0
    share_before = sum(i.severity == "critical" for i in before) / len(before) if before else 0.0
    if crit_now >= 3 and share_now >= 0.5 and share_now >= 2 * share_before:
        signals.append(
            {
                "type": "severity_shift",
                "severity": "high",
                "detail": f"{share_now:.0%} of the last 24h's incidents are critical (before: {share_before:.0%})",
                "recommendation": "Check whether one change made failures worse across services.",
            }
        )
    mtta_now, mtta_before = mtta(last_24h), mtta(before)
    if mtta_now is not None and mtta_before and mtta_now >= 2 * mtta_before:
        signals.append(
            {
                "type": "mtta_regression",
                "severity": "medium",
                "detail": f"MTTA {mtta_now} min in the last 24h (before: {mtta_before} min)",
                "recommendation": "Check paging routes and the on-call schedule.",
            }
        )
    return {
        "generated_at": now.isoformat(),
        "drift_signals": signals,
        "signal_count": len(signals),
        "healthy": not signals,
        "rates": {"last_1h": rate_1h, "last_24h": rate_24h},
    }


def activity(incidents: list[Incident], limit: int, since: datetime | None = None) -> list[dict]:
    """Actions run on incidents (remediations, manual actions) since ``since`` (when the action finished, else
    started), newest first: an action counts when it ran, whenever its incident opened."""
    rows = []
    for incident in incidents:
        for action in incident.actions:
            plan = action.get("plan") or {}
            at = (
                action.get("finished_at")
                or action.get("started_at")
                or action.get("created_at")
                or incident.first_seen.isoformat()
            )
            when = parse_time(at) or incident.first_seen  # an unreadable time: the incident's opening
            if since is not None and when < since:
                continue
            rows.append(
                (
                    when,
                    {
                        "action": action.get("action") or (plan.get("action") or {}).get("action") or "action",
                        "incident_id": incident.id,
                        "outcome": seed_outcome(action.get("status") or action.get("outcome")) or "unknown",
                        "dry_run": bool(action.get("dry_run", False)),
                        "created_at": str(at),
                    },
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]["incident_id"]), reverse=True)
    return [row for _, row in rows[:limit]]


def overview(incidents: list[Incident], open_now: int, now: datetime, slos: list[dict]) -> dict:
    """Platform overview: incidents of the last 24 h and 7 d and by status (from ``incidents``, the last 7 days'),
    ``open_now`` (every active incident, however old); 7-day MTTA/MTTR; the share of the 7 days' resolved incidents
    fixed by Pagerless's workflow (``automation_rate``); SLOs and how many burn."""
    week = [i for i in incidents if i.first_seen >= now - timedelta(days=7)]
    day = [i for i in week if i.first_seen >= now - timedelta(days=1)]
    resolved = [i for i in week if i.resolved_at]
    return {
        "generated_at": now.isoformat(),
        "incidents": {
            "last_24h": len(day),
            "last_7d": len(week),
            "open": open_now,
            "by_status": dict(sorted(Counter(i.status for i in week).items())),
        },
        "mtta_minutes_7d": mtta(week),
        "mttr_minutes_7d": mttr(week),
        "actions_7d": sum(len(i.actions) for i in week),
        "automation_rate_7d": round(sum(i.resolved_by == "workflow" for i in resolved) / len(resolved), 4)
        if resolved
        else None,
        "slos": {
            "count": len(slos),
            "burning": sum(s["alert_level"] != "ok" for s in slos),
            "items": [
                {
                    "name": s["slo_name"],
                    "alert_level": s["alert_level"],
                    "budget_remaining_percent": s["budget_remaining_percent"],
                }
                for s in slos
            ],
        },
    }
