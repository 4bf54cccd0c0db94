"""An incident that reopens (its alert fired again after it resolved) is announced as reopened: before, the group got
the first announcement again, word for word, and read it as a new incident or a duplicate."""

import pytest

from tests.functional.notify.conftest import create_channel, route_all, save_incident

pytestmark = pytest.mark.functional


def test_a_reopened_incident_is_announced_as_reopened_in_the_channels_language(api, notify_env, admin_key, vendors):
    from datetime import UTC, datetime

    from pagerless.incidents.workflow_events import record_workflow_started

    # Given a Chinese DingTalk group and an English WeCom group
    dingtalk = create_channel(
        api,
        admin_key,
        "值班群",
        "dingtalk",
        {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1", "language": "zh"},
    )
    wecom = create_channel(
        api, admin_key, "wx", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    route_all(api, admin_key, dingtalk["id"], wecom["id"])
    # And an incident first opened at 00:00 that resolved and reopened at 09:30, its new workflow starting
    incident = save_incident(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:x:INC-20261202-0042-r1",
        created_at=datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        reopened_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
    )
    # When the workflow announces it
    record_workflow_started(incident.id)
    notify_env.poller.drain()
    # Then each group reads that it reopened, and when, beside when it first opened
    [ding] = vendors.to("/robot/send")
    assert ding.body["markdown"]["title"].startswith("【严重】已重新打开：PaymentsApiHighErrorRate"), ding.body
    assert "重新打开时间：2026-12-02 09:30 UTC（首次发生：2026-12-02 00:00 UTC）" in ding.body["markdown"]["text"]
    [wx] = vendors.to("/cgi-bin/webhook/send")
    content = wx.body["markdown"]["content"]
    assert "[CRITICAL] Reopened: PaymentsApiHighErrorRate" in content.split("\n")[0], content
    assert "Reopened: 2026-12-02 09:30 UTC (first opened 2026-12-02 00:00 UTC)" in content


def test_a_first_opening_is_not_called_reopened(api, notify_env, admin_key, vendors):
    from pagerless.incidents.workflow_events import record_workflow_started

    channel = create_channel(
        api, admin_key, "wx", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    route_all(api, admin_key, channel["id"])
    incident = save_incident(execution_arn="arn:aws:states:us-east-1:123456789012:execution:x:INC-20261202-0042")
    record_workflow_started(incident.id)
    notify_env.poller.drain()
    [wx] = vendors.to("/cgi-bin/webhook/send")
    assert "Reopened" not in wx.body["markdown"]["content"], wx.body
