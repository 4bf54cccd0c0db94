"""Triage ranks an incident that burns an error budget above an equal one that does not."""

from pagerless.slo.triage import rank, worst_level


def incident(id, severity, service, created_at, acknowledged=False, alert_count=1):
    return {
        "id": id,
        "title": id,
        "severity": severity,
        "service": service,
        "status": "open",
        "acknowledged": acknowledged,
        "alert_count": alert_count,
        "created_at": created_at,
    }


def test_budget_burn_lifts_an_incident_above_its_equals():
    incidents = [
        incident("A", "critical", "cart", "2026-01-01T00:00"),
        incident("B", "critical", "pay", "2026-01-01T01:00"),
    ]
    ranked = rank(incidents, {"pay": "critical"})
    assert [r["id"] for r in ranked] == ["B", "A"]
    # 100 severity + 50 critical burn + 10 unacknowledged + 1 alert
    assert ranked[0]["score"] == 161 and ranked[1]["score"] == 111
    assert "burns the error budget of pay (critical, +50)" in ranked[0]["reasons"]


def test_severity_still_dominates_a_slow_burn():
    incidents = [
        incident("A", "critical", "cart", "2026-01-01T00:00"),
        incident("B", "warning", "pay", "2026-01-01T00:00"),
    ]
    assert [r["id"] for r in rank(incidents, {"pay": "warning"})] == ["A", "B"]  # 111 vs 30 + 25 + 10 + 1


def test_ties_go_to_the_older_incident_and_worst_level_wins():
    incidents = [incident("A", "high", None, "2026-01-02T00:00"), incident("B", "high", None, "2026-01-01T00:00")]
    assert [r["id"] for r in rank(incidents, {})] == ["B", "A"]
    assert worst_level(["ok", "critical", "warning"]) == "critical" and worst_level([]) == "ok"
