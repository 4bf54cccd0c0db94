"""A group robot or workflow that its vendor refuses for good (a removed or disabled robot, a security setting the
channel does not meet, a workflow turned off, a Teams connector removed) is named in GET /api/status with what to change (``fix``), read from
the vendor's own error code: an operator paged at 3 a.m. learns there which setting to fix, not only that it failed."""

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import TEAMS_CONNECTOR_ERROR
from tests.functional.notify.conftest import create_channel, route_all, save_incident

pytestmark = pytest.mark.functional

LARK_HOOK = "/open-apis/bot/v2/hook/"
# Lark's custom bot, as its users quote it: a URL naming no bot, and the signature setting's refusal
LARK_NO_BOT = {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"}
LARK_SIGN_REFUSED = {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
DISABLED_WORKFLOW = {
    "error": {
        "code": "WorkflowTriggerIsNotEnabled",
        "message": "Could not execute workflow 'ae8ead5c-6a83-caf4-5715-1ad481277ab4' trigger 'manual' with state"
        " 'Disabled': trigger is not enabled.",
    }
}


@pytest.mark.parametrize(
    ("channel_type", "path", "status", "answer", "words", "fix"),
    [
        ("dingtalk", "/robot/send", 200, {"errcode": 300001, "errmsg": "token is not exist"}, "300001", "access_token"),
        ("dingtalk", "/robot/send", 200, {"errcode": 400102, "errmsg": "机器人已停用"}, "400102", "disabled"),
        (
            "dingtalk",
            "/robot/send",
            200,
            {"errcode": 310000, "errmsg": "keywords not in content"},
            "310000",
            "keywords",
        ),
        ("dingtalk", "/robot/send", 200, {"errcode": 310000, "errmsg": "sign not match"}, "310000", "config.secret"),
        (
            "wecom",
            "/cgi-bin/webhook/send",
            200,
            {"errcode": 93000, "errmsg": "invalid webhook url"},
            "93000",
            "removed",
        ),
        ("teams", "/workflows/", 400, DISABLED_WORKFLOW, "WorkflowTriggerIsNotEnabled", "turned off"),
        ("teams", "/webhookb2/", 410, b"", "HTTP 410", "Workflows app"),
        ("teams", "/webhookb2/", 200, TEAMS_CONNECTOR_ERROR.format(status=410).encode(), "HTTP error 410", "workflow"),
        ("lark_bot", LARK_HOOK, 200, LARK_NO_BOT, "19001", "add a custom bot to the group again"),
        ("lark_bot", LARK_HOOK, 200, LARK_SIGN_REFUSED, "19021", "config.secret"),
        ("lark_bot", LARK_HOOK, 200, {"code": 19022, "msg": "Ip Not Allowed"}, "19022", "IP allowlist"),
        ("lark_bot", LARK_HOOK, 200, {"code": 19024, "msg": "Key Words Not Found"}, "19024", "turn keywords off"),
    ],
)
def test_a_group_refused_for_its_robot_or_workflow_names_what_to_fix(
    api, notify_env, admin_key, vendors, channel_type, path, status, answer, words, fix
):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a group channel whose vendor refuses it for good with one of its error codes
    url = {
        "/robot/send": f"{vendors.base_url}/robot/send?access_token=t1",
        "/cgi-bin/webhook/send": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1",
        "/workflows/": f"{vendors.base_url}/workflows/a1b2/triggers/manual/paths/invoke?sig=s1",
        "/webhookb2/": f"{vendors.base_url}/webhookb2/0e1c@72f9/IncomingWebhook/5d1a/9c2b",
        LARK_HOOK: f"{vendors.base_url}{LARK_HOOK}hooktoken",
    }[path]
    channel = create_channel(api, admin_key, "ops-group", channel_type, {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    vendors.fail(path, status, times=1, body=answer)
    # When an incident is notified
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then it was tried once, and the status names the channel with the vendor's words and what to change
    assert len(vendors.to(path)) == 1
    response = api.get("/api/status", headers=auth(admin_key)).json()
    [failing] = response["notifications"]["failing_channels"]
    assert failing["channel_id"] == channel["id"] and failing["status"] == "gave_up", failing
    assert words in failing["last_error"] and fix in (failing["fix"] or ""), failing
    assert any(f"(fix: {failing['fix']})" in reason for reason in response["reasons"]), response["reasons"]
    # When the channel's test goes through again (the setting changed)
    assert api.post(f"/api/notifications/channels/{channel['id']}/test", headers=auth(admin_key)).json()["ok"]
    # Then the channel is no longer named
    assert api.get("/api/status", headers=auth(admin_key)).json()["notifications"]["failing_channels"] == []


def test_a_message_refused_for_itself_names_no_fix(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a WeCom group that refuses one message for its content (40058: too long), not for the robot
    url = f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"
    channel = create_channel(api, admin_key, "ops-wecom", "wecom", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    too_long = {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096. invalid Request Parameter"}
    vendors.fail("/cgi-bin/webhook/send", 200, times=1, body=too_long)
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then the channel is named for its latest message, with no setting to change
    [failing] = api.get("/api/status", headers=auth(admin_key)).json()["notifications"]["failing_channels"]
    assert failing["channel_id"] == channel["id"] and failing["fix"] is None, failing


def test_a_message_lark_calls_a_bad_request_is_given_up_at_once(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a Lark custom bot that answers one message with 9499 "Bad Request" (a request it cannot read: the same
    # bytes are refused again on every try)
    url = f"{vendors.base_url}{LARK_HOOK}hooktoken"
    channel = create_channel(api, admin_key, "ops-lark", "lark_bot", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    vendors.fail(LARK_HOOK, 200, times=1, body={"code": 9499, "msg": "Bad Request", "data": {}})
    # When an incident is notified
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then it was tried once, not retried as if Lark were busy, and the channel is named with Lark's words
    assert len(vendors.to(LARK_HOOK)) == 1
    [failing] = api.get("/api/status", headers=auth(admin_key)).json()["notifications"]["failing_channels"]
    assert failing["channel_id"] == channel["id"] and failing["status"] == "gave_up", failing
    assert "9499" in failing["last_error"] and "Bad Request" in failing["last_error"], failing
    assert failing["fix"] is None, failing
