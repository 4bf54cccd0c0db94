"""The notifications API: channels (secrets in SSM, masked), templates, preview, routes, roles."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, save_incident, slack_channel

pytestmark = pytest.mark.functional


@pytest.fixture
def viewer_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="viewer", name="viewer").secret


def test_channel_secrets_live_in_ssm_and_are_only_shown_masked(api, runtime, admin_key):
    import boto3

    url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
    channel = create_channel(
        api, admin_key, "运维钉钉群", "dingtalk", {"webhook_url": url, "secret": "SECsupersecret1"}
    )
    assert channel["channel_type"] == "dingtalk" and channel["is_enabled"] is True
    assert channel["config"] == {"webhook_url": "https://oapi.dingtalk.com/****cdef", "secret": "****ret1"}
    listed = api.get("/api/notifications/channels", headers=auth(admin_key)).text
    assert "0123456789abcdef" not in listed and "SECsupersecret1" not in listed
    parameter = boto3.client("ssm").get_parameter(
        Name=f"/pagerless/notify/default/channels/{channel['id']}", WithDecryption=True
    )["Parameter"]
    assert parameter["Type"] == "SecureString" and "SECsupersecret1" in parameter["Value"]
    # An update that leaves the secrets out keeps them
    updated = api.put(
        f"/api/notifications/channels/{channel['id']}",
        headers=auth(admin_key),
        json={"name": "ops", "is_enabled": False, "config": {}},
    ).json()
    assert updated["name"] == "ops" and updated["is_enabled"] is False and updated["config"]["secret"] == "****ret1"
    assert api.delete(f"/api/notifications/channels/{channel['id']}", headers=auth(admin_key)).status_code == 204
    assert api.get(f"/api/notifications/channels/{channel['id']}", headers=auth(admin_key)).status_code == 404


def test_secrets_longer_than_one_ssm_parameter_keeps_are_refused_and_nothing_changes(api, runtime, admin_key):
    import boto3

    # Given a DingTalk channel with its secret in SSM
    url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
    channel = create_channel(api, admin_key, "ops", "dingtalk", {"webhook_url": url, "secret": "SECsupersecret1"})
    # When a channel is created, or this one edited, with secrets of more than SSM's 4,096 characters
    # (before: a 500 deployed, where SSM refuses such a Standard-tier value; moto kept it)
    long_token = "x" * 4100
    created = api.post(
        "/api/notifications/channels",
        json={"name": "big", "channel_type": "dingtalk", "config": {"webhook_url": url, "secret": long_token}},
        headers=auth(admin_key),
    )
    edited = api.put(
        f"/api/notifications/channels/{channel['id']}", json={"config": {"secret": long_token}}, headers=auth(admin_key)
    )
    # Then both are 400s naming the secret fields, and nothing changed
    for response in (created, edited):
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR" and "4096" in error["message"]
        assert {"field": "config.secret"} in error["details"]
    listed = api.get("/api/notifications/channels", headers=auth(admin_key)).json()
    assert [c["name"] for c in listed] == ["ops"]
    parameter = boto3.client("ssm").get_parameter(
        Name=f"/pagerless/notify/default/channels/{channel['id']}", WithDecryption=True
    )["Parameter"]
    assert "SECsupersecret1" in parameter["Value"]


def test_bad_channels_get_clear_errors_and_viewers_cannot_create(api, runtime, admin_key, viewer_key):
    for body, needle in (
        ({"name": "x", "channel_type": "pager", "config": {}}, "unknown channel type"),
        ({"name": "x", "channel_type": "slack", "config": {"channel": "C1"}}, "bot_token"),
        ({"name": "x", "channel_type": "wecom", "config": {"webhook_url": "ftp://x"}}, "http(s)"),
        (
            {"name": "x", "channel_type": "slack", "config": {"bot_token": "t", "channel": "C", "color": "red"}},
            "unknown config",
        ),
    ):
        response = api.post("/api/notifications/channels", headers=auth(admin_key), json=body)
        assert response.status_code in (400, 422) and needle in response.json()["error"]["message"], response.text
    forbidden = api.post(
        "/api/notifications/channels",
        headers=auth(viewer_key),
        json={"name": "x", "channel_type": "wecom", "config": {"webhook_url": "https://x"}},
    )
    assert forbidden.status_code == 403


def test_templates_seed_shape_default_flag_and_preview(api, runtime, admin_key):
    body = {
        "name": "告警通知-钉钉",
        "channel_type": "dingtalk",
        "title_template": "【{{severity}}】{{title}}",
        "body_template": "告警内容:{{message}}\n主机:{{hostname}}",
        "is_default": True,
    }
    first = api.post("/api/notifications/templates", headers=auth(admin_key), json=body).json()
    second = api.post("/api/notifications/templates", headers=auth(admin_key), json={**body, "name": "v2"}).json()
    listed = {t["id"]: t for t in api.get("/api/notifications/templates", headers=auth(admin_key)).json()}
    assert listed[first["id"]]["is_default"] is False and listed[second["id"]]["is_default"] is True
    bad = api.post("/api/notifications/templates", headers=auth(admin_key), json={**body, "body_template": "{% if %}"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
    incident = save_incident()
    preview = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={"channel_type": "dingtalk", "event": "incident.opened", "incident_id": incident.id},
    ).json()
    assert preview["template_id"] == second["id"]
    assert preview["title"] == "【critical】PaymentsApiHighErrorRate &lt;!channel&gt;"
    assert preview["body"].startswith("告警内容:5xx ratio above 5%")
    zh = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={
            "channel_type": "slack",
            "event": "test",
            "language": "zh",
            "data": {"severity": "warning", "message": "<!here> hello"},
        },
    ).json()
    assert zh["title"] == "【警告】Pagerless 测试通知" and zh["body"].startswith("&lt;!here&gt; hello")


def test_routes_accept_and_show_seed_002_shape(api, runtime, admin_key, viewer_key):
    # Given a channel of each type the routes name (routes naming no channel are refused)
    create_channel(api, admin_key, "ops-slack", "slack", {"bot_token": "xoxb-1", "channel": "C1"})
    create_channel(api, admin_key, "ops-mail", "email", {"from_address": "p@example.com", "to_addresses": ["o@x.io"]})
    create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": "https://example.com/teams"})
    seed = {
        "default_rules": {"critical": ["slack", "email"], "warning": ["slack"]},
        "service_overrides": {"payments": {"critical": ["slack", "email", "teams"]}},
    }
    assert api.get("/api/notifications/routes", headers=auth(viewer_key)).json()["configured"] is False
    put = api.put("/api/notifications/routes", headers=auth(admin_key), json=seed)
    assert put.status_code == 200
    shown = api.get("/api/notifications/routes", headers=auth(viewer_key)).json()
    assert shown["default_rules"] == seed["default_rules"] and shown["service_overrides"] == seed["service_overrides"]
    assert "slack" in shown["registered_adapters"] and "lark" in shown["registered_adapters"]
    assert shown["routes"][0]["match"]["service"] == ["payments"] and shown["configured"] is True
    for zone in ("Mars/Base", "America"):  # "America": a folder of the time-zone database, not a zone
        bad = api.put(
            "/api/notifications/routes",
            headers=auth(admin_key),
            json={"routes": [{"channels": ["x"], "active_times": [{"timezone": zone}]}]},
        )
        assert bad.status_code == 400 and bad.json()["error"]["details"], bad.text


def test_adapters_list_the_notification_channels(api, runtime, viewer_key):
    body = api.get("/api/adapters", headers=auth(viewer_key)).json()
    assert {"slack", "lark", "lark_bot", "dingtalk", "wecom", "teams", "email", "webhook"} == set(
        body["notification_channels"]
    )
    assert "alertmanager" in body["alert_sources"] and "patch_resources" in body["action_names"]


def test_routed_test_notification_and_the_sample_event(api, runtime, admin_key, vendors, monkeypatch):
    import json

    from tests.conftest import ROOT

    slack = slack_channel(api, admin_key, vendors)
    api.put("/api/notifications/routes", headers=auth(admin_key), json={"default_rules": {"critical": [slack["name"]]}})
    queued = api.post(
        "/api/notifications/test",
        headers=auth(admin_key),
        params={"severity": "critical", "service": "payments", "message": "Test alert"},
    )
    assert queued.status_code == 202 and queued.json()["channels"] == [slack["id"]]
    runtime.poller.drain()
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["text"] == "[CRITICAL] Test notification from Pagerless"
    # The notify function's sample event (a routed test job at info severity: no route matches)
    event = json.loads((ROOT / "events" / "notify" / "sqs_test_job.json").read_text())
    spec = runtime.lambdas.by_logical_id["NotifyFunction"]
    assert runtime.lambdas.invoke(spec.name, event) == {"batchItemFailures": []}
    assert len(vendors.to("/slack/api/chat.postMessage")) == 1


def test_a_routed_test_that_reaches_no_channel_says_why(api, runtime, admin_key, vendors):
    # Given no route at all: the test is queued, and the answer says nothing will be sent and what to set
    queued = api.post("/api/notifications/test", headers=auth(admin_key), params={"severity": "critical"})
    assert queued.status_code == 202 and queued.json()["channels"] == [], queued.text
    assert "no notification route is set" in queued.json()["warning"], queued.text
    # Given a route for critical pages only, a warning test matches none: the answer names what was asked
    slack = slack_channel(api, admin_key, vendors)
    api.put("/api/notifications/routes", headers=auth(admin_key), json={"default_rules": {"critical": [slack["name"]]}})
    queued = api.post(
        "/api/notifications/test", headers=auth(admin_key), params={"severity": "warning", "service": "payments"}
    ).json()
    assert queued["channels"] == [] and queued["unknown_channels"] == [], queued
    assert "severity 'warning', service 'payments'" in queued["warning"], queued
    # And a test the route matches has no warning
    queued = api.post("/api/notifications/test", headers=auth(admin_key), params={"severity": "critical"}).json()
    assert queued["channels"] == [slack["id"]] and queued["warning"] is None, queued
