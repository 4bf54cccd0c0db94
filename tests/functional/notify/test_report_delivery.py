"""A report is delivered to a fake Slack: ReportService → NotifyQueue → the real NotifyFunction → Slack API.

A report has no incident (severity ``info``, no service): routes select it with an ``events`` filter
or a catch-all; a route filtering on severity never hears of it (notify/routing.py).
"""

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import SLACK_TOKEN
from tests.functional.notify.conftest import create_channel, lark_channel, slack_channel

pytestmark = pytest.mark.functional


def _routes(api, key, routes: list[dict]) -> None:
    response = api.put("/api/notifications/routes", headers=auth(key), json={"routes": routes})
    assert response.status_code == 200, response.text


def test_a_generated_report_reaches_the_slack_channel_its_route_names(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    # Given critical incidents go to Lark, and reports to Slack through an events route
    slack = slack_channel(api, admin_key, vendors, name="reports-slack")
    lark = lark_channel(api, admin_key, vendors, name="oncall-lark")
    _routes(
        api,
        admin_key,
        [
            {"name": "critical", "match": {"severity": ["critical"]}, "channels": [lark["id"]]},
            {"name": "reports", "match": {"events": ["report.ready"]}, "channels": [slack["id"]]},
        ],
    )

    # When an operator generates yesterday's daily report (no incidents) with delivery
    response = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True}
    )
    assert response.status_code == 200, response.text
    report_id = response.json()["id"]
    notify_env.poller.drain()

    # Then Slack got one message with the report's title, headline and absolute link; Lark got nothing
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["channel"] == "C0OPS"
    assert post.body["text"].startswith("Report ready: Daily")
    section = post.body["blocks"][1]["text"]["text"]
    assert section == (
        "No incidents in this period.\n"  # & escaped for Slack mrkdwn
        f"https://pagerless.example.com/console/reports/{report_id}"
    )
    assert vendors.to("/open-apis/im/v1/messages") == []
    # And the delivery log records it, without an incident
    logs = api.get("/api/notification-logs", headers=auth(admin_key))
    assert logs.status_code == 200, logs.text
    entries = [e for e in logs.json()["items"] if e["event"] == "report.ready"]
    assert [(e["status"], e["channel_id"]) for e in entries] == [("sent", slack["id"])]

    # And draining the queue again sends nothing more
    notify_env.poller.drain()
    assert len(vendors.to("/slack/api/chat.postMessage")) == 1


def test_a_report_does_not_match_severity_routes_but_does_match_a_catch_all(api, notify_env, admin_key, vendors):
    # Given only a severity route to Lark and then a catch-all to Slack
    critical = slack_channel(api, admin_key, vendors, name="critical-slack")
    lark_channel(api, admin_key, vendors)
    _routes(
        api,
        admin_key,
        [
            {"name": "critical", "match": {"severity": ["critical"]}, "channels": ["lark"]},
            {"name": "rest", "channels": [critical["id"]]},
        ],
    )
    # When a report is generated and delivered
    response = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "weekly", "deliver": True}
    )
    assert response.status_code == 200, response.text
    notify_env.poller.drain()
    # Then the catch-all delivered it; its text names the weekly report
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["text"].startswith("Report ready: Weekly")
    assert vendors.to("/open-apis/im/v1/messages") == []


def test_a_chinese_report_reaches_a_channel_of_no_language_in_chinese(api, notify_env, admin_key, vendors):
    # Given reports in Chinese, and a Slack channel that chose no language
    settings = api.put("/api/reports/settings", headers=auth(admin_key), json={"language": "zh", "daily": True})
    assert settings.status_code == 200, settings.text
    slack = slack_channel(api, admin_key, vendors, name="reports-slack")
    _routes(api, admin_key, [{"name": "reports", "match": {"events": ["report.ready"]}, "channels": [slack["id"]]}])
    # When a daily report is generated and delivered
    response = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True}
    )
    assert response.status_code == 200, response.text
    notify_env.poller.drain()
    # Then the message is Chinese throughout, not "Report ready: 每日事件报告"
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["text"].startswith("报告已生成：每日事件报告"), post.body["text"]


def test_a_channel_that_chose_english_keeps_english_around_a_chinese_report(api, notify_env, admin_key, vendors):
    # Given reports in Chinese, and a Slack channel set to English
    api.put("/api/reports/settings", headers=auth(admin_key), json={"language": "zh", "daily": True})
    slack = create_channel(
        api,
        admin_key,
        "english-slack",
        "slack",
        {
            "bot_token": SLACK_TOKEN,
            "channel": "C0OPS",
            "api_base": f"{vendors.base_url}/slack/api",
            "language": "en",
        },
    )
    _routes(api, admin_key, [{"name": "reports", "match": {"events": ["report.ready"]}, "channels": [slack["id"]]}])
    response = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True}
    )
    assert response.status_code == 200, response.text
    notify_env.poller.drain()
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["text"].startswith("Report ready: "), post.body["text"]


def test_a_report_in_a_dingtalk_group_links_to_its_console_page_which_asks_for_a_sign_in(
    api, notify_env, admin_key, vendors, monkeypatch
):
    from pagerless import settings
    from tests.functional.notify.conftest import create_channel

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    # Given a DingTalk group that gets the reports
    dingtalk = create_channel(
        api, admin_key, "值班群", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1"}
    )
    _routes(api, admin_key, [{"match": {"events": ["report.ready"]}, "channels": [dingtalk["id"]]}])
    # When a report is delivered
    response = api.post(
        "/api/reports/generate", headers=auth(admin_key), json={"report_type": "daily", "deliver": True}
    )
    assert response.status_code == 200, response.text
    report_id = response.json()["id"]
    notify_env.poller.drain()
    # Then its link is the report's console page, not the API's (which answers 401 JSON to a tap in chat)
    [post] = vendors.to("/robot/send")
    link = f"https://pagerless.example.com/console/reports/{report_id}"
    assert post.body["markdown"]["text"].count(link) == 1, post.body  # once: the template writes it
    # And the page, opened without a session, asks for a sign-in and comes back to the report
    opened = api.get(f"/console/reports/{report_id}", follow_redirects=False)
    assert opened.status_code == 303, opened.text
    assert opened.headers["location"].endswith(f"/console/login?next=/console/reports/{report_id}")
