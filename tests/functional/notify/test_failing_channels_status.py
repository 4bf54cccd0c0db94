"""A channel whose vendor refuses it for good (a deleted DingTalk robot, a revoked WeCom key, a Teams workflow
turned off) gives its deliveries up at once, unretried and not dead-lettered: GET /api/status names it, or a team
would hear of no incident while the status said ok."""

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import SLACK_TOKEN
from tests.functional.notify.conftest import (
    create_channel,
    lark_channel,
    lark_channel_config,
    route_all,
    save_incident,
    slack_channel,
)
from tests.functional.notify.test_pages import team  # noqa: F401

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


def _page_alice_and_carol(api, admin_key, notify_env, team) -> None:
    from pagerless.outbox.jobs import enqueue
    from tests.functional.notify.test_pages import _page

    incident = save_incident()
    enqueue(
        _page(incident.id, [{"kind": "person", "id": team["alice"].id}, {"kind": "person", "id": team["carol"].id}])
    )
    notify_env.poller.drain()


def test_a_revoked_slack_token_that_only_direct_messages_met_names_the_channel_and_what_to_fix(
    api, notify_env, admin_key, vendors, team
):
    # Given a Slack channel whose bot token was revoked (Slack answers invalid_auth), used only to page people
    slack = create_channel(
        api,
        admin_key,
        "ops-slack",
        "slack",
        {"bot_token": "xoxb-revoked", "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"},
    )
    # When Alice is paged by direct message there
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the status names the channel, with Slack's words and what to fix
    status = _status(api, admin_key)
    [failing] = status["notifications"]["failing_channels"]
    assert failing["channel_id"] == slack["id"] and failing["status"] == "gave_up", failing
    assert failing["direct_message"] is True and "invalid_auth" in failing["last_error"], failing
    assert "Bot User OAuth Token" in failing["fix"], failing
    assert status["status"] == "degraded", status
    assert any("ops-slack (slack): slack chat.postMessage: invalid_auth (fix: " in r for r in status["reasons"])
    # When the token is saved again and the channel's test goes through
    saved = api.put(
        f"/api/notifications/channels/{slack['id']}",
        headers=auth(admin_key),
        json={"config": {"bot_token": SLACK_TOKEN}},
    )
    assert saved.status_code == 200, saved.text
    assert api.post(f"/api/notifications/channels/{slack['id']}/test", headers=auth(admin_key)).json()["ok"]
    # Then the status is ok again
    status = _status(api, admin_key)
    assert status["notifications"]["failing_channels"] == [] and status["status"] == "ok", status


def test_a_direct_message_refused_for_its_person_alone_leaves_the_channel_healthy(
    api, notify_env, admin_key, vendors, team
):
    # Given a Slack channel whose token works, and Slack refusing Alice's direct message (she left the workspace)
    slack_channel(api, admin_key, vendors)
    vendors.fail("/slack/api/chat.postMessage", 200, times=1, body={"ok": False, "error": "user_not_found"})
    # When Alice is paged there
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the refusal is hers, not the channel's: the status stays ok
    [log] = api.get("/api/notification-logs", headers=auth(admin_key)).json()["items"]
    assert log["status"] == "gave_up" and "user_not_found" in log["last_error"], log
    status = _status(api, admin_key)
    assert status["notifications"]["failing_channels"] == [] and status["status"] == "ok", status


def test_a_lark_app_whose_secret_was_rotated_names_the_channel_from_a_page(api, notify_env, admin_key, vendors, team):
    # Given a Lark channel holding an App Secret rotated since (Lark answers 10014 for the tenant token)
    lark = create_channel(
        api, admin_key, "ops-lark", "lark", {**lark_channel_config(vendors), "app_secret": "rotated-away"}
    )
    # When Alice is paged by direct message there
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the status names the channel and says to save the current secret
    [failing] = _status(api, admin_key)["notifications"]["failing_channels"]
    assert failing["channel_id"] == lark["id"] and "10014 app secret invalid" in failing["last_error"], failing
    assert "App Secret" in failing["fix"] and failing["direct_message"] is True, failing


def test_a_lark_app_secret_refused_with_http_400_names_the_secret_to_save(api, notify_env, admin_key, vendors, team):
    # Given a Lark channel whose App ID and App Secret Lark refuses with HTTP 400 and its code (10014)
    lark = lark_channel(api, admin_key, vendors)
    refused = {"code": 10014, "msg": "app secret invalid"}
    vendors.fail("/open-apis/auth/v3/tenant_access_token/internal", 400, times=10, body=refused)
    # When Alice is paged by direct message there
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the status reads Lark's code as from an HTTP 200 answer: its words and the secret to save
    [failing] = _status(api, admin_key)["notifications"]["failing_channels"]
    assert failing["channel_id"] == lark["id"] and "10014 app secret invalid" in failing["last_error"], failing
    assert "App Secret" in (failing["fix"] or "") and failing["status"] == "gave_up", failing


