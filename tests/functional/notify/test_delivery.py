"""NotifyQueue → NotifyFunction → fake vendors: no duplicates, retries, give-ups, dead letters, replay."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import (
    comes_back_in,
    create_channel,
    lark_channel,
    make_due,
    notify_queue_messages,
    route_all,
    save_incident,
    slack_channel,
    wait_over,
)

pytestmark = pytest.mark.functional


def _job(incident_id: str, generation: str = "g1", event: str = "incident.opened"):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob(workspace="default", event=event, incident_id=incident_id, generation=generation)


def _logs(api, key, **params) -> list[dict]:
    response = api.get("/api/notification-logs", headers=auth(key), params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_same_job_twice_notifies_once_and_alert_text_cannot_mention_everyone(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # When the same job is queued twice (a producer retry) and a later occurrence once
    enqueue(_job(incident.id))
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    enqueue(_job(incident.id, generation="g2"))
    notify_env.poller.drain()
    # Then the first went out once, the second occurrence once more
    posts = vendors.to("/slack/api/chat.postMessage")
    assert len(posts) == 2
    section = posts[0].body["blocks"][1]["text"]["text"]
    assert section == (
        'INC-20261202-0042 · payments-api (payments)\n5xx ratio above 5% &lt;at user_id="all"&gt;&lt;/at&gt;'
    )
    # the notification text is mrkdwn too (Slack parses its mentions): the alert's "<!channel>" is text there as well
    assert posts[0].body["text"] == "[CRITICAL] PaymentsApiHighErrorRate &lt;!channel&gt;"
    assert posts[0].body["blocks"][0]["text"] == {
        "type": "plain_text",
        "emoji": False,
        "text": "[CRITICAL] PaymentsApiHighErrorRate <!channel>",
    }
    logs = _logs(api, admin_key, incident_id=incident.id)
    assert [(entry["status"], entry["attempts"]) for entry in logs] == [("sent", 1), ("sent", 1)]


def test_429_is_retried_after_retry_after_and_500_with_backoff(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    vendors.fail("/slack/api/chat.postMessage", 429, times=1, headers={"Retry-After": "0"})
    vendors.fail("/slack/api/chat.postMessage", 503, times=1)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    assert len(vendors.to("/slack/api/chat.postMessage")) == 3
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "sent" and entry["attempts"] == 3 and entry["provider_message_id"]


def test_a_4xx_gives_up_at_once_and_is_not_dead_lettered(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    vendors.fail("/slack/api/chat.postMessage", 403, times=5, body={"ok": False, "error": "forbidden"})
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    assert len(vendors.to("/slack/api/chat.postMessage")) == 1
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "gave_up" and entry["attempts"] == 1 and "HTTP 403" in entry["last_error"]
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_a_channel_answering_500_three_times_is_dead_lettered_and_the_replay_delivers(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import enqueue

    slack = slack_channel(api, admin_key, vendors)
    teams = create_channel(api, admin_key, "teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/abc"})
    route_all(api, admin_key, slack["id"], teams["id"])
    incident = save_incident()
    vendors.fail("/slack/api/chat.postMessage", 500, times=3)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then Slack was tried three times and is dead; Teams got its message once
    assert len(vendors.to("/slack/api/chat.postMessage")) == 3
    assert len(vendors.to("/workflows/abc")) == 1
    by_type = {e["channel_type"]: e for e in _logs(api, admin_key, incident_id=incident.id)}
    assert by_type["slack"]["status"] == "dead" and by_type["slack"]["attempts"] == 3
    assert by_type["teams"]["status"] == "sent"
    [dead] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    assert dead["kind"] == "notify" and dead["source"] == "slack" and "HTTP 500" in dead["error"]
    # When it is replayed (Slack answers again)
    replay = api.post(f"/api/webhooks/dead-letter/{dead['id']}/replay", headers=auth(admin_key))
    assert replay.status_code == 200, replay.text
    assert replay.json()["delivery_revived"] is True
    notify_env.poller.drain()
    # Then Slack got it, and Teams did not get it a second time
    assert len(vendors.to("/slack/api/chat.postMessage")) == 4
    assert len(vendors.to("/workflows/abc")) == 1
    by_type = {e["channel_type"]: e for e in _logs(api, admin_key, incident_id=incident.id)}
    assert by_type["slack"]["status"] == "sent"


def test_an_unreadable_job_and_a_job_the_queue_gave_up_on_reach_the_dead_letter_store(api, notify_env, admin_key):
    import boto3

    from pagerless import settings

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=settings.workflow().notify_queue_url, MessageBody="{not json")
    sqs.send_message(QueueUrl=settings.workflow().notify_dlq_url, MessageBody=_job("INC-20261202-0099").to_json())
    notify_env.poller.drain()
    items = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    assert sorted(i["kind"] for i in items) == ["notify", "notify"]
    assert any("not a notification job" in (i["error"] or "") for i in items)
    assert any("gave up after the notify queue's retries" in (i["error"] or "") for i in items)


def test_without_routes_nothing_is_sent_and_status_says_so(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    status = api.get("/api/status", headers=auth(admin_key)).json()
    assert status["notifications"]["configured"] is False
    assert "not configured" in status["notifications"]["message"]
    enqueue(_job(save_incident().id))
    notify_env.poller.drain()
    assert vendors.requests == []
    assert _logs(api, admin_key) == []


def test_dingtalk_is_signed_and_limited_to_20_a_minute(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.outbox.jobs import enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_MAX_WAIT_SECONDS", "0")  # a full minute goes back to the queue
    settings.reset()
    vendors.bot_secrets["ding-token"] = "SECfake"
    channel = create_channel(
        api,
        admin_key,
        "ding",
        "dingtalk",
        {"webhook_url": f"{vendors.base_url}/robot/send?access_token=ding-token", "secret": "SECfake"},
    )
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    for n in range(21):
        enqueue(_job(incident.id, generation=f"g{n}"))
    notify_env.poller.drain(max_rounds=5)  # 21 jobs, batches of 5: each job once
    sent = vendors.to("/robot/send")
    assert 20 <= len(sent) <= 21  # 21 only when the minute turned during the run
    assert all(r.query["access_token"] == "ding-token" and r.query["sign"] for r in sent)
    assert all(r.body["msgtype"] == "markdown" for r in sent)
    if len(sent) == 20:
        assert any(e["status"] == "failed" and "rate limited" in e["last_error"] for e in _logs(api, admin_key))


def test_channel_test_endpoint_reports_the_vendor_answer(api, notify_env, admin_key, vendors):
    good = slack_channel(api, admin_key, vendors)
    wrong = create_channel(
        api,
        admin_key,
        "wrong",
        "slack",
        {"bot_token": "xoxb-wrong", "channel": "C1", "api_base": f"{vendors.base_url}/slack/api"},
    )
    ok = api.post(f"/api/notifications/channels/{good['id']}/test", headers=auth(admin_key))
    assert ok.status_code == 200 and ok.json() == {
        "ok": True,
        "channel_id": good["id"],
        "status": "sent",
        "error": None,
    }
    refused = api.post(f"/api/notifications/channels/{wrong['id']}/test", headers=auth(admin_key)).json()
    assert refused["ok"] is False and refused["status"] == "gave_up" and "invalid_auth" in refused["error"]


def test_a_job_that_would_outlast_the_invocation_goes_back_to_the_queue(api, notify_env, admin_key, vendors):
    import time

    from pagerless.notify.bootstrap import notify_service
    from pagerless.notify.delivery import RetryLaterError

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # With less time left than one vendor call takes, nothing is claimed and the job is retried later
    with pytest.raises(RetryLaterError, match="no time left"):
        notify_service().handle(_job(incident.id), deadline=time.monotonic() + 1)
    assert vendors.requests == [] and _logs(api, admin_key) == []
    # With time, it is delivered once
    assert notify_service().handle(_job(incident.id), deadline=time.monotonic() + 60).delivered == [channel["id"]]


def _ssm_fails(times: int):
    """Make the next ``times`` reads of a channel's secrets fail as an SSM outage does; returns the undo."""
    from botocore.exceptions import EndpointConnectionError

    from pagerless.notify import secrets

    events = secrets._ssm().meta.events
    left = [times]

    def fail(**kwargs):
        if left[0] > 0:
            left[0] -= 1
            raise EndpointConnectionError(endpoint_url="https://ssm.example")

    events.register("before-call.ssm.GetParameter", fail)
    return lambda: events.unregister("before-call.ssm.GetParameter", fail)


