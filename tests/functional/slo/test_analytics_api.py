"""The analytics routes over the gateway, on seeded incidents: each answers from stored data in seed 002's shape."""

from datetime import datetime, timedelta

import pytest

from pagerless.clock import utcnow
from tests.conftest import auth
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import minutes, seed_incident

pytestmark = pytest.mark.functional


def test_every_analytics_route_answers_from_stored_incidents(api, admin_key):
    # Given three quick cache blips, three payments OOMs and a fixed crash loop
    now = utcnow()
    for n, (back, lasted) in enumerate([(180, 2), (120, 4), (110, 6)], start=1):
        seed_incident(
            f"INC-N{n}",
            service="cache",
            severity="warning",
            opened=now - minutes(back),
            resolved=now - minutes(back) + minutes(lasted),
            resolved_by="source",
            title=f"Brief CPU spike on cache-{n}f{n}a",
        )
    for n, back in enumerate([1200, 360, 120], start=1):
        seed_incident(
            f"INC-P{n}",
            service="payments",
            severity="critical",
            opened=now - minutes(back),
            diagnosis={"category": "oom_killed"},
        )
    seed_incident(
        "INC-C1",
        service="payments",
        severity="critical",
        opened=now - minutes(300),
        acknowledged=now - minutes(299),
        resolved=now - minutes(297),
        resolved_by="workflow",
        diagnosis={"category": "crash_loop"},
        actions=[{"action": "restart_pod", "status": "succeeded", "finished_at": (now - minutes(298)).isoformat()}],
    )
    viewer = auth(make_key("viewer"))

    # Then: noisy incidents (the 2- and 4-minute blips), served by analytics and not taken for an incident id
    noisy = api.get("/api/incidents/noisy", params={"max_duration_minutes": 5}, headers=viewer).json()
    assert [i["id"] for i in noisy["noisy_incidents"]] == ["INC-N2", "INC-N1"] and noisy["count"] == 2
    assert noisy["max_duration_minutes"] == 5.0

    patterns = api.get("/api/patterns/incidents", params={"min_occurrences": 3}, headers=viewer).json()
    assert {p["pattern"]: p["occurrences"] for p in patterns["patterns"]} == {
        "brief cpu spike on cache-#": 3,
        "oom_killed": 3,
    }
    assert patterns["incidents_analyzed"] == 7

    profile = api.get("/api/patterns/services/payments", headers=viewer).json()
    assert profile["total_incidents"] == 4 and profile["repeat_rate"] == 0.5 and profile["risk_assessment"] == "high"
    assert api.get("/api/patterns/services", headers=viewer).json()["services"][0]["service"] == "payments"

    metrics = api.get("/api/incidents/INC-C1/metrics", headers=viewer).json()
    assert metrics["summary"] == {
        "time_to_first_response_minutes": 1.0,
        "resolution_time_minutes": 3.0,
        "actions_taken": 1,
    }

    capacity = api.get("/api/forecasting/capacity", headers=viewer).json()
    assert [(f["service"], f["risk_level"]) for f in capacity["forecasts"]] == [("payments", "high")]
    drift = api.get("/api/forecasting/drift", headers=viewer).json()
    assert set(drift) >= {"drift_signals", "signal_count", "healthy", "rates"}

    activity = api.get("/api/activity", headers=viewer).json()
    assert activity["count"] == 1 and activity["activity"][0]["action"] == "restart_pod"

    overview = api.get("/api/platform/overview", headers=viewer).json()
    assert overview["incidents"]["last_24h"] == 7 and overview["incidents"]["open"] == 3
    assert overview["automation_rate_7d"] == 0.25  # 1 of 4 resolved

    export = api.get("/api/metrics/export", headers=viewer).json()
    assert export["incidents_total"] == 7 and export["noisy_incidents"] == 2
    assert export["noise_rate"] == round(2 / 7, 4) and export["automation_rate"] == 0.25

    # And an unknown incident's metrics are a 404, a missing key a 401
    assert api.get("/api/incidents/INC-NOPE/metrics", headers=viewer).status_code == 404
    assert api.get("/api/platform/overview").status_code == 401


