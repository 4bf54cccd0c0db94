"""A workspace that switched the `email` channel plugin off gets no report e-mail: neither from the
hourly tick nor from a generated report. Switched back on, reports are e-mailed again."""

import boto3
import pytest

from tests.conftest import auth
from tests.functional.foundation.test_events import _invoke, _load

pytestmark = pytest.mark.functional


def _sent(ses) -> int:
    return int(ses.get_send_quota()["SentLast24Hours"])


def test_reports_are_not_emailed_while_the_email_plugin_is_off(runtime, api, admin_key, monkeypatch):
    # Given reports e-mailed to on-call through SES with a verified sender
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="reports@example.com")
    monkeypatch.setenv("PAGERLESS_REPORTS_EMAIL_FROM", "reports@example.com")
    put = api.put("/api/reports/settings", json={"email_to": ["oncall@example.com"]}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    # and the email channel plugin switched off
    assert api.post("/api/plugins/email/disable", headers=auth(admin_key)).status_code == 200

    # When the hourly tick makes the day's and week's reports
    ticked = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    # Then they are made, but no e-mail is sent, and each report's delivery says why
    assert len(ticked["generated"]) == 2
    assert _sent(ses) == 0
    for made in ticked["generated"]:
        report = api.get(f"/api/reports/{made.split('/')[1]}", headers=auth(admin_key)).json()
        assert report["delivery"]["email"] == [] and "switched off" in report["delivery"]["email_skipped"]

    # When an operator generates a report with delivery
    generated = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True}
    )
    # Then it is not e-mailed either
    assert generated.status_code == 200, generated.text
    assert _sent(ses) == 0

    # When the plugin is switched back on and a report is generated with delivery
    assert api.post("/api/plugins/email/enable", headers=auth(admin_key)).status_code == 200
    generated = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "weekly", "deliver": True}
    )
    # Then it is e-mailed again
    assert generated.status_code == 200, generated.text
    assert _sent(ses) == 1
