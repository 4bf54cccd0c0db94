"""The escalation preview of a policy that repeats, on a fixed clock: it says which round its last page was in, and
when the last step of the last round has paged, that the escalation ended (nobody else is paged until someone
acknowledges), rather than leaving "next: null" to be read as "nothing planned yet"."""

from datetime import UTC, datetime

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def test_the_preview_says_the_round_and_when_the_last_round_has_paged(api, admin_key):
    from pagerless.api.routes.oncall import oncall_service
    from pagerless.oncall import views

    h = auth(admin_key)
    ann, ben = (
        api.post("/api/people", json={"name": n, "email": f"{n}@example.com"}, headers=h).json()["id"]
        for n in ("ann", "ben")
    )
    # Given a policy paging ann, then ben 5 minutes later, twice over (repeat 1; ben waited on 10 minutes)
    steps = [
        {"delay_seconds": 300, "targets": [{"kind": "person", "id": ann}]},
        {"delay_seconds": 600, "targets": [{"kind": "person", "id": ben}]},
    ]
    policy = {"name": "payments", "services": ["payments"], "repeat": 1, "steps": steps}
    assert api.post("/api/escalation-policies", json=policy, headers=h).status_code == 201
    now = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

    def preview(minutes: float) -> dict:
        return views.escalation_preview(
            oncall_service(), "default", service_name="payments", severity="critical", minutes_elapsed=minutes, now=now
        )

    # When the incident opened 16 minutes ago: the second round's first step paged at 15, its second comes at 20
    mid = preview(16)
    assert [(lv["level"], lv["repeat"], lv["at_minutes"]) for lv in mid["levels"]] == [
        (1, 0, 0),
        (2, 0, 5),
        (1, 1, 15),
        (2, 1, 20),
    ]
    assert (mid["current_level"], mid["current_repeat"], mid["ended"]) == (1, 1, False)
    assert mid["next"] == {"level": 2, "repeat": 1, "in_minutes": 4}
    # When it opened an hour ago: the last step of the last round paged at 20 minutes, and the escalation ended
    late = preview(60)
    assert (late["current_level"], late["current_repeat"], late["ended"], late["next"]) == (2, 1, True, None)
    # And before anything paged (a preview of what is coming) nothing has ended
    none = views.escalation_preview(
        oncall_service(), "default", service_name="checkout", severity="critical", minutes_elapsed=0, now=now
    )
    assert (none["policy"], none["current_repeat"]) == (None, None)
