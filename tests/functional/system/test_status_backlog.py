"""GET /api/status tells an SRE when Pagerless falls behind: queue backlogs, messages in a DLQ and
dead letters waiting for replay make it `degraded`; an unreachable dependency makes it `unhealthy`."""

import json

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _status(api, key, query: str = "") -> dict:
    response = api.get(f"/api/status{query}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_an_idle_system_is_ok(api, admin_key):
    # When the status of a freshly provisioned system is read
    status = _status(api, admin_key)
    # Then it is ok, with nothing waiting anywhere
    assert status["status"] == "ok" and status["reasons"] == [] and status["healthy"] is True
    assert status["queues"]["alerts"]["messages"] == 0 and status["queues"]["alerts"]["in_flight"] == 0
    assert status["queues"]["alerts_dlq"]["messages"] == 0
    assert (status["dead_letters"]["to_replay"], status["dead_letters"]["refused"]) == (0, 0)


def test_a_backed_up_alert_queue_is_degraded_but_still_healthy(api, runtime, admin_key, monkeypatch):
    from pagerless import settings

    # Given a backlog threshold of 2 and 3 alerts waiting on the AlertQueue (no consumer ran)
    monkeypatch.setenv("PAGERLESS_STATUS_QUEUE_BACKLOG_THRESHOLD", "2")
    settings.reset()
    sqs = runtime.client("sqs")
    for n in range(3):
        sqs.send_message(QueueUrl=settings.workflow().alert_queue_url, MessageBody=json.dumps({"n": n}))
    # When the status is read
    status = _status(api, admin_key)
    # Then it shows the backlog and says degraded, while every dependency is still reachable
    assert status["queues"]["alerts"]["messages"] == 3
    assert status["queues"]["alerts"]["state"] == "3 messages"
    assert status["healthy"] is True
    assert status["status"] == "degraded"
    assert any("alerts" in reason and "3" in reason for reason in status["reasons"]), status["reasons"]


def test_any_message_in_a_dlq_is_degraded(api, runtime, admin_key):
    from pagerless import settings

    # Given one message given up on the NotifyDLQ (the mover has not run)
    runtime.client("sqs").send_message(QueueUrl=settings.workflow().notify_dlq_url, MessageBody="{}")
    # When the status is read
    status = _status(api, admin_key)
    # Then the DLQ's count is shown and the status is degraded because of it
    assert status["queues"]["notify_dlq"]["messages"] == 1
    assert status["status"] == "degraded" and status["healthy"] is True
    assert any("notify_dlq" in reason for reason in status["reasons"]), status["reasons"]


def test_dead_letters_waiting_for_replay_are_degraded_until_replayed(api, runtime, admin_key):
    # Given a payload the intake could not read: dead-lettered at once
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message=json.dumps({"title": "disk full", "service": "db"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    # When the status is read
    status = _status(api, admin_key)
    # Then one dead letter waits for replay and the status is degraded
    assert status["dead_letters"]["to_replay"] == 1
    assert status["status"] == "degraded"
    assert any("dead letter" in reason for reason in status["reasons"]), status["reasons"]
    # When it is replayed
    [dead] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    replay = api.post(
        f"/api/webhooks/dead-letter/{dead['id']}/replay", json={"source": "generic"}, headers=auth(admin_key)
    )
    assert replay.status_code == 200, replay.text
    # Then nothing waits any more
    status = _status(api, admin_key)
    assert status["dead_letters"]["to_replay"] == 0
    assert status["status"] == "ok", status["reasons"]


def test_an_alert_refused_for_its_keys_scope_is_counted_apart_not_as_a_backlog(api, admin_key):
    from tests.functional.intake.conftest import fixture_bytes, post_alert

    # Given a key for cart's alerts that sent a batch with checkout's alert too: checkout's is refused, kept
    key = api.post("/api/keys", json={"role": "ingest", "services": ["cart"]}, headers=auth(admin_key)).json()["key"]
    mixed = fixture_bytes("alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json")
    assert post_alert(api, key, "alertmanager?sync=true", mixed).status_code == 200
    # When the status is read
    status = _status(api, admin_key)
    # Then the refused alert is counted as refused, not as a dead letter waiting for replay
    assert (status["dead_letters"]["to_replay"], status["dead_letters"]["refused"]) == (0, 1)
    assert status["dead_letters"]["refused_list"] == "/api/webhooks/dead-letter?kind=refused"
    # And it is no backlog: the status stays ok and no reason calls it one
    assert status["status"] == "ok", status["reasons"]
    assert not any("dead letter" in reason for reason in status["reasons"]), status["reasons"]
    # When an admin replays it, it is counted no more
    listed = api.get("/api/webhooks/dead-letter", headers=auth(admin_key), params={"kind": "refused"}).json()
    [refused] = listed["items"]
    replay = api.post(f"/api/webhooks/dead-letter/{refused['id']}/replay", headers=auth(admin_key))
    assert replay.status_code == 200, replay.text
    after = _status(api, admin_key)["dead_letters"]
    assert (after["to_replay"], after["refused"]) == (0, 0)


def test_an_unreachable_dependency_is_unhealthy(api, runtime, admin_key):
    # Given the deploys table is gone
    runtime.client("dynamodb").delete_table(TableName=runtime.provisioned.tables["DeploysTable"])
    # When the status is read
    status = _status(api, admin_key)
    # Then it is unhealthy (and healthy is false, as before), saying which dependency
    assert status["healthy"] is False
    assert status["status"] == "unhealthy"
    assert any("deploys" in reason for reason in status["reasons"]), status["reasons"]


def test_a_notification_job_waiting_out_a_throttle_is_shown_as_delayed(api, runtime, admin_key):
    from pagerless import settings

    # Given a notification job sent back to wait out a vendor's throttle (a delayed message)
    sqs = runtime.client("sqs")
    sqs.send_message(QueueUrl=settings.workflow().notify_queue_url, MessageBody="{}", DelaySeconds=600)
    # When the status is read
    notify = _status(api, admin_key)["queues"]["notify"]
    # Then the queue shows it as delayed: neither waiting to be taken nor in flight
    assert notify["delayed"] == 1, notify
    assert notify["messages"] == 0 and notify["in_flight"] == 0


def test_the_probes_run_side_by_side_so_a_slow_dependency_does_not_hold_up_the_others(api, admin_key):
    import threading

    from pagerless.system.probes import _clients

    # Given DynamoDB answers a DescribeTable only once another probe is under way at the same
    # time (or after 5 s, when none ever is)
    lock, company = threading.Lock(), threading.Event()
    state = {"in_flight": 0, "peak": 0}

    def meet_another(**_):
        with lock:
            state["in_flight"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
            if state["in_flight"] >= 2:
                company.set()
        if not company.wait(timeout=5):
            company.set()  # alone: the rest need not wait too
        with lock:
            state["in_flight"] -= 1

    events = _clients()[0].meta.events
    events.register("before-call.dynamodb.DescribeTable", meet_another, unique_id="status-test-meet")
    try:
        # When the status is read, probed now
        status = _status(api, admin_key, "?live=true")
    finally:
        events.unregister("before-call.dynamodb.DescribeTable", unique_id="status-test-meet")
    # Then the table probes overlapped, and every one still answered
    assert state["peak"] >= 2
    assert status["store"] and all(table["reachable"] for table in status["store"].values())


def test_refused_alerts_filling_the_count_limit_do_not_hide_the_backlog(api, runtime, admin_key, monkeypatch):
    import time

    from pagerless import settings
    from tests.functional.intake.conftest import fixture_bytes, post_alert

    monkeypatch.setenv("PAGERLESS_STATUS_DEAD_LETTER_COUNT_LIMIT", "2")
    settings.reset()
    # Given two alerts refused for their key's scope (two cart keys sent checkout's alert), kept first
    mixed = fixture_bytes("alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json")
    for name in ("cart a", "cart b"):
        body = {"role": "ingest", "name": name, "services": ["cart"]}
        key = api.post("/api/keys", json=body, headers=auth(admin_key)).json()["key"]
        assert post_alert(api, key, "alertmanager?sync=true", mixed).status_code == 200
    time.sleep(1.1)  # dead letters are ordered by the second they came: the refused ones come first
    # And then a payload the intake could not read, dead-lettered at once
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message=json.dumps({"title": "disk full", "service": "db"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    # When the status is read with a count limit of two
    status = _status(api, admin_key)
    # Then the backlog is still counted, and the status is degraded for it
    dead_letters = status["dead_letters"]
    assert (dead_letters["to_replay"], dead_letters["refused"], dead_letters["at_least"]) == (1, 2, True)
    assert status["status"] == "degraded"
    assert any("dead letter" in reason for reason in status["reasons"]), status["reasons"]
    settings.reset()
