"""What a report says, computed from stored incidents, approvals and SLO budgets (pure functions).

Formulas (minutes, two decimals; an empty set gives ``null``):
- **MTTA**: mean of ``acknowledged_at − first_seen`` over the period's incidents that were acknowledged;
  for a reopened incident, ``acknowledged_at − reopened_at`` (a reopen clears the acknowledgement, so
  the one it has answers the last reopen, not the first firing).
- **MTTR**: mean of ``resolved_at − first_seen`` over the period's incidents that are resolved; for a
  reopened incident, ``resolved_at − reopened_at`` (the resolve ends the work the last reopen began,
  not the weeks it sat resolved before).
- The period's incidents are those whose first alert (``first_seen``) or a reopen falls in
  ``[start, end)``; an incident opened and reopened in the period counts once. Its times are those of
  the last firing that began in the period (`episode_in`): an incident reopened after the period ends
  is timed, in this period's report, by the acknowledgement and resolve of the firing the period saw,
  not by the later one (which the period of its reopen counts). A storm counts once:
  the incidents correlated under a root (``parent_id``) are not incidents of their own, and their
  alerts count as their root's (`roots`).
- **Per day** (the workspace's time zone): incidents opened that day (a reopened one on the day it first
  opened or reopened within the period), and that day's MTTA and MTTR.
- **Noisy alerts**: incidents grouped by (source, title); ranked by alerts received, then incidents; top 5.
- **Who fixed it**: ``resolved_by == "workflow"`` → automatically (Pagerless's remediation),
  ``"source"`` → recovered on its own (the monitor resolved the alert), any other value → people;
  unresolved incidents are counted apart.
- **Approval latency**: ``decided_at − requested_at`` of approvals requested in the period and decided
  (approved or rejected; an expired one, timed out or superseded, is not): count, mean, median, max.
- **Recurring patterns**: incidents grouped by diagnosis category, or, without one (no diagnosis, or one that
  abstained: ``insufficient_evidence`` names no cause, so unrelated alerts would share it), by the
  lower-cased title with every letters-and-digits run that holds a digit (pod hashes, numbers) replaced
  by ``#``; a group of two or more is a pattern (occurrences, services).
"""

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from pagerless.domain.incidents import (
    ACKNOWLEDGED_EVENT,
    REOPENED_EVENT,
    RESOLVED_EVENT,
    resolving_since,
    waiting_for_acknowledgement_since,
)

TOP_NOISY = 5
DECIDED = ("approved", "rejected")  # what people decide; an approval that expired was decided by nobody
MIN_PATTERN = 2
VARYING = re.compile(r"[a-z0-9]*\d[a-z0-9]*")  # pod hashes, numbers, ids: any run of letters and digits with a digit
# The diagnosis's abstention (`pagerless.diagnosis.engine.INSUFFICIENT`, not imported: it loads every analyzer)
ABSTAINED = "insufficient_evidence"


@dataclass(frozen=True)
class IncidentFacts:
    id: str
    title: str
    severity: str
    service: str | None
    source: str
    first_seen: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    alert_count: int = 1
    category: str | None = None
    reopened_at: datetime | None = None
    reopens: tuple[datetime, ...] = ()  # reopens known besides the last (``reopened_at``): those of the period
    parent_id: str | None = None  # the root it was correlated under (a storm's child)


Facts = TypeVar("Facts", bound=IncidentFacts)


@dataclass(frozen=True)
class ApprovalFacts:
    requested_at: datetime
    decided_at: datetime | None
    status: str


def roots(incidents: Iterable[Facts]) -> list[Facts]:
    """The incidents that are not correlated children, each with its loaded children's alerts added to its own:
    a storm is one incident to the people who read a report."""
    incidents = list(incidents)
    alerts: Counter[str] = Counter()
    for child in incidents:
        if child.parent_id:
            alerts[child.parent_id] += child.alert_count
    return [
        replace(i, alert_count=i.alert_count + alerts[i.id]) if alerts[i.id] else i
        for i in incidents
        if not i.parent_id
    ]


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def mtta(incidents: list[IncidentFacts]) -> float | None:
    return _mean(
        [_minutes(i.acknowledged_at - waiting_for_acknowledgement_since(i)) for i in incidents if i.acknowledged_at]
    )


def mttr(incidents: list[IncidentFacts]) -> float | None:
    return _mean([_minutes(i.resolved_at - resolving_since(i)) for i in incidents if i.resolved_at])


def resolution_split(incidents: list[IncidentFacts]) -> dict[str, int]:
    split = {"automatic": 0, "recovered": 0, "people": 0, "unresolved": 0}
    for incident in incidents:
        if incident.resolved_at is None:
            split["unresolved"] += 1
        elif incident.resolved_by == "workflow":
            split["automatic"] += 1
        elif incident.resolved_by == "source":
            split["recovered"] += 1
        else:
            split["people"] += 1
    return split


def noisy_alerts(incidents: list[IncidentFacts], top: int = TOP_NOISY) -> list[dict]:
    groups: dict[tuple[str, str], list[IncidentFacts]] = defaultdict(list)
    for incident in incidents:
        groups[(incident.source, incident.title)].append(incident)
    rows = [
        {"source": source, "title": title, "incidents": len(items), "alerts": sum(i.alert_count for i in items)}
        for (source, title), items in groups.items()
    ]
    rows.sort(key=lambda r: (-r["alerts"], -r["incidents"], r["title"]))
    return rows[:top]


def named_cause(category: str | None) -> str | None:
    """The diagnosis's category as a cause: None without one, or when the diagnosis abstained."""
    return category if category and category != ABSTAINED else None


