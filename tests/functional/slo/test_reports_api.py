"""Reports on the embedded AWS: the hourly tick makes yesterday's and last week's reports once per
period (conditional write), delivers each through the notification queue and SES, and the API
lists, renders, generates and deletes them."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from pagerless.clock import utcnow
from tests.conftest import auth
from tests.functional.foundation.test_events import _invoke, _load
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import minutes, seed_incident

pytestmark = pytest.mark.functional

ZONE = ZoneInfo("Asia/Shanghai")


def notify_jobs(runtime) -> list[dict]:
    from pagerless import settings

    sqs = runtime.client("sqs")
    jobs = []
    while True:
        got = sqs.receive_message(
            QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
        )
        messages = got.get("Messages", [])
        if not messages:
            return jobs
        jobs += [json.loads(m["Body"]) for m in messages]


def test_hourly_tick_generates_and_delivers_each_report_once(runtime, api, admin_key, monkeypatch):
    # Given Shanghai reports e-mailed to on-call, SES with a verified sender
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="reports@example.com")
    monkeypatch.setenv("PAGERLESS_REPORTS_EMAIL_FROM", "reports@example.com")
    put = api.put(
        "/api/reports/settings",
        json={"timezone": "Asia/Shanghai", "language": "zh", "email_to": ["oncall@example.com"]},
        headers=auth(admin_key),
    )
    assert put.status_code == 200, put.text
    # and yesterday (Shanghai): two incidents acknowledged after 5 and 15 min, resolved after 20 and 50
    yesterday = utcnow().astimezone(ZONE).date() - timedelta(days=1)
    nine = datetime.combine(yesterday, time(9), tzinfo=ZONE)
    seed_incident(
        "INC-R1",
        service="payments-api",
        severity="critical",
        opened=nine,
        acknowledged=nine + minutes(5),
        resolved=nine + minutes(20),
        resolved_by="workflow",
    )
    seed_incident(
        "INC-R2",
        service="payments-api",
        severity="high",
        opened=nine + minutes(60),
        acknowledged=nine + minutes(75),
        resolved=nine + minutes(110),
    )

    # When the hourly tick runs twice
    first = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    second = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]

    # Then the daily and weekly reports were made once
    daily_id = f"daily-{yesterday.isoformat()}"
    assert f"default/{daily_id}" in first["generated"] and len(first["generated"]) == 2
    assert second == {"generated": [], "retried": [], "failed": [], "already_done": 2}

    # And each was delivered once: one report.ready job per report on the notification queue, one e-mail each
    jobs = notify_jobs(runtime)
    assert sorted(j["generation"] for j in jobs if j["event"] == "report.ready") == sorted(
        g.split("/")[1] for g in first["generated"]
    )
    daily_job = next(j for j in jobs if j["generation"] == daily_id)
    assert daily_job["data"]["link"] == f"/console/reports/{daily_id}"
    assert "事件数：2 · 平均确认时间：" in daily_job["data"]["summary"]  # full-width colons, as Chinese text has
    # titled with the Shanghai day it covers (its UTC start is the evening before)
    assert daily_job["data"]["title"] == f"每日事件报告 {yesterday.isoformat()}"
    assert daily_job["data"]["summary"].startswith(f"每日事件报告 {yesterday.isoformat()}：")
    assert ses.get_send_quota()["SentLast24Hours"] == 2

    # And the daily report holds the hand-computed numbers: MTTA (5 + 15) / 2, MTTR (20 + 50) / 2
    report = api.get(f"/api/reports/{daily_id}", headers=auth(admin_key)).json()
    assert report["data"]["total_incidents"] == 2
    assert report["data"]["mtta_minutes"] == 10.0 and report["data"]["mttr_minutes"] == 35.0
    assert report["data"]["resolution"]["automatic"] == 1 and report["data"]["resolution"]["people"] == 1
    assert report["delivery"] == {"notify": True, "email": ["oncall@example.com"]}

    # And it renders as HTML in Chinese (the delivered link's lang), and as Markdown in the workspace's Chinese
    # or, asked, in English
    html = api.get(f"/api/reports/{daily_id}", params={"format": "html", "lang": "zh"}, headers=auth(admin_key))
    assert html.headers["content-type"].startswith("text/html") and "每日事件报告" in html.text
    assert "<svg" in html.text
    markdown = api.get(f"/api/reports/{daily_id}", params={"format": "markdown"}, headers=auth(admin_key))
    assert markdown.text.startswith("# 每日事件报告")
    markdown = api.get(f"/api/reports/{daily_id}", params={"format": "markdown", "lang": "en"}, headers=auth(admin_key))
    assert markdown.text.startswith("# Daily incident report")

    # And the list has both, filterable by type
    listed = api.get("/api/reports", params={"report_type": "daily"}, headers=auth(admin_key)).json()
    assert [r["id"] for r in listed["items"]] == [daily_id]


def test_generate_a_quiet_period_and_delete(runtime, api, admin_key):
    operator = make_key("operator")
    # When a report is generated for a period with no incidents
    made = api.post(
        "/api/reports/generate",
        json={
            "report_type": "daily",
            "period_start": "2026-02-19T00:00:00+08:00",
            "period_end": "2026-02-20T00:00:00+08:00",
        },
        headers=auth(operator),
    )
    assert made.status_code == 200, made.text
    body = made.json()
    # Then it says so explicitly
    assert body["data"]["no_incidents"] is True and body["summary"]["total_incidents"] == 0
    html = api.get(f"/api/reports/{body['id']}", params={"format": "html"}, headers=auth(operator)).text
    assert "No incidents in this period." in html
    # And bad requests are refused clearly
    assert api.post("/api/reports/generate", json={"report_type": "monthly"}, headers=auth(operator)).status_code == 422
    backwards = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": "2026-02-20T00:00:00Z", "period_end": "2026-02-19T00:00:00Z"},
        headers=auth(operator),
    )
    assert backwards.status_code == 400
    assert api.get(f"/api/reports/{body['id']}", params={"format": "pdf"}, headers=auth(operator)).status_code == 422
    # And only an admin deletes
    assert api.delete(f"/api/reports/{body['id']}", headers=auth(operator)).status_code == 403
    assert api.delete(f"/api/reports/{body['id']}", headers=auth(admin_key)).status_code == 204
    assert api.get(f"/api/reports/{body['id']}", headers=auth(admin_key)).status_code == 404


def test_a_past_period_shows_the_slo_budget_as_it_stood_then(runtime, api, admin_key):
    # Given a rolling-7-day downtime SLO of "cart" and a 20-minute critical outage that ended an hour ago,
    # evaluated (its 7 days of buckets stored)
    from pagerless.slo.budget import align

    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    now = align(utcnow())
    seed_incident("INC-S1", service="cart", severity="critical", opened=now - minutes(80), resolved=now - minutes(60))
    assert api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key)).status_code == 200
    assert api.get("/api/slo/sla-cart/budget", headers=auth(admin_key)).json()["budget_remaining_percent"] < 81
    # When a daily report is generated for a day three days ago, before the outage
    day = (now - timedelta(days=3)).date()
    made = api.post(
        "/api/reports/generate",
        json={
            "report_type": "daily",
            "period_start": f"{day.isoformat()}T00:00:00Z",
            "period_end": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
        },
        headers=auth(admin_key),
    )
    assert made.status_code == 200, made.text
    # Then its SLO table shows the budget at the end of that day, whole, as its burn-down does
    (status,) = made.json()["data"]["slo_status"]
    assert status["burn_down"][-1]["remaining_percent"] == 100.0
    assert status["budget_remaining_percent"] == 100.0 and status["alert_level"] == "ok"


def _x_axis_labels(html: str, chart_title: str) -> list[str]:
    """The day labels under the chart whose title starts with ``chart_title`` in a rendered report."""
    import re

    for chart in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        if re.search(rf'aria-label="{re.escape(chart_title)}', chart):
            return re.findall(r'text-anchor="middle">(\d\d-\d\d)</text>', chart)
    raise AssertionError(f"no chart titled {chart_title!r}")


@pytest.mark.parametrize(
    ("zone", "period_start", "period_end", "days"),
    [
        # Tokyo (UTC+9), the period given in UTC: 03-09 00:00 to 03-10 06:00 local, which is still 03-09 in UTC
        ("Asia/Tokyo", "2026-03-08T15:00:00Z", "2026-03-09T21:00:00Z", ["03-09", "03-10"]),
        # Shanghai (UTC+8): a whole local week; each day ends at 16:00 UTC
        ("Asia/Shanghai", "2026-03-02T00:00:00+08:00", "2026-03-09T00:00:00+08:00", [f"03-0{d}" for d in range(2, 9)]),
        # the default zone: a day ends at midnight UTC, which is already the next UTC day
        ("UTC", "2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z", ["03-10"]),
    ],
)
def test_the_burn_down_labels_its_points_with_the_workspace_s_days(
    runtime, api, admin_key, zone, period_start, period_end, days
):
    # Given a workspace whose reports use ``zone`` and an SLO
    assert api.put("/api/reports/settings", json={"timezone": zone}, headers=auth(admin_key)).status_code == 200
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    # When a report is generated for a period of local days
    made = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": period_start, "period_end": period_end},
        headers=auth(admin_key),
    )
    assert made.status_code == 200, made.text
    body = made.json()
    # Then each burn-down point is labelled with the local day it closes, as the per-day charts are
    (status,) = body["data"]["slo_status"]
    assert [d["date"][5:] for d in body["data"]["per_day"]] == days
    assert [p["date"][5:] for p in status["burn_down"]] == days
    html = api.get(f"/api/reports/{body['id']}", params={"format": "html"}, headers=auth(admin_key)).text
    assert _x_axis_labels(html, "Error budget burn-down") == _x_axis_labels(html, "Incidents per day") == days


def test_a_report_counts_an_incident_that_reopened_in_its_period_once(runtime, api, admin_key):
    from tests.functional.intake.conftest import backdate_first_firing, post_alert, workflows_done

    ingest, operator = make_key("ingest"), auth(make_key("operator"))
    # Given an incident whose alert first fired six weeks ago and resolved since
    old = {"title": "Checkout latency", "fingerprint": "report-reopen-old", "service": "checkout", "status": "firing"}
    old_id = post_alert(api, ingest, "generic", old).json()["alerts"][0]["incident_id"]
    backdate_first_firing(old_id, utcnow() - timedelta(days=42))
    post_alert(api, ingest, "generic", {**old, "status": "resolved"})
    # and, in the period, an incident that opens, resolves and reopens
    start = utcnow() - timedelta(seconds=1)
    new = {"title": "Cart errors", "fingerprint": "report-reopen-new", "service": "cart", "status": "firing"}
    new_id = post_alert(api, ingest, "generic", new).json()["alerts"][0]["incident_id"]
    post_alert(api, ingest, "generic", {**new, "status": "resolved"})

    # When both alerts fire again in the period (intake reopens both incidents) and then resolve
    for alert, incident_id in ((old, old_id), (new, new_id)):
        again = post_alert(api, ingest, "generic", alert).json()["alerts"][0]
        assert again["action"] == "reopened" and again["incident_id"] == incident_id, again
    workflows_done(runtime, 4)
    for alert in (old, new):
        post_alert(api, ingest, "generic", {**alert, "status": "resolved"})
    made = api.post(
        "/api/reports/generate",
        json={
            "report_type": "daily",
            "period_start": start.isoformat(),
            "period_end": (utcnow() + timedelta(minutes=1)).isoformat(),
        },
        headers=operator,
    )
    assert made.status_code == 200, made.text
    data = made.json()["data"]

    # Then the period's report counts both, each once: the one reopened in it too
    assert sorted(i["id"] for i in data["incidents"]) == sorted([old_id, new_id]), data["incidents"]
    assert data["total_incidents"] == 2 and data["by_service"] == {"cart": 1, "checkout": 1}
    assert sum(day["incidents"] for day in data["per_day"]) == 2
    # And the reopened one's time to resolve counts from its reopen, not from six weeks ago
    assert data["mttr_minutes"] < 5, data
    reopened = next(i for i in data["incidents"] if i["id"] == old_id)
    assert reopened["reopened_at"] and reopened["opened_at"] < start.isoformat()


def test_a_report_whose_email_failed_is_emailed_by_the_next_tick_once(runtime, api, admin_key, monkeypatch):
    # Given reports e-mailed to on-call from a sender SES does not accept yet (not verified)
    ses = boto3.client("ses", region_name="us-east-1")
    monkeypatch.setenv("PAGERLESS_REPORTS_EMAIL_FROM", "reports@example.com")
    put = api.put("/api/reports/settings", json={"email_to": ["oncall@example.com"]}, headers=auth(admin_key))
    assert put.status_code == 200, put.text

    # When the hourly tick makes the day's and week's reports and SES refuses their e-mails
    first = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    # Then both reports are stored and announced, and each says its e-mail failed
    assert len(first["generated"]) == 0 and len(first["failed"]) == 2, first
    for made in first["failed"]:
        report = api.get(f"/api/reports/{made.split('/')[1]}", headers=auth(admin_key)).json()
        assert report["delivery"]["notify"] is True and "SES refused" in report["delivery"]["error"], report
    assert ses.get_send_quota()["SentLast24Hours"] == 0

    # When SES accepts the sender and the next tick runs, and the one after it
    ses.verify_email_identity(EmailAddress="reports@example.com")
    second = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    third = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    # Then the next tick e-mails both reports, once, and announces neither again
    assert sorted(second["retried"]) == sorted(first["failed"]) and second["failed"] == [], second
    assert third["retried"] == [] and third["already_done"] == 2, third
    assert ses.get_send_quota()["SentLast24Hours"] == 2
    jobs = [j for j in notify_jobs(runtime) if j["event"] == "report.ready"]
    assert sorted(j["generation"] for j in jobs) == sorted(m.split("/")[1] for m in first["failed"])
    for made in first["failed"]:
        report = api.get(f"/api/reports/{made.split('/')[1]}", headers=auth(admin_key)).json()
        assert report["delivery"] == {"notify": True, "email": ["oncall@example.com"]}, report


def test_a_report_generated_without_delivery_is_still_delivered_by_the_tick(runtime, api, admin_key):
    # Given an operator who looked at yesterday's report before the hourly tick made it (no delivery asked)
    looked = api.post("/api/reports/generate", json={"report_type": "daily"}, headers=auth(admin_key))
    assert looked.status_code == 200 and looked.json()["delivery"] == {}, looked.text
    # When the hourly tick runs
    ticked = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    # Then yesterday's report is still announced to the report channels
    assert f"default/{looked.json()['id']}" in ticked["retried"], ticked
    jobs = [j for j in notify_jobs(runtime) if j["event"] == "report.ready"]
    assert looked.json()["id"] in [j["generation"] for j in jobs]
    # And regenerating a delivered report does not make the tick deliver it again
    again = api.post("/api/reports/generate", json={"report_type": "daily"}, headers=auth(admin_key)).json()
    assert again["delivery"]["notify"] is True, again
    later = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    assert later["retried"] == [] and later["generated"] == [], later


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+00:00", "0001-01-02T00:00:00+00:00"),
        ("9999-12-31T00:00:00+00:00", "9999-12-31T23:00:00+00:00"),
        ("0001-01-01T08:00:00+09:00", "0001-01-02T00:00:00+00:00"),
    ],
)
def test_a_period_at_the_edge_of_the_calendar_is_a_validation_error(api, admin_key, start, end):
    # When a report is asked for a period whose days (or the month before it) fall outside the calendar
    answer = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": start, "period_end": end},
        headers=auth(admin_key),
    )
    # Then it is refused in the API's error format, not a server error
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_approval_latency_counts_the_approvals_people_decided_not_those_that_timed_out(api, admin_key):
    from pagerless.store.approvals import ApprovalRecord

    # Given yesterday: an approval approved after 3 minutes and one nobody decided (it expired after 30)
    yesterday = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for approval_id, status, after in (("a-approved", "approved", 3), ("a-expired", "expired", 30)):
        requested = yesterday + timedelta(hours=9)
        ApprovalRecord(
            "INC-LAT",
            approval_id,
            workspace="default",
            status=status,
            status_key=f"default#{status}",
            requested_key=f"{requested.isoformat()}#INC-LAT",
            requested_at=requested,
            expires_at=requested + minutes(30),
            timeout_seconds=1800,
            task_token="never-shown",
            decided_by="key:alice" if status == "approved" else "system",
            decided_at=requested + minutes(after),
        ).save()
    # When yesterday's report and the metrics export are read
    period = {"period_start": yesterday.isoformat(), "period_end": (yesterday + timedelta(days=1)).isoformat()}
    report = api.post("/api/reports/generate", json={"report_type": "daily", **period}, headers=auth(admin_key))
    export = api.get("/api/metrics/export", params={"days": 2}, headers=auth(admin_key)).json()
    # Then the latency is the decided approval's: the expired one waited for nobody's decision
    expected = {"count": 1, "mean_minutes": 3.0, "median_minutes": 3.0, "max_minutes": 3.0}
    assert report.json()["data"]["approval_latency"] == expected, report.json()["data"]["approval_latency"]
    assert export["approval_latency"] == expected, export["approval_latency"]


def test_regenerating_a_delivered_report_with_delivery_sends_it_again(runtime, api, admin_key):
    # Given yesterday's report, made and announced by the hourly tick
    ticked = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    daily_id = next(m.split("/")[1] for m in ticked["generated"] if "/daily-" in m)
    assert [j["generation"] for j in notify_jobs(runtime) if j["event"] == "report.ready"].count(daily_id) == 1
    # When an operator regenerates it and asks for delivery
    again = api.post("/api/reports/generate", json={"report_type": "daily", "deliver": True}, headers=auth(admin_key))
    # Then it is announced again, as asked
    assert again.status_code == 200 and again.json()["id"] == daily_id, again.text
    assert [j["generation"] for j in notify_jobs(runtime) if j["event"] == "report.ready"] == [daily_id]


@pytest.mark.parametrize("cursor", ["-1", "abc", "1e3", "²"])
def test_a_cursor_the_list_never_gave_is_a_validation_error(api, admin_key, cursor):
    # When the reports are listed with a cursor that no next_cursor ever was
    answer = api.get("/api/reports", params={"cursor": cursor}, headers=auth(admin_key))
    # Then it is refused, not read as an offset from the end of the list
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR", answer.text


def test_a_workspace_whose_reports_cannot_be_made_stops_no_other_workspaces_reports(runtime, api, admin_key):
    from pagerless.store.reports import ReportRepository

    # Given a workspace whose stored report settings no longer load (a zone this version does not know),
    # sorted before the default workspace
    ReportRepository().put_settings("a-team", {"timezone": "Mars/Olympus_Mons", "language": "en"})
    # When the hourly tick runs
    ticked = _invoke(runtime, "ScheduledFunction", _load("scheduled/reports_due.json"))["result"]
    # Then the default workspace's day and week are made, and the tick names the workspace it could not serve
    assert len([m for m in ticked["generated"] if m.startswith("default/")]) == 2, ticked
    assert [m for m in ticked["failed"] if m.startswith("a-team")] == ["a-team"], ticked


@pytest.mark.parametrize("format_", ["markdown", "html"])
def test_a_report_is_read_in_the_workspace_s_report_language_unless_lang_names_another(api, admin_key, format_):
    # Given a workspace whose reports are in Chinese, and a report of a quiet day
    settings = {"timezone": "Asia/Shanghai", "language": "zh"}
    assert api.put("/api/reports/settings", json=settings, headers=auth(admin_key)).status_code == 200
    period = {"period_start": "2026-02-19T00:00:00+08:00", "period_end": "2026-02-20T00:00:00+08:00"}
    made = api.post("/api/reports/generate", json={"report_type": "daily", **period}, headers=auth(admin_key))
    assert made.status_code == 200, made.text
    path = f"/api/reports/{made.json()['id']}"

    # When it is read without lang
    chinese = api.get(path, params={"format": format_}, headers=auth(admin_key))
    # Then it is in the workspace's language, as the report it delivered was
    assert chinese.status_code == 200, chinese.text
    assert "每日事件报告" in chinese.text and "本周期内没有事件。" in chinese.text
    assert "Daily incident report" not in chinese.text

    # And lang names another language for this read only
    english = api.get(path, params={"format": format_, "lang": "en"}, headers=auth(admin_key))
    assert "Daily incident report" in english.text and "每日事件报告" not in english.text

    # And once the workspace's reports are in English, a read without lang is English
    settings["language"] = "en"
    assert api.put("/api/reports/settings", json=settings, headers=auth(admin_key)).status_code == 200
    again = api.get(path, params={"format": format_}, headers=auth(admin_key))
    assert "No incidents in this period." in again.text and "每日事件报告" not in again.text


def test_a_report_is_read_in_the_workspace_s_language_when_its_other_settings_no_longer_load(api, admin_key):
    from pagerless.store.reports import ReportRepository

    # Given a stored report, then report settings in Chinese whose zone this version does not know
    period = {"period_start": "2026-02-19T00:00:00+08:00", "period_end": "2026-02-20T00:00:00+08:00"}
    made = api.post("/api/reports/generate", json={"report_type": "daily", **period}, headers=auth(admin_key))
    assert made.status_code == 200, made.text
    ReportRepository().put_settings("default", {"timezone": "Mars/Olympus_Mons", "language": "zh"})
    # When it is read as Markdown without lang
    markdown = api.get(f"/api/reports/{made.json()['id']}", params={"format": "markdown"}, headers=auth(admin_key))
    # Then it still reads, in Chinese
    assert markdown.status_code == 200 and markdown.text.startswith("# 每日事件报告"), markdown.text


def test_a_time_zone_change_skips_no_day(runtime, api, admin_key):
    from pagerless.reports.service import ReportService
    from pagerless.store.reports import ReportRepository

    # Given a UTC workspace whose hourly tick made 6 December's report (and the week to 7 December) at 08:00 UTC
    assert api.put("/api/reports/settings", json={"timezone": "UTC"}, headers=auth(admin_key)).status_code == 200
    first = ReportService(clock=lambda: datetime.fromisoformat("2026-12-07T08:00:00+00:00"))
    made = first.run_due()
    assert sorted(made["generated"]) == ["default/daily-2026-12-06", "default/weekly-2026-11-30"], made
    # When the workspace moves to Asia/Shanghai, and the tick runs at 17:00 there (09:00 UTC)
    put = api.put("/api/reports/settings", json={"timezone": "Asia/Shanghai"}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    ticked = ReportService(clock=lambda: datetime.fromisoformat("2026-12-07T09:00:00+00:00")).run_due()
    # Then Shanghai's 6 December (from 16:00 UTC on the 5th) and its week are made too, not taken as done
    assert sorted(ticked["generated"]) == [
        "default/daily-2026-12-06-20261205T1600Z",
        "default/weekly-2026-11-30-20261129T1600Z",
    ], ticked
    shanghai = ReportRepository().get("default", "daily-2026-12-06-20261205T1600Z")
    assert shanghai.period_start == "2026-12-05T16:00:00+00:00"
    assert shanghai.period_end == "2026-12-06T16:00:00+00:00"
    # And the UTC day's report is kept as it was; a second tick makes nothing more
    assert ReportRepository().get("default", "daily-2026-12-06").period_start == "2026-12-06T00:00:00+00:00"
    again = ReportService(clock=lambda: datetime.fromisoformat("2026-12-07T10:00:00+00:00")).run_due()
    assert again["generated"] == [] and again["already_done"] == 2, again


def test_generating_a_weekly_report_makes_the_ticks_last_complete_week(runtime, api, admin_key):
    from pagerless.reports.service import ReportService
    from pagerless.store.reports import ReportRepository

    # Given a workspace in Asia/Shanghai, on Wednesday 9 December 2026 at 18:00 there
    settings = {"timezone": "Asia/Shanghai", "daily": False, "weekly": True}
    assert api.put("/api/reports/settings", json=settings, headers=auth(admin_key)).status_code == 200
    wednesday = ReportService(clock=lambda: datetime.fromisoformat("2026-12-09T10:00:00+00:00"))

    # When an operator generates a weekly report without a period
    made = wednesday.generate("default", "weekly")

    # Then it is the last complete Monday-to-Monday week, under the hourly tick's id (not the last 7 days to today)
    assert made.sk == "weekly-2026-11-30"
    assert (made.period_start, made.period_end) == ("2026-11-29T16:00:00+00:00", "2026-12-06T16:00:00+00:00")
    assert made.data["per_day"][0]["date"] == "2026-11-30" and made.data["per_day"][-1]["date"] == "2026-12-06"
    # And the tick takes it as that week's report: it delivers it rather than making another
    ticked = wednesday.run_due()
    assert ticked["generated"] == [] and ticked["retried"] == ["default/weekly-2026-11-30"], ticked
    assert [r.sk for r in ReportRepository().all("default") if r.report_type == "weekly"] == ["weekly-2026-11-30"]


def test_a_report_stored_without_the_even_spend_line_shows_it_when_read(api, admin_key):
    from pagerless.slo.budget import align
    from pagerless.store.reports import ReportRepository
    from pagerless.store.slos import SloRepository
    from tests.functional.slo.test_budget_oracle import cloudwatch_slo

    # Given a 30-day SLO whose buckets began 3 days ago, and a report of the last two UTC days generated with it
    name = "checkout-old-report"
    assert (
        api.post("/api/slo", json=cloudwatch_slo(name, 30, "0.999", None), headers=auth(admin_key)).status_code == 201
    )
    today = datetime.combine(utcnow().date(), time(0), tzinfo=ZoneInfo("UTC"))
    first, rows = align(today - timedelta(days=3)), []
    while first + timedelta(minutes=5 * len(rows)) < today:
        rows.append((first + timedelta(minutes=5 * len(rows)), 999.0, 1000.0))
    SloRepository().put_buckets("default", name, rows)
    period = {"period_start": (today - timedelta(days=2)).isoformat(), "period_end": today.isoformat()}
    made = api.post("/api/reports/generate", json={"report_type": "daily", **period}, headers=auth(admin_key))
    assert made.status_code == 200, made.text
    report_id = made.json()["id"]
    record = ReportRepository().get("default", report_id)
    [status] = [s for s in record.data["slo_status"] if s["slo_name"] == name]
    line = [point["even_percent"] for point in status["burn_down"]]
    assert line == [round(100 * (1 - d / 30), 2) for d in (2, 3)]  # 2 and 3 of the window's 30 days spent evenly
    # And that report stored as reports were before their points had even_percent
    for point in status["burn_down"]:
        del point["even_percent"]
    ReportRepository().create("default", report_id, "daily", record.data, replace=True)

    # When it is read as JSON and as HTML
    data = api.get(f"/api/reports/{report_id}", headers=auth(admin_key)).json()["data"]
    html = api.get(f"/api/reports/{report_id}", params={"format": "html"}, headers=auth(admin_key)).text

    # Then its points have the even-spend line computed on read, as a report generated now has it, and its chart
    # draws the dashed line
    [read] = [s for s in data["slo_status"] if s["slo_name"] == name]
    assert [point["even_percent"] for point in read["burn_down"]] == line
    assert 'stroke-dasharray="4 4"' in html
    # And nothing was written back
    stored = ReportRepository().get("default", report_id).data["slo_status"]
    assert all("even_percent" not in p for s in stored for p in s["burn_down"])


def test_a_retried_delivery_of_a_report_stored_without_the_even_spend_line_draws_it(api, admin_key):
    from pagerless.reports.service import ReportService
    from pagerless.slo.budget import align
    from pagerless.store.reports import ReportRepository
    from pagerless.store.slos import SloRepository
    from tests.functional.slo.test_budget_oracle import cloudwatch_slo

    # Given a 30-day SLO whose buckets began 3 days ago, and daily reports e-mailed to on-call
    name = "checkout-old-delivery"
    assert (
        api.post("/api/slo", json=cloudwatch_slo(name, 30, "0.999", None), headers=auth(admin_key)).status_code == 201
    )
    today = datetime.combine(utcnow().date(), time(0), tzinfo=ZoneInfo("UTC"))
    first, rows = align(today - timedelta(days=3)), []
    while first + timedelta(minutes=5 * len(rows)) < today:
        rows.append((first + timedelta(minutes=5 * len(rows)), 999.0, 1000.0))
    SloRepository().put_buckets("default", name, rows)
    settings = {"timezone": "UTC", "daily": True, "weekly": False, "email_to": ["oncall@example.com"]}
    assert api.put("/api/reports/settings", json=settings, headers=auth(admin_key)).status_code == 200
    mails: list[str] = []
    service = ReportService(enqueue=lambda job: None, mailer=lambda to, subject, html, text: mails.append(html))
    # And yesterday's report stored as reports were before their points had even_percent, its e-mail failed
    made = service.generate("default", "daily")
    for status in made.data["slo_status"]:
        for point in status["burn_down"]:
            point.pop("even_percent", None)
    failed = {"notify": True, "email": [], "error": "SES refused"}
    ReportRepository().create("default", made.sk, "daily", made.data, replace=True, delivery=failed)

    # When the tick retries its delivery
    ticked = service.run_due()

    # Then the e-mail's chart has the even-spend line, computed as a read computes it
    assert ticked["retried"] == [f"default/{made.sk}"], ticked
    [html] = mails
    assert 'stroke-dasharray="4 4"' in html


def test_a_period_given_as_dates_or_half_given_is_refused_naming_each_field_and_how_to_write_it(api, admin_key):
    operator = make_key("operator")
    api.put("/api/reports/settings", json={"timezone": "Asia/Shanghai"}, headers=auth(admin_key))
    # When a newcomer gives the period as dates (no time, no offset)
    dates = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": "2026-12-05", "period_end": "2026-12-06"},
        headers=auth(operator),
    )
    # Then the 400 names both fields and shows a time with the report zone's offset
    assert dates.status_code == 400, dates.text
    error = dates.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and "2026-12-05T00:00:00+08:00" in error["message"]
    assert [d["field"] for d in error["details"]] == ["period_start", "period_end"]
    # And only the end without its offset names only it
    half = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": "2026-12-05T00:00:00+08:00", "period_end": "2026-12-06T00:00:00"},
        headers=auth(operator),
    )
    assert [d["field"] for d in half.json()["error"]["details"]] == ["period_end"], half.text
    # And a start without an end names the end
    alone = api.post(
        "/api/reports/generate",
        json={"report_type": "daily", "period_start": "2026-12-05T00:00:00+08:00"},
        headers=auth(operator),
    )
    assert alone.status_code == 400 and alone.json()["error"]["details"] == [
        {"field": "period_end", "message": "missing"}
    ]
    # And nothing was stored
    assert api.get("/api/reports", headers=auth(operator)).json()["items"] == []
