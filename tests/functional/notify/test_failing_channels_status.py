"""A channel whose vendor refuses it for good (a deleted DingTalk robot, a revoked WeCom key, a Teams workflow
turned off) gives its deliveries up at once, unretried and not dead-lettered: GET /api/status names it, or a team
would hear of no incident while the status said ok."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, route_all, save_incident

pytestmark = pytest.mark.functional


def _status(api, key) -> dict:
    response = api.get("/api/status", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_channel_whose_robot_was_deleted_makes_the_status_degraded_until_it_delivers_again(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a DingTalk group whose robot was deleted (DingTalk answers 300001 with HTTP 200) and a WeCom group
    dingtalk = create_channel(
        api, admin_key, "值班群", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=gone"}
    )
    wecom = create_channel(
        api, admin_key, "ops-wecom", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    route_all(api, admin_key, dingtalk["id"], wecom["id"])
    vendors.fail("/robot/send", 200, times=1, body={"errcode": 300001, "errmsg": "token is not exist"})
    # When an incident is notified
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then the status is degraded and names the DingTalk channel with DingTalk's words, not the WeCom one
    status = _status(api, admin_key)
    [failing] = status["notifications"]["failing_channels"]
    assert failing["channel_id"] == dingtalk["id"] and failing["name"] == "值班群", failing
    assert failing["status"] == "gave_up" and "300001: token is not exist" in failing["last_error"], failing
    assert status["status"] == "degraded", status
    assert any("值班群 (dingtalk): dingtalk 300001" in reason for reason in status["reasons"]), status["reasons"]
    assert "值班群" in status["notifications"]["message"]
    # When the robot is set up again and the channel's test goes through
    tested = api.post(f"/api/notifications/channels/{dingtalk['id']}/test", headers=auth(admin_key))
    assert tested.json()["ok"] is True, tested.text
    # Then the status is ok again
    status = _status(api, admin_key)
    assert status["notifications"]["failing_channels"] == [] and status["status"] == "ok", status


def test_a_wecom_groups_mention_refused_for_good_names_the_channel_as_a_refused_card_would(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import enqueue
    from tests.functional.notify.test_pages import _dana_and_erin, _page

    # Given a WeCom group whose robot takes a page's card, then refuses its mention for good (the key revoked)
    dana, _ = _dana_and_erin()
    wecom = create_channel(
        api, admin_key, "ops-wecom", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    original = vendors._wecom
    answers = iter([None, (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, {})])
    vendors._wecom = lambda req: next(answers, None) or original(req)
    incident = save_incident()
    # When a step pages the group and Dana, whom it @-mentions by phone
    enqueue(_page(incident.id, [{"kind": "channel", "id": wecom["id"]}, {"kind": "person", "id": dana.id}]))
    notify_env.poller.drain()
    # Then the status names the channel, with WeCom's words: the mention is part of the group's delivery
    assert [r.body["msgtype"] for r in vendors.to("/cgi-bin/webhook/send")] == ["markdown", "text"]
    status = _status(api, admin_key)
    [failing] = status["notifications"]["failing_channels"]
    assert failing["channel_id"] == wecom["id"] and failing["status"] == "gave_up", failing
    assert "93000: invalid webhook url" in failing["last_error"], failing
    assert status["status"] == "degraded", status