def test_first_response_is_not_the_pager_paging_or_a_runbook_running(api, admin_key):
    # Given an incident paged, notified and worked by a runbook in its first minute, acknowledged after 7,
    # and one paged the same way that nobody has answered yet
    from pagerless.oncall.engine import ACTOR as ESCALATION
    from pagerless.store.timeline import TimelineRecord, timeline_key

    now = utcnow()
    for incident_id, acknowledged in (("INC-E1", now - minutes(23)), ("INC-E2", None)):
        opened = now - minutes(30)
        seed_incident(incident_id, service="payments", severity="critical", opened=opened, acknowledged=acknowledged)
        for seconds, kind, actor in (
            (5, "escalation_started", ESCALATION),
            (6, "escalation_paged", ESCALATION),
            (8, "page_unreachable", "notify"),
            (40, "runbook_step", "runbook"),
        ):
            at = opened + timedelta(seconds=seconds)
            TimelineRecord(incident_id, timeline_key(at), at=at, type=kind, actor=actor).save()
    # When their metrics are read
    answered = api.get("/api/incidents/INC-E1/metrics", headers=auth(admin_key)).json()["summary"]
    waiting = api.get("/api/incidents/INC-E2/metrics", headers=auth(admin_key)).json()["summary"]
    # Then the first response is the acknowledgement, and there is none yet for the unanswered one
    assert answered["time_to_first_response_minutes"] == 7.0
    assert waiting["time_to_first_response_minutes"] is None


def test_the_acknowledgement_of_a_reopened_incident_is_measured_from_its_reopen(api, admin_key, runtime):
    from tests.functional.intake.conftest import reopen_weeks_later

    # Given an incident that an alert opened three weeks ago and that was resolved since
    ingest, operator = make_key("ingest"), auth(make_key("operator"))
    # When the alert fires again (through intake, which reopens the incident) and someone acknowledges it
    incident_id, alert = reopen_weeks_later(api, runtime, ingest, "mtta-reopen")
    acknowledged = api.post(f"/api/incidents/{incident_id}/acknowledge", headers=operator)
    assert acknowledged.status_code == 200, acknowledged.text
    # Then the time to acknowledge counts from the reopen, not from the first firing three weeks ago
    export = api.get("/api/metrics/export", params={"days": 30}, headers=operator).json()
    profile = api.get("/api/patterns/services/checkout", headers=operator).json()
    assert export["incidents_total"] == 1 and export["mtta_minutes"] < 5, export
    assert profile["mtta_minutes"] < 5, profile
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=operator).json()["items"]
    [ack] = [e for e in timeline if e["type"] == "acknowledged"]
    assert ack["data"]["time_to_acknowledge_seconds"] < 300, ack


def test_the_time_to_resolve_of_a_reopened_incident_is_measured_from_its_reopen(api, admin_key, runtime):
    from tests.functional.intake.conftest import post_alert, reopen_weeks_later

    # Given an incident that an alert opened three weeks ago and that was resolved since
    ingest, operator = make_key("ingest"), auth(make_key("operator"))
    # When the alert fires again (intake reopens the incident) and resolves a moment later
    incident_id, alert = reopen_weeks_later(api, runtime, ingest, "mttr-reopen")
    post_alert(api, ingest, "generic", {**alert, "status": "resolved"})

    # Then the time to resolve counts from the reopen, not from the first firing three weeks ago:
    # on the incident, in the metrics export, the service profile and the incident's metrics
    incident = api.get(f"/api/incidents/{incident_id}", headers=operator).json()
    assert incident["status"] == "resolved" and incident["metrics"]["time_to_resolve_seconds"] < 300, incident
    export = api.get("/api/metrics/export", params={"days": 30}, headers=operator).json()
    assert export["incidents_total"] == 1 and export["mttr_minutes"] < 5, export
    profile = api.get("/api/patterns/services/checkout", headers=operator).json()
    assert profile["mttr_minutes"] < 5, profile
    metrics = api.get(f"/api/incidents/{incident_id}/metrics", headers=operator).json()
    assert metrics["summary"]["resolution_time_minutes"] < 5, metrics
    # and, closed within minutes of its reopen with nothing run, it counts as a noisy incident
    noisy = api.get("/api/incidents/noisy", params={"max_duration_minutes": 5, "days": 30}, headers=operator).json()
    assert [(i["id"], i["duration_minutes"] < 5) for i in noisy["noisy_incidents"]] == [(incident_id, True)], noisy


def test_the_time_to_diagnose_of_a_reopened_incident_is_measured_from_its_reopen(api, admin_key, runtime):
    from tests.functional.intake.conftest import reopen_weeks_later

    # Given an incident that an alert opened three weeks ago, diagnosed then and resolved since
    ingest, viewer = make_key("ingest"), auth(make_key("viewer"))
    # When the alert fires again (intake reopens the incident) and the reopen's workflow diagnoses it
    incident_id, alert = reopen_weeks_later(api, runtime, ingest, "mttd-reopen")
    # Then its time to diagnose counts from the reopen, not from the first firing three weeks ago
    incident = api.get(f"/api/incidents/{incident_id}", headers=viewer).json()
    assert incident["status"] == "diagnosed" and incident["metrics"]["time_to_diagnose_seconds"] < 300, incident