def test_a_lark_tenant_token_throttled_with_http_400_is_waited_out_and_the_page_sent(
    api, notify_env, admin_key, vendors, team
):
    # Given a Lark app whose token endpoint answers one request with its frequency limit (99991400, HTTP 400)
    lark = lark_channel(api, admin_key, vendors)
    throttled = {"code": 99991400, "msg": "request trigger frequency limit"}
    headers = {"x-ogw-ratelimit-reset": "0"}
    vendors.fail("/open-apis/auth/v3/tenant_access_token/internal", 400, times=1, body=throttled, headers=headers)
    # When Alice is paged by direct message there
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the page is sent after the throttle, and the channel is not named as failing
    logs = api.get("/api/notification-logs", headers=auth(admin_key)).json()["items"]
    assert [log["status"] for log in logs if log["channel_id"] == lark["id"]] == ["sent"], logs
    assert _status(api, admin_key)["notifications"]["failing_channels"] == []


def test_an_unverified_ses_sender_names_the_email_channel_from_a_page(api, notify_env, admin_key, vendors, team):
    # Given an email channel sending from an address SES has not verified
    email = create_channel(
        api, admin_key, "mail", "email", {"from_address": "nobody@example.com", "to_addresses": ["team@example.com"]}
    )
    # When Carol (email only) is paged
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the status names the email channel and says to verify the sender
    [failing] = _status(api, admin_key)["notifications"]["failing_channels"]
    assert failing["channel_id"] == email["id"] and "MessageRejected" in failing["last_error"], failing
    assert "verify the sender nobody@example.com" in failing["fix"] and failing["direct_message"] is True, failing


def test_a_lark_app_whose_fresh_tenant_token_is_refused_names_the_channel_and_what_to_check(
    api, notify_env, admin_key, vendors, team
):
    # Given a Lark app whose tenant tokens are issued, then refused by the messages API (Lark's 99991663 with
    # HTTP 400: the app disabled, or its credentials or scopes wrong), the fresh token fetched after the first
    # refusal too
    lark = lark_channel(api, admin_key, vendors)
    refused = {
        "code": 99991663,
        "msg": "Invalid access token for authorization. Please make a request with token attached.",
    }
    vendors.fail("/open-apis/im/v1/messages", 400, times=10, body=refused)
    # When Alice is paged by direct message there
    _page_alice_and_carol(api, admin_key, notify_env, team)
    # Then the page is given up after the fresh token's one more try, not retried until dead
    assert len(vendors.to("/open-apis/im/v1/messages")) == 2
    assert len(vendors.to("/open-apis/auth/v3/tenant_access_token/internal")) == 2
    logs = api.get("/api/notification-logs", headers=auth(admin_key)).json()["items"]
    assert [log["status"] for log in logs if log["channel_id"] == lark["id"]] == ["gave_up"], logs
    # And the status names the channel, with Lark's words and what to check in the app
    status = _status(api, admin_key)
    [failing] = status["notifications"]["failing_channels"]
    assert failing["channel_id"] == lark["id"] and "99991663" in failing["last_error"], failing
    assert failing["direct_message"] is True and failing["status"] == "gave_up", failing
    for check in ("App ID", "App Secret", "enabled", "im:message:send_as_bot"):
        assert check in failing["fix"], failing
    assert status["status"] == "degraded", status
    assert not status["notifications"].get("dead_letters"), status


def test_direct_messages_that_keep_dying_on_5xx_name_the_channel_until_it_sends_again(
    api, notify_env, admin_key, vendors, team
):
    from pagerless.outbox.jobs import enqueue
    from tests.functional.notify.test_pages import _page

    # Given a Slack channel used only to page people, and Slack answering 500 to every try of two pages
    slack = slack_channel(api, admin_key, vendors)
    vendors.fail("/slack/api/chat.postMessage", 500, times=6)
    incident = save_incident()
    # When Alice is paged, her direct message dying after its retries
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}]))
    notify_env.poller.drain()
    # Then one dead message is not yet the channel's trouble
    assert _status(api, admin_key)["notifications"]["failing_channels"] == []
    # When Bob's page dies the same way
    enqueue(_page(incident.id, [{"kind": "person", "id": team["bob"].id}], generation="1-0"))
    notify_env.poller.drain()
    # Then the status names the channel, with Slack's answer and how many deliveries died
    status = _status(api, admin_key)
    [failing] = status["notifications"]["failing_channels"]
    assert failing["channel_id"] == slack["id"] and failing["status"] == "dead", failing
    assert failing["direct_message"] is True and "HTTP 500" in failing["last_error"], failing
    assert failing["dead_deliveries"] == 2, failing
    assert any("ops-slack (slack): " in r and "(2 dead deliveries)" in r for r in status["reasons"]), status
    # When Slack answers again and the channel's test goes through
    assert api.post(f"/api/notifications/channels/{slack['id']}/test", headers=auth(admin_key)).json()["ok"]
    # Then the channel is no longer named
    assert _status(api, admin_key)["notifications"]["failing_channels"] == []
