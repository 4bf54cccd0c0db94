"""A report an operator generates from the console with "deliver" goes out as the scheduled one does:
a report.ready notification job and the e-mail, made by the console function (under its own role:
the ``runtime`` fixture checks each call against it, tests/iam)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.console.test_console import make_user, sign_in
from tests.functional.console.test_ops_pages import post

pytestmark = pytest.mark.functional


def test_a_report_generated_with_delivery_is_announced_and_emailed(runtime, api, admin_user, monkeypatch):
    from pagerless import settings

    # Given reports e-mailed from a verified sender to the SRE list, and an operator signed in to the console
    monkeypatch.setenv("PAGERLESS_REPORTS_EMAIL_FROM", "reports@example.com")
    settings.reset()
    runtime.client("ses").verify_email_identity(EmailAddress="reports@example.com")
    put = api.put("/api/reports/settings", json={"email_to": ["sre@example.com"]}, headers=auth(admin_user))
    assert put.status_code == 200, put.text
    make_user(api, admin_user, "op@example.com", "operator")
    sign_in(api, "op@example.com")
    # When they generate the daily report with delivery
    generated = post(api, "/console/reports", {"report_type": "daily", "deliver": "true"})
    # Then it is stored, a report.ready job is queued for the notify function, and the e-mail went out
    assert generated.status_code == 303, generated.text
    report_id = generated.headers["location"].rsplit("/", 1)[1]
    queue = runtime.provisioned.queues["NotifyQueue"]
    messages = runtime.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    jobs = [json.loads(m["Body"]) for m in messages]
    assert [j["data"]["report_id"] for j in jobs if j["event"] == "report.ready"] == [report_id]
    report = api.get(f"/api/reports/{report_id}", headers=auth(admin_user)).json()
    assert report["delivery"]["notify"] is True and len(report["delivery"]["email"]) == 1, report["delivery"]
