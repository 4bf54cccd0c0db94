"""A storm is one incident to the people who read about it: the correlated children of a root count with their
root in reports, analytics and the handoff digest (their alerts count as the root's)."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from tests.conftest import auth
from tests.functional.intake.conftest import make_key, post_alert, workflows_done

pytestmark = pytest.mark.functional


@pytest.fixture
def storm(api, runtime):
    """Five pods of checkout failing at once: one root incident and four correlated children; the root acknowledged."""
    ingest, operator = make_key("ingest"), auth(make_key("operator"))
    ids = []
    for n in range(5):
        alert = {"title": f"Pod checkout-7f9c{n} crash looping", "fingerprint": f"storm-{n}", "service": "checkout"}
        answer = post_alert(api, ingest, "generic", alert)
        assert answer.status_code in (200, 202), answer.text
        ids.append(answer.json()["alerts"][0]["incident_id"])
    workflows_done(runtime, 1)
    incidents = [api.get(f"/api/incidents/{i}", headers=operator).json() for i in ids]
    [root] = [i["id"] for i in incidents if not i.get("parent_id")]
    assert len({i["id"] for i in incidents}) == 5 and all(i.get("parent_id") in (None, root) for i in incidents)
    assert api.post(f"/api/incidents/{root}/acknowledge", headers=operator).status_code == 200
    return root


def test_a_storm_is_one_incident_in_a_report(api, storm):
    # When today's report is generated
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    made = api.post(
        "/api/reports/generate",
        json={
            "report_type": "daily",
            "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=1)).isoformat(),
        },
        headers=auth(make_key("operator")),
    )
    assert made.status_code == 200, made.text
    data = made.json()["data"]
    # Then the storm is one incident, acknowledged, whose alerts are the five pods'
    assert data["total_incidents"] == 1 and data["by_service"] == {"checkout": 1}, data
    assert [i["id"] for i in data["incidents"]] == [storm]
    assert data["mtta_minutes"] is not None and data["resolution"]["unresolved"] == 1
    assert [(r["incidents"], r["alerts"]) for r in data["noisy_alerts"]] == [(1, 5)], data["noisy_alerts"]
    assert data["recurring_patterns"] == []


def test_a_storm_is_one_incident_in_the_analytics_and_the_handoff(api, storm):
    viewer = auth(make_key("viewer"))
    # When the analytics and the handoff digest are read
    export = api.get("/api/metrics/export", params={"days": 1}, headers=viewer).json()
    overview = api.get("/api/platform/overview", headers=viewer).json()
    patterns = api.get("/api/patterns/incidents", params={"hours": 24, "min_occurrences": 2}, headers=viewer).json()
    profile = api.get("/api/patterns/services/checkout", headers=viewer).json()
    digest = api.get("/api/digest/handoff", headers=viewer).json()
    # Then the storm is one incident everywhere, and nobody is told that four pods wait for an acknowledgement
    assert export["incidents_total"] == 1, export
    assert overview["incidents"]["last_24h"] == 1 and overview["incidents"]["open"] == 1, overview
    assert patterns["incidents_analyzed"] == 1 and patterns["patterns"] == [], patterns
    assert profile["total_incidents"] == 1, profile
    assert digest["summary"]["opened"] == 1 and digest["summary"]["open"] == 1, digest["summary"]
    assert digest["summary"]["unacknowledged"] == 0, digest["summary"]
    assert [(i["id"], i["correlated_incidents"]) for i in digest["open_incidents"]] == [(storm, 4)], digest


def test_the_postmortem_of_a_storm_counts_its_correlated_incidents_alerts(api, storm):
    # When the storm's root gets a postmortem
    created = api.post(f"/api/incidents/{storm}/postmortem", headers=auth(make_key("operator")))
    assert created.status_code == 201, created.text
    pm = created.json()
    # Then its impact is the five pods' alerts, and says four more incidents were correlated under it
    table = {row["metric"]: row["value"] for row in pm["impact_table"]}
    assert table["alerts"] == 5 and table["correlated_incidents"] == 4, table
    assert table["alert_deliveries"] == 5, table
    assert pm["sections"]["impact"].startswith("5 alerts on checkout (4 correlated incident(s));"), pm["sections"]
