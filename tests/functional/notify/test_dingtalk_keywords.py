"""A DingTalk robot with the "custom keywords" security setting refuses a message holding none of its keywords
(errcode 310000 "keywords not in content"): the channel's ``keywords`` put one in every message, and a refusal by
the robot's security settings says which one refused it and what to set."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, route_all, save_incident

pytestmark = pytest.mark.functional

URL_PATH = "/robot/send?access_token=kw"


def _test(api, key, channel_id) -> dict:
    response = api.post(f"/api/notifications/channels/{channel_id}/test", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _keywords(api, key, channel_id, keywords: str) -> None:
    response = api.put(
        f"/api/notifications/channels/{channel_id}", headers=auth(key), json={"config": {"keywords": keywords}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["config"]["keywords"] == keywords


def test_a_keyword_robot_gets_a_keyword_in_every_message_once_the_channel_names_them(
    api, notify_env, admin_key, vendors
):
    # Given a DingTalk robot that takes only messages holding "告警" or "值班", and a channel to it naming none
    vendors.dingtalk_keywords["kw"] = ["告警", "值班"]
    channel = create_channel(api, admin_key, "ding", "dingtalk", {"webhook_url": f"{vendors.base_url}{URL_PATH}"})
    # When a message is sent, the robot refuses it, and the failure says why and what to set
    refused = _test(api, admin_key, channel["id"])
    assert refused["ok"] is False
    assert "310000" in refused["error"] and "custom keywords" in refused["error"], refused
    assert "config.keywords" in refused["error"], refused
    # When the channel names the robot's keywords
    _keywords(api, admin_key, channel["id"], "告警, 值班")
    # Then the message (whose title holds none of them) carries the first after its title, and is accepted
    assert _test(api, admin_key, channel["id"])["ok"] is True
    sent = vendors.to("/robot/send")[-1].body["markdown"]["text"]
    assert sent.startswith("### [INFO] Test notification from Pagerless · 告警\n\n"), sent


def test_a_title_holding_a_keyword_is_left_as_it_is(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    vendors.dingtalk_keywords["kw"] = ["Payments"]
    channel = create_channel(
        api,
        admin_key,
        "ding",
        "dingtalk",
        {"webhook_url": f"{vendors.base_url}{URL_PATH}", "keywords": "Payments"},
    )
    route_all(api, admin_key, channel["id"])
    # When an incident titled "PaymentsApiHighErrorRate <!channel>" is announced
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then its heading is its title alone: the keyword is in it already
    [request] = vendors.to("/robot/send")
    assert request.body["markdown"]["text"].startswith("### [CRITICAL] PaymentsApiHighErrorRate &lt;!channel&gt;\n\n")
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]


def test_keywords_that_are_not_the_robots_are_named_in_the_failure(api, notify_env, admin_key, vendors):
    vendors.dingtalk_keywords["kw"] = ["告警"]
    channel = create_channel(
        api, admin_key, "ding", "dingtalk", {"webhook_url": f"{vendors.base_url}{URL_PATH}", "keywords": "alarm"}
    )
    refused = _test(api, admin_key, channel["id"])
    assert refused["ok"] is False and "keywords (alarm) are not the robot's" in refused["error"], refused


def test_a_wrong_signing_secret_is_said_to_be_the_signature_setting(api, notify_env, admin_key, vendors):
    vendors.bot_secrets["kw"] = "SECright"
    channel = create_channel(
        api, admin_key, "ding", "dingtalk", {"webhook_url": f"{vendors.base_url}{URL_PATH}", "secret": "SECwrong"}
    )
    refused = _test(api, admin_key, channel["id"])
    assert refused["ok"] is False and "sign not match" in refused["error"], refused
    assert "config.secret" in refused["error"], refused


def test_the_preview_shows_the_templates_message_without_the_robots_keyword(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a keyword robot's channel, and an incident announced to it (the title holds no keyword)
    vendors.dingtalk_keywords["kw"] = ["告警"]
    channel = create_channel(
        api, admin_key, "ding", "dingtalk", {"webhook_url": f"{vendors.base_url}{URL_PATH}", "keywords": "告警"}
    )
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    [sent] = vendors.to("/robot/send")
    # When an admin previews the template for DingTalk with the same incident
    response = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={"channel_type": "dingtalk", "event": "incident.opened", "incident_id": incident.id},
    )
    assert response.status_code == 200, response.text
    shown = response.json()["payload"]
    # Then it is the message the robot got but for the keyword the channel's config adds after the title: a
    # preview is of a channel type, the template's own message, as it is of a signature or a destination
    heading = "### [CRITICAL] PaymentsApiHighErrorRate &lt;!channel&gt;"
    assert sent.body["markdown"]["text"].startswith(f"{heading} · 告警\n\n")
    assert shown["markdown"]["text"] == sent.body["markdown"]["text"].replace(f"{heading} · 告警", heading, 1)
    assert shown["markdown"]["title"] == sent.body["markdown"]["title"]


def test_a_long_list_of_wrong_keywords_gives_a_whole_fix_naming_a_few(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a keyword robot and a channel naming twelve long keywords, none of them the robot's
    vendors.dingtalk_keywords["kw"] = ["告警"]
    named = [f"production-cluster-{n:02d}-alerting" for n in range(12)]
    channel = create_channel(
        api,
        admin_key,
        "ding",
        "dingtalk",
        {"webhook_url": f"{vendors.base_url}{URL_PATH}", "keywords": ", ".join(named)},
    )
    route_all(api, admin_key, channel["id"])
    # When an incident is announced there and the robot refuses it
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then the status's fix is whole: a few keywords each whole, how many more, and what to do
    [failing] = api.get("/api/status", headers=auth(admin_key)).json()["notifications"]["failing_channels"]
    fix = failing["fix"]
    assert fix.endswith("are not the robot's; copy them from the robot's settings"), fix
    assert f"({named[0]}, {named[1]}, {named[2]} and 9 more)" in fix, fix
