"""Seed 001's SLA rules as SLOs: availability from Pagerless's own incident downtime.

A rule is an SLO named ``sla-<service>`` (label ``sla: "true"``) whose SLI is bad = downtime
minutes, total = minutes. ``calculation_window``: daily → rolling 1d, weekly → rolling 7d,
monthly → the calendar month (UTC). Availability over a period = 1 − downtime / elapsed minutes,
computed from the incidents themselves (exact to the second, whether or not the scheduled
evaluation has run); ``total_checks`` is the elapsed minutes and ``down_checks`` the downtime minutes,
rounded up to whole minutes.
"""

import math
from datetime import UTC, date, datetime, time, timedelta

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError, ValidationError
from pagerless.slo.budget import calendar_month
from pagerless.slo.service import SloService
from pagerless.slo.sources.pagerless_incidents import DEFAULT_SEVERITIES, downtime_intervals
from pagerless.slo.spec import SloDocument
from pagerless.store.slos import service_incident_spans

WINDOWS = {
    "daily": {"duration": "1d", "isRolling": True},
    "weekly": {"duration": "7d", "isRolling": True},
    "monthly": {"duration": "1M", "isRolling": False, "calendar": {"timeZone": "UTC"}},
}


def rule_document(service: str, name: str, target_percent: float, window: str) -> dict:
    if window not in WINDOWS:
        raise ValidationError(
            "calculation_window is daily, weekly or monthly", details=[{"field": "calculation_window"}]
        )
    if not 0 < target_percent < 100:
        raise ValidationError("target_percent is between 0 and 100", details=[{"field": "target_percent"}])
    if target_percent <= 1:  # a ratio written where a percent goes: 0.999 promises 0.999 %, a budget of 99 %
        raise ValidationError(
            f"target_percent is a percent: 99.9 for 99.9 % availability; {target_percent} would promise"
            f" {target_percent} %",
            details=[{"field": "target_percent", "message": "a percent above 1, e.g. 99.9", "value": target_percent}],
        )
    source = {"type": "Pagerless", "spec": {"kind": "downtime", "severities": list(DEFAULT_SEVERITIES)}}
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {
            "name": f"sla-{service}"[:63].rstrip("-"),
            "displayName": name,
            "labels": {"sla": "true", "calculation_window": window, "indicator": "availability"},
        },
        "spec": {
            "service": service,
            "description": f"SLA rule {name}",
            "indicator": {
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": {"metricSource": source},
                        "total": {"metricSource": {"type": "Pagerless", "spec": {"kind": "minutes"}}},
                    }
                }
            },
            "timeWindow": [WINDOWS[window]],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": round(target_percent / 100, 6)}],
        },
    }


def is_rule(slo: SloDocument) -> bool:
    return slo.metadata.labels.get("sla") == "true"


