"""The scheduled handoff message as its incoming person reads it: which schedule, when the shift starts and ends
(in their time zone), who hands over and what is still open, in English and Chinese, on Slack, Lark and email."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.chat.conftest import SLACK_TEAM
from tests.functional.notify.conftest import lark_channel, notify_env, save_incident, slack_channel, vendors  # noqa: F401
from tests.functional.notify.test_pages import _email_channel, _emails
from tests.functional.notify.test_time_zones import _in, _lark_card, _set

pytestmark = pytest.mark.functional


def _schedule(name: str, outgoing: str) -> str:
    """A schedule with ``outgoing`` on call every day."""
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    layer = models.LayerIn(
        name="daily",
        participants=[outgoing],
        rotation_start=date(2026, 1, 1),
        handoff_time=time(9, 0),
        rrule="FREQ=DAILY",
    )
    body = models.ScheduleIn(name=name, timezone="UTC", services=[name], layers=[layer])
    return OncallService().create_schedule("default", body, "test")["id"]


def _slack_text(request) -> str:
    return "\n".join(
        block["text"]["text"] for block in request.body["blocks"] if block["type"] == "section" and "text" in block
    )


def test_the_incoming_person_is_told_the_schedule_their_shift_who_hands_over_and_what_is_open(
    runtime, api, notify_env, admin_key, vendors
):
    from pagerless.people.service import PeopleService

    # Given Li on Lark (a contact, in Shanghai, the channel in Chinese), Sam on Slack (a contact, in New York) and
    # Em with only an email address, each about to take over a schedule from Carol
    slack_channel(api, admin_key, vendors)
    _set(api, admin_key, lark_channel(api, admin_key, vendors), {"language": "zh"})
    _email_channel(api, admin_key, to=["team@example.com"])
    people = PeopleService()
    carol = people.create("default", name="Carol Wu", email="carol@example.com")
    li = people.create(
        "default",
        name="Li Lei",
        email="li@example.com",
        timezone="Asia/Shanghai",
        contacts=[{"kind": "lark", "value": f"{LARK_APP_ID}/ou_li"}],
    )
    sam = people.create(
        "default",
        name="Sam Roe",
        email="sam@example.com",
        timezone="America/New_York",
        contacts=[{"kind": "slack", "value": f"{SLACK_TEAM}/U0SAM0001"}],
    )
    em = people.create("default", name="Em Fox", email="em@example.com")
    now = datetime.now(UTC)
    start, end = now - timedelta(minutes=1), now + timedelta(hours=2)
    for name, person in (("payments", li), ("search", sam), ("billing", em)):
        override = {"person_id": person.id, "start": start.isoformat(), "end": end.isoformat()}
        created = api.post(
            f"/api/oncall/schedules/{_schedule(name, carol.id)}/overrides", headers=auth(admin_key), json=override
        )
        assert created.status_code == 201, created.text
    # And an open incident nobody acknowledged
    incident = save_incident("INC-20261202-0077")
    # When the scheduled handoff check runs and the notify function delivers what it queued
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-OncallHandoff"]
    runtime.scheduler.fire(target)
    notify_env.poller.drain()
    # Then Li's Lark message says it in Chinese, in Shanghai time
    [lark] = vendors.to("/open-apis/im/v1/messages")
    assert lark.body["receive_id"] == "ou_li"
    card = json.loads(lark.body["content"])
    assert card["header"]["title"]["content"] == "值班交接：payments"
    text, _ = _lark_card(lark)
    assert text.splitlines() == [
        f"您负责值班表 payments 的值班，从 {_in(start, 'Asia/Shanghai')} 到 {_in(end, 'Asia/Shanghai')}。",
        "交接人：Carol Wu。",
        "未关闭事件：1 个（未确认 1 个，严重 1 个）。待审批：0 个。过去 12 小时新增：0 个。",
        f"- 【严重】{incident.id} · PaymentsApiHighErrorRate &lt;!channel&gt;（未确认）",
    ], text
    # And Sam's Slack direct message says it in English, in New York time
    [slack] = vendors.to("/slack/api/chat.postMessage")
    assert slack.body["channel"] == "U0SAM0001"
    assert slack.body["text"] == "On-call handoff: search"
    assert _slack_text(slack).splitlines() == [
        f"You are on call for search from {_in(start, 'America/New_York')} until {_in(end, 'America/New_York')}.",
        "Taking over from Carol Wu.",
        "Open incidents: 1 (1 unacknowledged, 1 critical). Pending approvals: 0. Opened in the last 12 hours: 0.",
        f"- [CRITICAL] {incident.id} · PaymentsApiHighErrorRate &lt;!channel&gt; (unacknowledged)",
    ], _slack_text(slack)
    # And Em's email, to her address only, in UTC (she chose no zone, nor did the channel)
    [mail] = [m for m in _emails() if "em@example.com" in str(m.destinations)]
    assert "On-call handoff: billing" in str(mail.subject)
    assert f"You are on call for billing from {_in(start, 'UTC')} until {_in(end, 'UTC')}." in str(mail.body)
    assert "Taking over from Carol Wu." in str(mail.body) and incident.id in str(mail.body)
