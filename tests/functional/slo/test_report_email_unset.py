"""A report e-mailed without a sender: `email_to` set and no PAGERLESS_REPORTS_EMAIL_FROM (a fresh `make dev`). No
e-mail can go until the variable is set, and no retry can change that: the report is made and announced, its
delivery says why it was not e-mailed (as when the email plugin is off), the answer is not a "retry later" 503, and
the hourly tick neither counts it as failed nor tries it again every hour."""

import pytest

from tests.conftest import auth
from tests.functional.foundation.test_events import _invoke, _load

pytestmark = pytest.mark.functional


def test_a_report_delivered_without_a_sender_is_stored_announced_and_says_why(runtime, api, admin_key, monkeypatch):
    monkeypatch.delenv("PAGERLESS_REPORTS_EMAIL_FROM", raising=False)
    put = api.put("/api/reports/settings", json={"email_to": ["oncall@example.com"]}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    # When an operator generates yesterday's report with delivery
    answer = api.post("/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True})
    # Then it is made and announced, and its delivery names the variable that is missing
    assert answer.status_code in (200, 201), answer.text
    reports = api.get("/api/reports?report_type=daily", headers=auth(admin_key)).json()["items"]
    assert len(reports) == 1
    report = api.get(f"/api/reports/{reports[0]['id']}", headers=auth(admin_key)).json()
    assert report["delivery"]["notify"] is True and report["delivery"]["email"] == []
    assert "PAGERLESS_REPORTS_EMAIL_FROM" in report["delivery"]["email_skipped"]
    assert "error" not in report["delivery"]

    # When the hourly tick runs
    ticked = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    # Then nothing failed: the week's report is made the same way, and yesterday's is not tried again
    assert ticked["failed"] == []
    assert not any(name.endswith(reports[0]["id"]) for name in ticked["retried"])