class SlaService:
    def __init__(self, slos: SloService | None = None) -> None:
        self.slos = slos or SloService()

    def rules(self, workspace: str) -> list[SloDocument]:
        return [s for s in self.slos.all(workspace) if is_rule(s)]

    def rule(self, workspace: str, rule_id: str) -> SloDocument:
        slo = self.slos.get(workspace, rule_id)
        if not is_rule(slo):
            raise NotFoundError(f"SLA rule {rule_id} not found")
        return slo

    def create(self, workspace: str, service: str, name: str, target_percent: float, window: str) -> SloDocument:
        if any(r.service == service for r in self.rules(workspace)):
            raise ValidationError("Service already has an SLA rule", details=[{"service": service}])
        return self.slos.create(workspace, rule_document(service, name, target_percent, window))

    def delete(self, workspace: str, rule_id: str) -> None:
        self.rule(workspace, rule_id)
        self.slos.delete(workspace, rule_id)

    @staticmethod
    def public(slo: SloDocument) -> dict:
        return {
            "rule_id": slo.name,
            "service_id": slo.service,
            "service_name": slo.service,
            "name": slo.metadata.display_name or slo.name,
            "target_percent": round(slo.target * 100, 4),
            "calculation_window": slo.metadata.labels.get("calculation_window", "monthly"),
        }

    # ------------------------------------------------------------------ availability
    def period(self, slo: SloDocument, now: datetime) -> tuple[datetime, datetime]:
        window = slo.metadata.labels.get("calculation_window", "monthly")
        if window == "monthly":
            start, _, _ = calendar_month(now, "UTC")
            return start.astimezone(UTC), now
        return now - timedelta(days=1 if window == "daily" else 7), now

    def downtime(self, workspace: str, slo: SloDocument, start: datetime, end: datetime) -> tuple[float, list]:
        spans = service_incident_spans(workspace, slo.service, DEFAULT_SEVERITIES, start, end)
        merged = downtime_intervals(spans, end)
        return _minutes_in(merged, start, end), merged

    def status(self, workspace: str) -> list[dict]:
        now = utcnow()
        board = []
        for slo in self.rules(workspace):
            start, end = self.period(slo, now)
            elapsed = (end - start).total_seconds() / 60
            down, _ = self.downtime(workspace, slo, start, end)
            actual = 100 * (1 - down / elapsed) if elapsed else 100.0
            budget = elapsed * (1 - slo.target)
            board.append(
                {
                    **self.public(slo),
                    "actual_percent": round(actual, 4),
                    "is_met": actual >= slo.target * 100,
                    "error_budget_remaining_minutes": round(budget - down, 2),
                    "total_checks": math.ceil(elapsed),
                    "down_checks": math.ceil(down),
                }
            )
        return board

    def violations(self, workspace: str, start: date, end: date) -> list[dict]:
        """Downtime incidents of every service with an SLA rule, from ``start`` to ``end`` (whole days)."""
        return self._violations(workspace, self.rules(workspace), start, end)

    def _violations(self, workspace: str, rules: list[SloDocument], start: date, end: date) -> list[dict]:
        lo, hi = _day(start), _day(end) + timedelta(days=1)
        out = []
        for slo in rules:
            for began, resolved in service_incident_spans(workspace, slo.service, DEFAULT_SEVERITIES, lo, hi):
                stop = resolved or utcnow()
                out.append(
                    {
                        "rule_id": slo.name,
                        "service_name": slo.service,
                        "started_at": began.isoformat(),
                        "ended_at": resolved.isoformat() if resolved else None,
                        "duration_minutes": round((stop - began).total_seconds() / 60, 2),
                    }
                )
        return sorted(out, key=lambda v: v["started_at"])

    def report(self, workspace: str, service: str, start: date | None, end: date | None) -> dict:
        slo = next((r for r in self.rules(workspace) if r.service == service), None)
        if slo is None:
            raise NotFoundError(f"service {service} has no SLA rule")
        end = end or utcnow().date()
        start = start or end - timedelta(days=30)
        if start > end:
            raise ValidationError("start_date is after end_date")
        lo, hi = _day(start), min(_day(end) + timedelta(days=1), utcnow())
        total_down, merged = self.downtime(workspace, slo, lo, hi)  # read once; each day is a part of it
        trend = []
        day = start
        while _day(day) < hi:
            d_lo, d_hi = _day(day), min(_day(day) + timedelta(days=1), hi)
            down = _minutes_in(merged, d_lo, d_hi)
            minutes = (d_hi - d_lo).total_seconds() / 60
            trend.append({"date": day.isoformat(), "availability": round(100 * (1 - down / minutes), 4)})
            day += timedelta(days=1)
        elapsed = (hi - lo).total_seconds() / 60
        overall = round(100 * (1 - total_down / elapsed), 4) if elapsed > 0 else 100.0
        target = round(slo.target * 100, 4)
        verdict = "meets" if overall >= target else "misses"
        return {
            "service_id": service,
            "service_name": service,
            "target_percent": target,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "overall_availability": overall,
            "daily_trend": trend,
            "violations": self._violations(workspace, [slo], start, end),  # this service's own
            "total_downtime_minutes": round(total_down, 2),
            "summary": f"Service {service} was available {overall}% of the period, which {verdict} "
            f"its SLA target of {target}%.",
        }


def _minutes_in(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> float:
    """Minutes of [start, end) that the merged ``intervals`` cover."""
    return sum((min(e, end) - max(s, start)).total_seconds() for s, e in intervals if e > start and s < end) / 60


def _day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
