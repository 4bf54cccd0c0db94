"""The README's word on a report e-mailed without a sender: `email_to` set and no PAGERLESS_REPORTS_EMAIL_FROM
(a fresh `make dev`) makes the report and queues its notification, answers 503 naming the variable, and keeps
the error on the report for the hourly tick."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def test_a_report_delivered_without_a_sender_is_stored_notified_and_says_why(api, admin_key, monkeypatch):
    monkeypatch.delenv("PAGERLESS_REPORTS_EMAIL_FROM", raising=False)
    put = api.put("/api/reports/settings", json={"email_to": ["oncall@example.com"]}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    # When an operator generates yesterday's report with delivery
    answer = api.post("/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True})
    # Then the answer is a 503 naming the variable
    assert answer.status_code == 503, answer.text
    assert "PAGERLESS_REPORTS_EMAIL_FROM" in answer.json()["error"]["message"]
    # and the report is stored, its notification queued, and its delivery keeps the error
    reports = api.get("/api/reports?report_type=daily", headers=auth(admin_key)).json()["items"]
    assert len(reports) == 1
    report = api.get(f"/api/reports/{reports[0]['id']}", headers=auth(admin_key)).json()
    assert report["delivery"]["notify"] is True and report["delivery"]["email"] == []
    assert "PAGERLESS_REPORTS_EMAIL_FROM" in report["delivery"]["error"]