def test_a_secret_store_outage_is_retried_not_given_up_as_a_missing_secret(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    vendors.bot_secrets["ding-token"] = "SECfake"
    channel = create_channel(
        api,
        admin_key,
        "ding",
        "dingtalk",
        {"webhook_url": f"{vendors.base_url}/robot/send?access_token=ding-token", "secret": "SECfake"},
    )
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given SSM cannot be reached for the first read of the channel's secrets
    undo = _ssm_fails(1)
    try:
        enqueue(_job(incident.id))
        notify_env.poller.drain()
    finally:
        undo()
    # Then the delivery is tried again and sent, not given up as "missing webhook_url"
    assert len(vendors.to("/robot/send")) == 1
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "sent", entry


def test_a_secret_store_outage_during_a_channel_edit_keeps_the_channels_secrets(api, notify_env, admin_key, vendors):
    channel = create_channel(
        api, admin_key, "ding", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1"}
    )
    # Given SSM cannot be read while the channel's language is changed
    undo = _ssm_fails(1)
    try:
        edit = api.put(
            f"/api/notifications/channels/{channel['id']}", headers=auth(admin_key), json={"config": {"language": "zh"}}
        )
    finally:
        undo()
    # Then the edit is refused as unavailable (try again), and the webhook URL is still there
    assert edit.status_code == 503, edit.text
    test = api.post(f"/api/notifications/channels/{channel['id']}/test", headers=auth(admin_key)).json()
    assert test["ok"] is True, test


def test_a_channel_whose_secret_is_gone_gives_up_naming_the_channel_and_the_secret(api, notify_env, admin_key, vendors):
    import boto3

    from pagerless.notify import secrets

    channel = create_channel(
        api, admin_key, "ops-ding", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1"}
    )
    # Given the channel's SSM parameter was deleted behind Pagerless' back
    boto3.client("ssm").delete_parameter(Name=secrets.parameter_name("default", channel["id"]))
    secrets._provider().clear_cache()
    # When the channel is tested
    result = api.post(f"/api/notifications/channels/{channel['id']}/test", headers=auth(admin_key)).json()
    # Then it gives up with an error that names the channel, the missing secret and where it should be
    assert result["ok"] is False and result["status"] == "gave_up"
    assert "ops-ding" in result["error"] and "webhook_url" in result["error"]
    assert secrets.parameter_name("default", channel["id"]) in result["error"]
    assert vendors.requests == []


@pytest.mark.parametrize(
    ("channel_type", "path", "answer", "status"),
    [
        ("dingtalk", "/robot/send", {"errcode": 300001, "errmsg": "token is not exist"}, "gave_up"),
        ("wecom", "/cgi-bin/webhook/send", {"errcode": 45009, "errmsg": "api freq out of limit"}, "sent"),
        ("wecom", "/cgi-bin/webhook/send", {"errcode": 93000, "errmsg": "invalid webhook url"}, "gave_up"),
    ],
)
def test_a_vendor_error_code_in_a_200_answer_is_not_counted_as_delivered(
    api, notify_env, admin_key, vendors, channel_type, path, answer, status
):
    from pagerless.outbox.jobs import enqueue

    url = f"{vendors.base_url}{path}?" + ("access_token=t1" if channel_type == "dingtalk" else "key=k1")
    channel = create_channel(api, admin_key, "robot", channel_type, {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given the robot answers HTTP 200 with an error code in its JSON
    vendors.fail(path, 200, times=1, body=answer)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    for message in notify_queue_messages():  # the throttled job's wait is over
        make_due(message)
    notify_env.poller.drain()
    # Then it is not taken as delivered: "too fast" goes back to the queue (the vendor wants a minute, more than
    # one invocation waits) and is sent on the next try; any other code gives up with the vendor's words.
    # (DingTalk's "too fast", a 10-minute throttle, has its own test below.)
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == status
    if status == "sent":
        assert entry["attempts"] == 2 and len(vendors.to(path)) == 2
    else:
        assert entry["attempts"] == 1 and str(answer["errcode"]) in entry["last_error"]


def test_a_throttled_dingtalk_robot_is_tried_again_after_its_10_minute_throttle(api, notify_env, admin_key, vendors):

    from pagerless.outbox.jobs import enqueue

    url = f"{vendors.base_url}/robot/send?access_token=t1"
    channel = create_channel(api, admin_key, "robot", "dingtalk", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given DingTalk throttles the robot (it sent more than 20 messages in a minute): "send too fast" for 10 minutes
    vendors.fail("/robot/send", 200, times=100, body={"errcode": 130101, "errmsg": "send too fast"})
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then it is tried once, and the job comes back only after the throttle ends (not 3 tries 3 minutes apart,
    # dead before the throttle ends)
    assert len(vendors.to("/robot/send")) == 1
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "failed" and entry["attempts"] == 1 and "130101" in entry["last_error"]
    [message] = notify_queue_messages()
    waits = comes_back_in(message)
    assert 600 < waits <= 900, waits  # past the 10 minutes, within SQS's 15-minute delay maximum
    # When the throttle has ended and the job comes back
    vendors.failures.clear()
    wait_over(entry["id"])
    make_due(message)
    notify_env.poller.drain()
    # Then the page is delivered, and nothing was dead-lettered
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "sent" and entry["attempts"] == 2
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_a_retry_after_longer_than_the_queues_redelivery_is_honoured_up_to_15_minutes(
    api, notify_env, admin_key, vendors
):

    from pagerless.outbox.jobs import enqueue

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Slack answers 429 with Retry-After: one hour
    vendors.fail("/slack/api/chat.postMessage", 429, times=1, headers={"Retry-After": "3600"})
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then the job waits SQS's longest delay, 15 minutes, not the queue's 3 and not the hour
    [message] = notify_queue_messages()
    waits = comes_back_in(message)
    assert 850 < waits <= 900, waits
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "failed" and entry["attempts"] == 1


def test_a_throttled_robot_does_not_hold_back_the_retry_of_the_jobs_other_channels(
    api, notify_env, admin_key, vendors, monkeypatch
):

    from pagerless import settings
    from pagerless.outbox.jobs import enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_BACKOFF_BASE_SECONDS", "60")  # a 5xx goes back to the queue at once
    settings.reset()
    robot = create_channel(
        api, admin_key, "robot", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1"}
    )
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, robot["id"], slack["id"])
    incident = save_incident()
    # Given DingTalk throttles the robot for 10 minutes, and Slack has a passing outage
    vendors.fail("/robot/send", 200, times=100, body={"errcode": 130101, "errmsg": "send too fast"})
    vendors.fail("/slack/api/chat.postMessage", 503, times=1)
    enqueue(_job(incident.id))
    notify_env.poller.drain()  # a failed job comes back at once here (the queue's pace: 3 minutes)
    # Then Slack's retry was not held back by the robot's 11 minutes: Slack has the message, and the
    # robot was tried once, not again inside its throttle
    by_type = {e["channel_type"]: e for e in _logs(api, admin_key, incident_id=incident.id)}
    assert by_type["slack"]["status"] == "sent" and len(vendors.to("/slack/api/chat.postMessage")) == 2
    assert by_type["dingtalk"]["status"] == "failed" and len(vendors.to("/robot/send")) == 1
    # And the job waits for the rest of the robot's wait
    [message] = notify_queue_messages()
    assert 600 < comes_back_in(message) <= 660
    # When the throttle is over and the job comes back
    vendors.failures.clear()
    wait_over(by_type["dingtalk"]["id"])
    make_due(message)
    notify_env.poller.drain()
    # Then the robot's page is delivered at its second attempt, Slack's is not sent twice, nothing is dead
    by_type = {e["channel_type"]: e for e in _logs(api, admin_key, incident_id=incident.id)}
    assert (by_type["dingtalk"]["status"], by_type["dingtalk"]["attempts"]) == ("sent", 2)
    assert len(vendors.to("/slack/api/chat.postMessage")) == 2  # the 503, then the message
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


@pytest.mark.parametrize(
    ("status_code", "status", "attempts"),
    [(413, "gave_up", 1), (400, "gave_up", 1), (503, "sent", 2)],
)
def test_a_teams_connector_error_in_a_200_answer_is_not_counted_as_delivered(
    api, notify_env, admin_key, vendors, status_code, status, attempts
):
    from pagerless.outbox.jobs import enqueue
    from tests.fakes.chat_vendors import TEAMS_CONNECTOR_ERROR

    url = f"{vendors.base_url}/webhookb2/0e1c@72f9/IncomingWebhook/5d1a/9c2b"
    channel = create_channel(api, admin_key, "teams", "teams", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given a Teams incoming webhook (a connector) answers HTTP 200 with Teams' error as text, as connectors do
    vendors.fail("/webhookb2/", 200, times=1, body=TEAMS_CONNECTOR_ERROR.format(status=status_code).encode())
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then it is not taken as delivered: unavailable is tried again and sent ("1"), anything else gives up with
    # Teams' words (throttled, 429, has its own test below)
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == (status, attempts)
    assert len(vendors.to("/webhookb2/")) == attempts
    if status == "gave_up":
        assert f"HTTP error {status_code}" in entry["last_error"]


def test_a_teams_throttle_without_retry_after_waits_past_the_throttle_window_through_the_queue(
    api, notify_env, admin_key, vendors
):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.deliveries import DeliveryRecord
    from tests.fakes.chat_vendors import TEAMS_CONNECTOR_ERROR

    url = f"{vendors.base_url}/webhookb2/0e1c@72f9/IncomingWebhook/5d1a/9c2b"
    channel = create_channel(api, admin_key, "teams", "teams", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Teams throttles the connector (HTTP 200, "returned HTTP error 429", no Retry-After) for a long while
    throttled = TEAMS_CONNECTOR_ERROR.format(status=429).encode()
    vendors.fail("/webhookb2/", 200, times=4, body=throttled)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then it is tried once (no retry a second later, inside the throttle), and the job comes back minutes later
    assert len(vendors.to("/webhookb2/")) == 1
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("failed", 1)
    [message] = notify_queue_messages()
    assert 290 < comes_back_in(message) <= 300
    # When it comes back, throttled again each time, as time passes (the delivery failing for 5, 10, 20 minutes)
    for minutes, wait in ((5, 300), (10, 600), (20, 900)):
        created = utcnow() - timedelta(minutes=minutes)
        DeliveryRecord(entry["id"]).update(
            actions=[DeliveryRecord.created_at.set(created), DeliveryRecord.retry_at.set(utcnow())]
        )
        make_due(message)
        notify_env.poller.drain()
        # Then each wait is as long as the throttle has lasted (at most SQS's 15 minutes), and it is not dead
        # after 3 attempts: throttled attempts do not use up the delivery's retries
        [message] = notify_queue_messages()
        assert wait - 10 < comes_back_in(message) <= wait + 5, minutes
        [entry] = _logs(api, admin_key, incident_id=incident.id)
        assert entry["status"] == "failed"
    # When the throttle is over and the job comes back
    DeliveryRecord(entry["id"]).update(actions=[DeliveryRecord.retry_at.set(utcnow())])
    make_due(message)
    notify_env.poller.drain()
    # Then the message is delivered, at its fifth attempt, and nothing was dead-lettered
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("sent", 5)
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_a_throttle_that_lasts_past_half_an_hour_is_dead_lettered(api, notify_env, admin_key, vendors):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.deliveries import DeliveryRecord

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Slack answers 429 without Retry-After, and the delivery has been throttled for 31 minutes
    vendors.fail("/slack/api/chat.postMessage", 429, times=2)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    DeliveryRecord(entry["id"]).update(
        actions=[
            DeliveryRecord.created_at.set(utcnow() - timedelta(minutes=31)),
            DeliveryRecord.retry_at.set(utcnow()),
        ]
    )
    [message] = notify_queue_messages()
    make_due(message)
    notify_env.poller.drain()
    # Then it is dead and in the dead-letter store, to be replayed
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "dead"
    assert len(api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]) == 1


def test_a_5xx_after_throttles_is_retried_as_a_first_failure_not_dead_at_once(api, notify_env, admin_key, vendors):

    from pagerless.outbox.jobs import enqueue

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Slack throttles the delivery three times (429 without Retry-After: minutes through the queue), and
    # then has a passing 500
    vendors.fail("/slack/api/chat.postMessage", 429, times=3)
    vendors.fail("/slack/api/chat.postMessage", 500, times=1)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    for _ in range(3):  # the throttle's wait is over each time, and the job comes back
        [entry] = _logs(api, admin_key, incident_id=incident.id)
        assert entry["status"] == "failed"
        wait_over(entry["id"])
        [message] = notify_queue_messages()
        make_due(message)
        notify_env.poller.drain()
    # Then the 500 is the delivery's first failure that counts (throttles do not use up its 3 attempts): it is
    # retried and sent, not dead at once
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("sent", 5)
    assert len(vendors.to("/slack/api/chat.postMessage")) == 5
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


@pytest.mark.parametrize(
    ("channel_type", "path", "status_code", "answer", "headers"),
    [
        ("dingtalk", "/robot/send", 200, {"errcode": 130101, "errmsg": "send too fast"}, {}),
        ("wecom", "/cgi-bin/webhook/send", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, {}),
        ("slack", "/slack/api/chat.postMessage", 429, None, {"Retry-After": "60"}),
    ],
)
def test_throttles_that_say_how_long_to_wait_do_not_use_up_the_deliverys_attempts(
    api, notify_env, admin_key, vendors, channel_type, path, status_code, answer, headers
):

    from pagerless.outbox.jobs import enqueue

    if channel_type == "slack":
        channel = slack_channel(api, admin_key, vendors)
    else:
        url = f"{vendors.base_url}{path}?" + ("access_token=t1" if channel_type == "dingtalk" else "key=k1")
        channel = create_channel(api, admin_key, "robot", channel_type, {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given the vendor throttles the robot three times in a row, each time saying how long to wait
    vendors.fail(path, status_code, times=3, body=answer, headers=headers)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    for _ in range(3):  # the vendor's wait is over each time, and the job comes back
        if not (messages := notify_queue_messages()):
            break
        [entry] = _logs(api, admin_key, incident_id=incident.id)
        wait_over(entry["id"])
        for message in messages:
            make_due(message)
        notify_env.poller.drain()
    # Then the throttles did not use up its 3 attempts: it is delivered at the fourth, and nothing is dead
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("sent", 4)
    assert len(vendors.to(path)) == 4
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


@pytest.mark.parametrize("retry_after", ["60", None])
def test_slacks_ratelimited_error_is_a_throttle_not_a_failure_toward_the_attempts(
    api, notify_env, admin_key, vendors, retry_after
):
    from pagerless.outbox.jobs import enqueue

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Slack answers HTTP 200 {"ok": false, "error": "ratelimited"} four times in a row (more than the
    # delivery's 3 attempts), with a Retry-After or without one
    vendors.slack_ratelimited("chat.postMessage", times=4, retry_after=retry_after)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    for _ in range(4):  # the wait is over each time, and the job comes back
        [entry] = _logs(api, admin_key, incident_id=incident.id)
        # Then each time it waits (failed, to be tried again), never dead
        assert entry["status"] in ("failed", "sent"), entry
        if not (messages := notify_queue_messages()):
            break
        wait_over(entry["id"])
        for message in messages:
            make_due(message)
        notify_env.poller.drain()
    # Then it is delivered at the fifth call, and nothing is dead-lettered
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("sent", 5)
    assert len(vendors.to("/slack/api/chat.postMessage")) == 5
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_a_vendor_answering_retry_after_0_forever_is_bounded_in_an_invocation_and_in_time(
    api, notify_env, admin_key, vendors
):
    import time
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.deliveries import DeliveryRecord

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Slack answers 429 with "Retry-After: 0" to every request
    vendors.fail("/slack/api/chat.postMessage", 429, times=10_000, headers={"Retry-After": "0"})
    enqueue(_job(incident.id))
    # When the job is run once
    started = time.monotonic()
    notify_env.poller.drain(max_rounds=1)
    # Then the invocation does not loop: it tries 3 times, waiting at least a second between throttles, and the
    # job goes back to the queue with the delivery failed, not dead (a throttle does not use up its attempts)
    assert len(vendors.to("/slack/api/chat.postMessage")) == 3
    assert time.monotonic() - started >= 2
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "failed"
    [message] = notify_queue_messages()
    # When the delivery has been throttled for more than half an hour and the job comes back
    DeliveryRecord(entry["id"]).update(actions=[DeliveryRecord.created_at.set(utcnow() - timedelta(minutes=31))])
    make_due(message)
    notify_env.poller.drain(max_rounds=1)
    # Then it is dead after one more try, and in the dead-letter store, to be replayed
    assert len(vendors.to("/slack/api/chat.postMessage")) == 4
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "dead"
    [dead] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    # When a person replays it (the vendor still throttles): the replay is a new run of tries
    replay = api.post(f"/api/webhooks/dead-letter/{dead['id']}/replay", headers=auth(admin_key))
    assert replay.status_code == 200, replay.text
    notify_env.poller.drain(max_rounds=1)
    # Then it is throttled and waits again, not dead at its first throttle for the half hour before the replay
    assert len(vendors.to("/slack/api/chat.postMessage")) == 7
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "failed"


def test_a_webhook_retried_keeps_its_message_id_so_the_receiver_can_drop_the_repeat(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import enqueue

    hook = create_channel(api, admin_key, "hook", "webhook", {"url": f"{vendors.base_url}/hooks/in"})
    route_all(api, admin_key, hook["id"])
    incident = save_incident()
    # When the receiver fails once (it may have taken the message before it failed) and the retry lands
    vendors.fail("/hooks/in", 503, times=1)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then both requests carry one webhook-id (Standard Webhooks: the id a receiver dedupes by), the one logged
    first, retry = vendors.to("/hooks/in")
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["provider_message_id"] == retry.headers["webhook-id"]
    # And the incident's next occurrence is another message, with an id of its own
    enqueue(_job(incident.id, generation="g2"))
    notify_env.poller.drain()
    assert vendors.to("/hooks/in")[-1].headers["webhook-id"] != first.headers["webhook-id"]


@pytest.mark.parametrize("status", [429, 400])
def test_larks_frequency_limit_is_a_throttle_not_a_failure_toward_the_attempts(
    api, notify_env, admin_key, vendors, status
):
    from pagerless.outbox.jobs import enqueue

    channel = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Lark answers "request trigger frequency limit" four times in a row (more than the delivery's 3 attempts):
    # an HTTP 429, or the HTTP 400 of older OpenAPIs, each with the seconds to wait in x-ogw-ratelimit-reset
    path = "/open-apis/im/v1/messages"
    limit = {"code": 99991400, "msg": "request trigger frequency limit"}
    vendors.fail(path, status, times=4, headers={"x-ogw-ratelimit-reset": "52"}, body=limit)
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    for _ in range(4):  # the wait is over each time, and the job comes back
        [entry] = _logs(api, admin_key, incident_id=incident.id)
        # Then each time it waits (failed, to be tried again), never dead, and the job comes back after the wait Lark
        # named, not the 5 minutes of a throttle that names none
        assert entry["status"] in ("failed", "sent"), entry
        if not (messages := notify_queue_messages()):
            break
        assert "99991400" in entry["last_error"]
        assert all(comes_back_in(message) < 290 for message in messages), [comes_back_in(m) for m in messages]
        wait_over(entry["id"])
        for message in messages:
            make_due(message)
        notify_env.poller.drain()
    # Then it is delivered at the fifth call, and nothing is dead-lettered
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("sent", 5)
    assert len(vendors.to(path)) == 5
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_a_lark_ip_allow_list_refusal_gives_up_at_once_and_says_what_to_change(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    channel = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given the Lark app has an IP allow-list without this sender on it
    path = "/open-apis/im/v1/messages"
    vendors.fail(path, 400, times=5, body={"code": 99991401, "msg": "request ip not in whitelist"})
    enqueue(_job(incident.id))
    notify_env.poller.drain()
    # Then no retry is spent on a setting: it gives up after one call, saying where the allow-list is
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("gave_up", 1)
    assert "99991401" in entry["last_error"] and "IP allow-list" in entry["last_error"]
    assert len(vendors.to(path)) == 1
