"""Loads what the analytics read (incidents, timelines, approvals, SLO budgets) and assembles the pilot export."""

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from pagerless.clock import utcnow
from pagerless.incidents.timeline import timeline as incident_timeline
from pagerless.reports import analytics
from pagerless.reports.data import ApprovalFacts, approval_latency, mtta, mttr, roots
from pagerless.store.incidents import IncidentRecord, IncidentRepository
from pagerless.store.reports import active_roots, approvals_requested, incidents_opened, open_incidents

NOISY_MINUTES = 5
ACTIONS_LOOKBACK = timedelta(days=30)  # an incident worked on in a period opened at most this long before it


def to_incident(record: IncidentRecord) -> analytics.Incident:
    diagnosis = record.diagnosis if isinstance(record.diagnosis, dict) else {}
    return analytics.Incident(
        id=record.id,
        title=record.title,
        severity=record.severity,
        service=record.service,
        source=record.source or "",
        first_seen=record.first_seen or record.created_at,
        acknowledged_at=record.acknowledged_at,
        reopened_at=record.reopened_at,
        resolved_at=record.resolved_at,
        resolved_by=record.resolved_by,
        alert_count=int(record.alert_count or 1),
        category=diagnosis.get("category"),
        status=record.status,
        actions=list(record.actions or []),
        parent_id=record.parent_id,
    )


class AnalyticsService:
    def __init__(self, clock: Callable[[], datetime] = utcnow, slos=None) -> None:
        self.clock = clock
        self._slos = slos

    def incidents(self, workspace: str, back: timedelta) -> list[analytics.Incident]:
        """The incidents opened in the last ``back``; a storm's correlated children count with their root
        (`reports.data.roots`)."""
        now = self.clock()
        return roots(to_incident(r) for r in incidents_opened(workspace, now - back, now + timedelta(seconds=1)))

    def with_actions_since(self, workspace: str, back: timedelta) -> list[analytics.Incident]:
        """The incidents that may have run an action in the last ``back``: those opened since (or in the
        ``ACTIONS_LOOKBACK`` before: worked on, resolved since) and every active one, however old."""
        now = self.clock()
        opened = incidents_opened(workspace, now - back - ACTIONS_LOOKBACK, now + timedelta(seconds=1))
        records = {r.id: r for r in [*opened, *active_roots(workspace)]}
        return [to_incident(r) for r in records.values()]

    def open_count(self, workspace: str) -> int:
        """Active incidents of the workspace (not correlated children), whenever they opened."""
        return open_incidents(workspace)

    def incident(self, workspace: str, incident_id: str) -> tuple[analytics.Incident, list[dict]]:
        record = IncidentRepository().get(incident_id, workspace)
        timeline = [
            {"at": t.at.isoformat(), "type": t.type, "actor": t.actor}
            for t in incident_timeline(incident_id, limit=None, incident=record)
        ]
        return to_incident(record), timeline

    def slo_budgets(self, workspace: str) -> list[dict]:
        if self._slos is None:
            from pagerless.slo.service import SloService

            self._slos = SloService(clock=self.clock)
        return [self._slos.budget(workspace, slo.name, slo) for slo in self._slos.all(workspace)]

    def export(self, workspace: str, days: int) -> dict:
        """Pilot metrics over the last ``days``: noise rate = noisy incidents (resolved within 5 minutes, no
        action) / incidents; automation rate = resolved by the workflow / resolved."""
        now = self.clock()
        incidents = self.incidents(workspace, timedelta(days=days))
        resolved = [i for i in incidents if i.resolved_at]
        noisy = analytics.noisy(incidents, NOISY_MINUTES, len(incidents) or 1)
        approvals = [
            ApprovalFacts(a.requested_at, a.decided_at, a.status)
            for a in approvals_requested(workspace, now - timedelta(days=days), now)
        ]
        budgets = self.slo_budgets(workspace)
        return {
            "workspace": workspace,
            "generated_at": now.isoformat(),
            "period_days": days,
            "incidents_total": len(incidents),
            "by_severity": dict(sorted(Counter(i.severity for i in incidents).items())),
            "mtta_minutes": mtta(incidents),
            "mttr_minutes": mttr(incidents),
            "resolved": len(resolved),
            "automation_rate": round(sum(i.resolved_by == "workflow" for i in resolved) / len(resolved), 4)
            if resolved
            else None,
            "noisy_incidents": len(noisy),
            "noise_rate": round(len(noisy) / len(incidents), 4) if incidents else None,
            "actions_run": sum(len(i.actions) for i in incidents),
            "approval_latency": approval_latency(approvals),
            "slos": [
                {
                    "name": b["slo_name"],
                    "budget_remaining_percent": b["budget_remaining_percent"],
                    "alert_level": b["alert_level"],
                }
                for b in budgets
            ],
        }
