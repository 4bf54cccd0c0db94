"""Quiet hours are the person's, in the zone they give, not the schedule's: a London engineer on a New York
schedule, in the weeks between the American and the British spring changes (New York is four hours behind London
then, not five), has a high page at 18:30 New York time (22:30 in London) held until 07:00 London time, which is
03:00 in New York; a critical one goes out at once. The preview, on a fixed clock, resolves each step so."""

from datetime import UTC, datetime

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def test_a_london_engineers_quiet_hours_on_a_new_york_schedule_hold_in_london_time(api, admin_key):
    from pagerless.api.routes.oncall import oncall_service
    from pagerless.oncall import views

    h = auth(admin_key)
    # Given Liz (London) on a New York rotation for payments, and her quiet hours 22:00 to 07:00 in London
    liz = api.post(
        "/api/people", json={"name": "Liz", "email": "liz@example.com", "timezone": "Europe/London"}, headers=h
    )
    liz = liz.json()["id"]
    layer = {"name": "weekly", "participants": [liz], "rotation_start": "2026-03-02", "handoff_time": "09:00"}
    body = {"name": "primary", "timezone": "America/New_York", "services": ["payments"], "layers": [layer]}
    schedule = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    steps = [{"delay_seconds": 300, "targets": [{"kind": "schedule", "id": schedule}]}]
    policy = {"name": "payments", "services": ["payments"], "severities": ["critical", "high"], "steps": steps}
    assert api.post("/api/escalation-policies", json=policy, headers=h).status_code == 201
    quiet = {"timezone": "Europe/London", "start": "22:00", "end": "07:00"}
    assert api.put(f"/api/oncall/quiet-hours/{liz}", json=quiet, headers=h).status_code == 200
    # When a high incident opens at 18:30 New York time on Friday 20 March (22:30 in London)
    now = datetime(2026, 3, 20, 22, 30, tzinfo=UTC)

    def preview(severity: str) -> dict:
        found = views.escalation_preview(
            oncall_service(), "default", service_name="payments", severity=severity, minutes_elapsed=0, now=now
        )
        return found["levels"][0]["targets"][0]

    # Then her page is held until 07:00 London time (03:00 in New York), not sent at once nor held by New York's clock
    high = preview("high")
    assert (high["persons"], high["held"], high["held_until"]) == ([], [liz], "2026-03-21T07:00:00+00:00")
    # And a critical page is never held
    critical = preview("critical")
    assert (critical["persons"], critical["held"]) == ([liz], [])