def pattern_key(incident: IncidentFacts) -> str:
    if cause := named_cause(incident.category):
        return cause
    return re.sub(r"\s+", " ", VARYING.sub("#", incident.title.lower())).strip()


def recurring_patterns(incidents: list[IncidentFacts], minimum: int = MIN_PATTERN) -> list[dict]:
    groups: dict[str, list[IncidentFacts]] = defaultdict(list)
    for incident in incidents:
        groups[pattern_key(incident)].append(incident)
    rows = [
        {"pattern": key, "occurrences": len(items), "services": sorted({i.service for i in items if i.service})}
        for key, items in groups.items()
        if len(items) >= minimum
    ]
    rows.sort(key=lambda r: (-r["occurrences"], r["pattern"]))
    return rows


def approval_latency(approvals: list[ApprovalFacts]) -> dict:
    # an expired approval has a decided_at too (the timeout, or a newer approval superseding it): nobody decided it
    decided = [_minutes(a.decided_at - a.requested_at) for a in approvals if a.decided_at and a.status in DECIDED]
    return {
        "count": len(decided),
        "mean_minutes": _mean(decided),
        "median_minutes": round(statistics.median(decided), 2) if decided else None,
        "max_minutes": round(max(decided), 2) if decided else None,
    }


def days_of(start: datetime, end: datetime, zone: str) -> list[date]:
    tz = ZoneInfo(zone)
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def began_in(incident: IncidentFacts, start: datetime, end: datetime) -> datetime | None:
    """When the incident began within ``[start, end)``: its first alert, else its first reopen there; None
    when it neither opened nor reopened in the period."""
    moments = [incident.first_seen, *incident.reopens, *([incident.reopened_at] if incident.reopened_at else [])]
    inside = [m for m in moments if start <= m < end]
    return min(inside) if inside else None


def episode_in(
    incident: Facts, entries: Iterable[tuple[datetime, str, str | None]], start: datetime, end: datetime
) -> Facts:
    """``incident`` as the period ``[start, end)`` saw it: the last firing that began in the period, with that
    firing's acknowledgement and resolve. The stored incident holds its last firing only (a reopen clears the
    acknowledgement and the resolve); when it reopened after ``end``, the firing the period saw is read from its
    timeline ``entries`` ((time, type, who): acknowledgements, resolves with who resolved, reopens)."""
    entries = sorted(entries, key=lambda e: e[0])
    starts = sorted({incident.first_seen, *(at for at, kind, _ in entries if kind == REOPENED_EVENT)})
    if incident.reopened_at:
        starts = sorted({*starts, incident.reopened_at})
    inside = [s for s in starts if start <= s < end]
    if not inside or not incident.reopened_at or incident.reopened_at <= inside[-1]:
        return incident  # the stored incident's last firing is the period's (or the period saw none)
    began = inside[-1]
    refired = min(s for s in starts if s > began)
    resolve = next(((at, who) for at, kind, who in entries if kind == RESOLVED_EVENT and began <= at <= refired), None)
    until = resolve[0] if resolve else refired
    acknowledged = next((at for at, kind, _ in entries if kind == ACKNOWLEDGED_EVENT and began <= at <= until), None)
    return replace(
        incident,
        reopened_at=began if began != incident.first_seen else None,
        acknowledged_at=acknowledged,
        resolved_at=resolve[0] if resolve else None,
        resolved_by=resolve[1] if resolve else None,
    )


def per_day(incidents: list[IncidentFacts], start: datetime, end: datetime, zone: str) -> list[dict]:
    tz = ZoneInfo(zone)
    by_day: dict[date, list[IncidentFacts]] = defaultdict(list)
    for incident in incidents:
        by_day[(began_in(incident, start, end) or incident.first_seen).astimezone(tz).date()].append(incident)
    return [
        {
            "date": day.isoformat(),
            "incidents": len(by_day[day]),
            "mtta_minutes": mtta(by_day[day]),
            "mttr_minutes": mttr(by_day[day]),
        }
        for day in days_of(start, end, zone)
    ]


def build(
    *,
    workspace: str,
    report_type: str,
    start: datetime,
    end: datetime,
    zone: str,
    incidents: list[IncidentFacts],
    approvals: list[ApprovalFacts],
    slos: list[dict],
) -> dict:
    """The report's data: everything the renderers show, nothing they compute."""
    once = roots({i.id: i for i in incidents}.values())
    inside = sorted((i for i in once if began_in(i, start, end)), key=lambda i: (began_in(i, start, end), i.id))
    severities = Counter(i.severity for i in inside)
    services = Counter(i.service or "unknown" for i in inside)
    return {
        "workspace": workspace,
        "report_type": report_type,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "timezone": zone,
        "no_incidents": not inside,
        "total_incidents": len(inside),
        "by_severity": dict(sorted(severities.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_service": dict(sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))),
        "mtta_minutes": mtta(inside),
        "mttr_minutes": mttr(inside),
        "per_day": per_day(inside, start, end, zone),
        "noisy_alerts": noisy_alerts(inside),
        "resolution": resolution_split(inside),
        "approval_latency": approval_latency([a for a in approvals if start <= a.requested_at < end]),
        "slo_status": slos,
        "recurring_patterns": recurring_patterns(inside),
        "incidents": [
            {
                "id": i.id,
                "title": i.title,
                "severity": i.severity,
                "service": i.service,
                "opened_at": i.first_seen.isoformat(),
                "reopened_at": i.reopened_at.isoformat() if i.reopened_at else None,
                "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
            }
            for i in inside
        ],
    }