def test_the_overview_counts_every_open_incident_not_only_the_last_weeks(api, admin_key):
    # Given an incident opened ten days ago and still open, one of ten days ago resolved since,
    # and one opened yesterday and still open
    now = utcnow()
    seed_incident("INC-OLD-OPEN", service="payments", severity="critical", opened=now - timedelta(days=10))
    seed_incident(
        "INC-OLD-DONE",
        service="payments",
        severity="critical",
        opened=now - timedelta(days=10),
        resolved=now - timedelta(days=9),
    )
    seed_incident("INC-NEW-OPEN", service="cache", severity="warning", opened=now - timedelta(days=1, hours=1))
    # When the overview is read
    overview = api.get("/api/platform/overview", headers=auth(make_key("viewer"))).json()
    # Then both open incidents count as open, while the 7-day figures still see the last week's alone
    assert overview["incidents"] == {"last_24h": 0, "last_7d": 1, "open": 2, "by_status": {"open": 1}}, overview
    assert set(overview) == {
        "generated_at",
        "incidents",
        "mtta_minutes_7d",
        "mttr_minutes_7d",
        "actions_7d",
        "automation_rate_7d",
        "slos",
        "workspace",
    }


def test_the_first_response_to_a_reopened_incident_is_measured_from_its_reopen(api, admin_key, runtime):
    from tests.functional.intake.conftest import reopen_weeks_later

    # Given an incident that an alert opened three weeks ago, that someone commented on then, resolved since
    ingest, operator = make_key("ingest"), auth(make_key("operator"))

    def comment(incident_id: str) -> None:
        answer = api.post(f"/api/incidents/{incident_id}/comment", json={"text": "looking"}, headers=operator)
        assert answer.status_code == 201, answer.text

    # When the alert fires again (intake reopens the incident) and someone acknowledges it
    incident_id, _ = reopen_weeks_later(api, runtime, ingest, "ttfr-reopen", before_reopen=comment)
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=operator).status_code == 200
    # Then the first response counts from the reopen, and the comment made before it is not the response to it
    metrics = api.get(f"/api/incidents/{incident_id}/metrics", headers=operator).json()
    first_response = metrics["summary"]["time_to_first_response_minutes"]
    assert first_response is not None and 0 <= first_response < 5, metrics
    [point] = [p for p in metrics["timeline"] if p["metric_name"] == "time_to_first_response_minutes"]
    incident = api.get(f"/api/incidents/{incident_id}", headers=operator).json()
    reopened_at = datetime.fromisoformat(incident["reopened_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(point["created_at"]) >= reopened_at, (point, incident["reopened_at"])


def test_a_monitor_raising_the_severity_is_not_a_first_response(api, admin_key, runtime):
    from tests.functional.intake.conftest import post_alert, workflows_done

    # Given a warning from a monitor that nobody has answered yet
    ingest, viewer = make_key("ingest"), auth(make_key("viewer"))
    alert = {"title": "Checkout errors", "fingerprint": "raise-1", "service": "checkout", "severity": "warning"}
    incident_id = post_alert(api, ingest, "generic", alert).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    # When the monitor fires it again as critical (intake raises the incident's severity)
    post_alert(api, ingest, "generic", {**alert, "severity": "critical"})
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=viewer).json()["items"]
    assert [e["actor"] for e in timeline if e["type"] == "severity_raised"] == ["generic"], timeline
    # Then nobody has responded yet: the monitor's raise is not a person's first response
    metrics = api.get(f"/api/incidents/{incident_id}/metrics", headers=viewer).json()
    assert metrics["summary"]["time_to_first_response_minutes"] is None, metrics
    assert [p["metric_name"] for p in metrics["timeline"]] == [], metrics


def test_the_activity_feed_shows_the_periods_actions_whenever_their_incident_opened(api, admin_key):
    # Given an incident opened ten days ago and still worked on: a restart nine days ago and a rollback an hour ago
    now = utcnow()
    seed_incident(
        "INC-LONG",
        service="payments",
        severity="critical",
        opened=now - timedelta(days=10),
        actions=[
            {"action": "restart_pod", "status": "succeeded", "finished_at": (now - timedelta(days=9)).isoformat()},
            {"action": "rollback_deployment", "status": "succeeded", "finished_at": (now - minutes(60)).isoformat()},
        ],
    )
    # When the last week's activity is read
    activity = api.get("/api/activity", params={"days": 7}, headers=auth(make_key("viewer"))).json()
    # Then it has the rollback of an hour ago, and not the restart of nine days ago
    assert [(a["incident_id"], a["action"]) for a in activity["activity"]] == [("INC-LONG", "rollback_deployment")], (
        activity
    )
