"""Incidents resolved before every resolve wrote its `incident_resolved` entry: until 4 December 2026 the
workflow's resolve wrote a `status_changed` entry (``{"from": ..., "to": "resolved"}``) instead. Written
here through the store, as that version left them, they count as resolved in reports, postmortems and SLO
downtime, at the time they were resolved."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.slo.history import minutes, seed_incident
from tests.functional.slo.postmortems import payments_sla

pytestmark = pytest.mark.functional


def _entry(incident_id: str, at, kind: str, actor: str, data: dict | None = None, workspace: str | None = None):
    from pagerless.store.timeline import append_timeline

    append_timeline(incident_id, at, kind, actor=actor, message="", data=data or {}, workspace=workspace)


def _resolved_by_the_old_workflow(incident_id: str, at) -> None:
    """The entry the workflow's resolve wrote before 4 December 2026, and no `incident_resolved`."""
    _entry(incident_id, at, "status_changed", "workflow", {"from": "verifying", "to": "resolved"})


def _reopened(incident_id: str, at) -> None:
    from pagerless.store.incidents import IncidentRecord

    _entry(incident_id, at, "incident_reopened", "intake", workspace="default")
    IncidentRecord.get(incident_id).update(actions=[IncidentRecord.reopened_at.set(at)])


def _report(api, start, end) -> dict:
    made = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": start.isoformat(), "period_end": end.isoformat()},
        headers=auth(_operator()),
    )
    assert made.status_code == 200, made.text
    return made.json()["data"]


def _operator() -> str:
    from tests.functional.intake.conftest import make_key

    return make_key("operator")


def test_a_report_counts_the_older_workflow_resolve_of_an_incident_reopened_since(runtime, api):
    # Given, in a past day, an incident the workflow fixed in 20 minutes, as the version before 4 December stored it,
    # which fired again the next day and is open
    start = align(utcnow()) - timedelta(days=3)
    end = start + timedelta(days=1)
    opened = start + timedelta(hours=2)
    seed_incident("INC-OLD-1", service="checkout", severity="critical", opened=opened)
    _resolved_by_the_old_workflow("INC-OLD-1", opened + minutes(20))
    _reopened("INC-OLD-1", end + timedelta(hours=5))
    # When that day's report is made
    data = _report(api, start, end)
    # Then the day's firing counts as fixed automatically, in 20 minutes (before: unresolved, no MTTR)
    assert data["resolution"] == {"automatic": 1, "recovered": 0, "people": 0, "unresolved": 0}, data["resolution"]
    assert data["mttr_minutes"] == 20.0


def test_a_report_counts_an_older_resolve_with_no_entry_by_the_incidents_own_resolve(runtime, api):
    # Given an incident resolved by hand with no resolve entry at all (a resolve that failed before its entry,
    # before resolves were one transaction): the incident itself says it is resolved
    start = align(utcnow()) - timedelta(days=3)
    opened = start + timedelta(hours=2)
    seed_incident("INC-OLD-2", service="checkout", severity="high", opened=opened, resolved=opened + minutes(45))
    # When its day's report is made
    data = _report(api, start, start + timedelta(days=1))
    # Then it counts as resolved by people, in 45 minutes
    assert data["resolution"] == {"automatic": 0, "recovered": 0, "people": 1, "unresolved": 0}, data["resolution"]
    assert data["mttr_minutes"] == 45.0


def test_the_slo_impact_of_a_reopened_incident_ends_its_first_firing_at_the_older_workflow_resolve(api, admin_key):
    # Given a downtime SLO and a payments-api incident of 3 h ago: down 20 min, fixed by the workflow (as the
    # version before 4 December stored it), reopened 100 min later, down 10 min more and resolved again
    payments_sla(api, admin_key)
    opened = align(utcnow()) - timedelta(hours=3)
    seed_incident(
        "INC-OLD-3",
        service="payments-api",
        severity="critical",
        opened=opened,
        resolved=opened + minutes(130),
        resolved_by="source",
    )
    _resolved_by_the_old_workflow("INC-OLD-3", opened + minutes(20))
    _reopened("INC-OLD-3", opened + minutes(120))
    _entry("INC-OLD-3", opened + minutes(130), "incident_resolved", "intake")
    api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key))
    # When its postmortem is drafted
    pm = api.post("/api/incidents/INC-OLD-3/postmortem", headers=auth(admin_key)).json()
    # Then the SLO impact is the 20 + 10 minutes it was down, not the 100 it sat resolved (before: 130)
    impact = pm["slo_impact"][0]
    assert impact["budget_consumed_minutes"] == pytest.approx(30 * 10080 / 10030, rel=0.005), impact
    # And the SLO's budget spent the same 30 minutes
    budget = api.get("/api/slo/sla-payments-api/budget", headers=auth(admin_key)).json()
    assert budget["budget_consumed_minutes"] == pytest.approx(30 * 10080 / 10030, rel=0.005), budget
