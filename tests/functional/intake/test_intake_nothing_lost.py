"""Nothing is lost: store or workflow failures queue the payload (202); the consumer retries;
what cannot be processed lands in the dead-letter store, which the API lists and replays."""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import incident_count, post_alert, workflows_done

pytestmark = pytest.mark.functional

ALERT = {"title": "orders queue backing up", "service": "orders", "namespace": "shop", "severity": "high"}


@pytest.fixture
def incidents_table_down(runtime):
    """Deletes the incidents table (as an outage would make it unavailable); `restore()` brings it back."""
    from pagerless.local.provision import Provisioned, _tables

    dynamodb = runtime.client("dynamodb")
    dynamodb.delete_table(TableName=runtime.provisioned.tables["IncidentsTable"])

    class Outage:
        @staticmethod
        def restore():
            _tables(runtime.template, dynamodb, Provisioned())

    return Outage


class _Refusing:
    """A Step Functions client that refuses every StartExecution (the service is down)."""

    @staticmethod
    def start_execution(**kwargs):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "StartExecution")


def _dead_letters(api, key):
    return api.get("/api/webhooks/dead-letter", headers=auth(key)).json()["items"]


def test_store_outage_queues_the_payload_and_the_consumer_processes_it_later(
    api, runtime, ingest_key, admin_key, incidents_table_down
):
    # Given the incidents table is unavailable
    # When an alert is posted
    response = post_alert(api, ingest_key, "generic", ALERT)
    # Then it is accepted for later
    assert response.status_code == 202 and response.json() == {"queued": True}
    # When the store is back and the queue is drained
    incidents_table_down.restore()
    runtime.poller.drain()
    # Then the alert opened its incident, exactly once, and nothing is dead-lettered
    items = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert [(i["title"], i["alert_count"]) for i in items] == [(ALERT["title"], 1)]
    assert _dead_letters(api, admin_key) == []
    # And the next delivery is a duplicate of it
    again = post_alert(api, ingest_key, "generic", ALERT).json()["alerts"][0]
    assert again["deduplicated"] is True and again["incident_id"] == items[0]["id"]


def test_workflow_start_failure_queues_and_the_retry_starts_it(api, runtime, ingest_key, admin_key, monkeypatch):
    from pagerless import step_functions

    # Given Step Functions refuses to start executions
    real_client = step_functions.client()

    monkeypatch.setattr(step_functions, "client", lambda: _Refusing())
    # When an alert is posted
    response = post_alert(api, ingest_key, "generic", ALERT)
    assert response.status_code == 202
    # And Step Functions is back when the consumer runs
    monkeypatch.setattr(step_functions, "client", lambda: real_client)
    runtime.poller.drain()
    # Then the one incident has its workflow (which records its ARN on the incident in its first step)
    workflows_done(runtime, 1)
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert incident["execution_arn"] and incident["execution_arn"].endswith(f":{incident['id']}")


def test_reopen_whose_workflow_start_failed_is_restarted_by_the_retry(api, runtime, ingest_key, admin_key, monkeypatch):
    from pagerless import step_functions

    real_client = step_functions.client()
    # Given an alert whose incident ran its workflow and then resolved
    alert = {**ALERT, "fingerprint": "orders-backlog"}
    first = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]
    workflows_done(runtime, 1)
    post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"})
    # When it fires again while Step Functions refuses to start executions
    monkeypatch.setattr(step_functions, "client", lambda: _Refusing())
    response = post_alert(api, ingest_key, "generic", alert)
    # Then the delivery is accepted for later (the incident was reopened, its restart not started)
    assert response.status_code == 202
    incident = api.get(f"/api/incidents/{first['incident_id']}", headers=auth(admin_key)).json()
    assert incident["status"] == "open" and incident["execution_arn"].endswith(f":{first['incident_id']}-r2")
    # When Step Functions is back and the consumer retries the delivery
    monkeypatch.setattr(step_functions, "client", lambda: real_client)
    runtime.poller.drain()
    # Then the restart the reopen named ran, and the reopened incident was worked on again
    workflows_done(runtime, 2)
    incident = api.get(f"/api/incidents/{first['incident_id']}", headers=auth(admin_key)).json()
    assert incident["execution_arn"].endswith(f":{first['incident_id']}-r2") and incident["status"] == "diagnosed"
    # And the queued copy was a replay of the request: no second reopen, nothing counted twice
    timeline = api.get(f"/api/incidents/{first['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    assert [e["type"] for e in timeline].count("incident_reopened") == 1
    assert incident["alert_count"] == 2


def test_queued_delivery_whose_workflow_start_failed_starts_it_when_sqs_redelivers_it(
    api, runtime, ingest_key, admin_key, monkeypatch
):
    from pagerless import settings, step_functions

    # Given alerts acknowledged at once and processed by the consumer (the default)
    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    real_client = step_functions.client()
    alert = {**ALERT, "fingerprint": "orders-backlog"}
    [consumer] = [s for s in runtime.poller.sources if s.function_logical_id == "AlertConsumerFunction"]

    def deliver_while_step_functions_is_down(payload) -> dict:
        """The consumer's first attempt fails on StartExecution; SQS redelivers the same message."""
        monkeypatch.setattr(step_functions, "client", lambda: _Refusing())
        assert post_alert(api, ingest_key, "generic", payload).status_code == 202
        assert runtime.poller.poll_once(consumer) == 1
        monkeypatch.setattr(step_functions, "client", lambda: real_client)
        [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
        return incident

    # When a new alert's first attempt opens its incident but cannot start its workflow
    opened = deliver_while_step_functions_is_down(alert)
    assert opened["status"] == "open"
    # Then the redelivery of the same message starts it
    runtime.poller.drain()
    workflows_done(runtime, 1)
    incident = api.get(f"/api/incidents/{opened['id']}", headers=auth(admin_key)).json()
    assert incident["status"] == "diagnosed" and incident["execution_arn"].endswith(f":{opened['id']}")
    # When it resolves, fires again, and the reopen cannot start the restart
    post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"})
    runtime.poller.drain()
    reopened = deliver_while_step_functions_is_down(alert)
    assert reopened["status"] == "open" and reopened["execution_arn"].endswith(f":{opened['id']}-r2")
    # Then the redelivery starts the restart the reopen named
    runtime.poller.drain()
    workflows_done(runtime, 2)
    incident = api.get(f"/api/incidents/{opened['id']}", headers=auth(admin_key)).json()
    assert incident["status"] == "diagnosed" and incident["execution_arn"].endswith(f":{opened['id']}-r2")
    # And each redelivery counted nothing twice: two firings sent, two counted
    assert incident["alert_count"] == 2


def test_payload_failing_every_retry_is_dead_lettered_and_replays(
    api, runtime, ingest_key, operator_key, incidents_table_down
):
    # Given the incidents table stays down through every retry
    assert post_alert(api, ingest_key, "generic", ALERT).status_code == 202
    runtime.poller.drain()
    # Then the queue gave up and the dead-letter API shows the payload, its source and the error
    [dead] = _dead_letters(api, operator_key)
    assert dead["status"] == "dead" and dead["source"] == "generic" and dead["kind"] == "ingest"
    assert json.loads(dead["payload"]) == ALERT
    assert "ResourceNotFoundException" in dead["error"] and dead["attempts"] >= 4
    sqs = runtime.client("sqs")
    for queue in ("AlertQueue", "AlertDLQ"):
        attrs = sqs.get_queue_attributes(QueueUrl=runtime.provisioned.queues[queue], AttributeNames=["All"])[
            "Attributes"
        ]
        assert attrs["ApproximateNumberOfMessages"] == "0"
    # When the store is back and an operator replays it
    incidents_table_down.restore()
    replay = api.post(f"/api/webhooks/dead-letter/{dead['id']}/replay", headers=auth(operator_key))
    # Then the alert opens its incident and the dead letter is marked replayed with the result
    assert replay.status_code == 200, replay.text
    assert replay.json()["alerts"][0]["action"] == "created"
    [after] = _dead_letters(api, operator_key)
    assert after["status"] == "replayed" and after["replay_result"]["alerts"][0]["incident_id"]
    assert incident_count() == 1
    # And a second replay is refused
    assert api.post(f"/api/webhooks/dead-letter/{dead['id']}/replay", headers=auth(operator_key)).status_code == 409


def test_replaying_a_firing_whose_alert_resolved_since_opens_no_incident(
    api, runtime, ingest_key, operator_key, incidents_table_down
):
    # Given a firing dead-lettered in a storm (the incidents table down through every retry)
    alert = {**ALERT, "fingerprint": "late-replay"}
    assert post_alert(api, ingest_key, "generic", alert).status_code == 202
    runtime.poller.drain()
    [dead] = _dead_letters(api, operator_key)
    # And the alert resolved at its source once the store was back (an alert Pagerless never saw)
    incidents_table_down.restore()
    assert post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"}).status_code == 200
    # When an operator replays the dead letter the next morning
    replay = api.post(f"/api/webhooks/dead-letter/{dead['id']}/replay", headers=auth(operator_key))
    # Then it opens no incident: that firing is older than the alert's resolve (it would never resolve)
    assert replay.status_code == 200, replay.text
    assert replay.json()["alerts"][0]["action"] == "ignored"
    assert incident_count() == 0
    # And the alert's next firing opens its incident as usual
    assert post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]["action"] == "created"
    assert incident_count() == 1


def test_the_kept_resolve_of_an_alert_never_seen_expires_after_a_late_firing_could_still_arrive(
    api, runtime, ingest_key
):
    import time

    from pagerless import settings
    from pagerless.store.alerts import alert_key

    dynamodb = runtime.client("dynamodb")
    table = runtime.provisioned.tables["AlertsTable"]
    # Given the alerts table expires items by the attribute the kept resolves carry
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl.get("AttributeName")) == ("ENABLED", "expires_at")
    # When a resolve comes for an alert Pagerless never saw (its firing lost or dead-lettered)
    alert = {**ALERT, "fingerprint": "never-seen"}
    sent = int(time.time())
    assert post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"}).status_code == 200
    # Then the resolved item it keeps expires once no firing from before it can arrive any more: after
    # the AlertDLQ's retention (a message is kept 14 days from its first enqueue) and then the
    # dead-letter store's (a dead letter can be replayed until it expires, and until DynamoDB deletes it:
    # within days, so two more are kept)
    key = {"pk": {"S": alert_key("default", "generic", "never-seen")}}
    item = dynamodb.get_item(TableName=table, Key=key)["Item"]
    dlq = runtime.template.resolve(runtime.template.raw["Resources"]["AlertDLQ"]["Properties"])
    horizon = int(dlq["MessageRetentionPeriod"]) + settings.intake().dead_letter_retention_days * 86400
    assert item["state"]["S"] == "resolved"
    assert sent + horizon + 2 * 86400 <= int(item["expires_at"]["N"]) <= time.time() + horizon + 2 * 86400 + 60
    # When the alert fires later (a new firing): it is an alert like any other again, kept until it is over
    assert post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]["action"] == "created"
    item = dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert item["state"]["S"] == "firing" and "expires_at" not in item


def test_unreadable_sns_payload_goes_straight_to_dead_letters_and_replays_as_another_source(api, runtime, operator_key):
    sns = runtime.client("sns")
    topic = runtime.provisioned.topics["AlertsTopic"]
    # Given a JSON alert published with the wrong source attribute
    sns.publish(
        TopicArn=topic,
        Message=json.dumps({"title": "disk full", "service": "db"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    # When the consumer runs
    runtime.poller.drain()
    # Then it is dead-lettered at once (no retries) with the normalizer's reason
    [dead] = _dead_letters(api, operator_key)
    assert dead["status"] == "dead" and dead["kind"] == "sns" and dead["attempts"] == 0
    assert "alertmanager" in dead["error"]
    # When it is replayed as a generic alert
    replay = api.post(
        f"/api/webhooks/dead-letter/{dead['id']}/replay", json={"source": "generic"}, headers=auth(operator_key)
    )
    # Then it opens an incident
    assert replay.status_code == 200, replay.text
    assert replay.json()["alerts"][0]["action"] == "created" and incident_count() == 1


def test_replays_of_one_dead_letter_at_the_same_time_ingest_it_once(api, runtime, operator_key):
    from concurrent.futures import ThreadPoolExecutor

    from pagerless.domain.errors import ConflictError
    from pagerless.intake.bootstrap import dead_letter_service

    # Given a dead-lettered alert (published with the wrong source)
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message=json.dumps({"title": "disk full", "service": "db", "fingerprint": "double-click"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    [dead] = _dead_letters(api, operator_key)

    # When operators replay it several times at once (a double click, two people)
    def replay(_):
        try:
            return dead_letter_service().replay("default", dead["id"], source="generic")
        except ConflictError:
            return None

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(replay, range(6)))

    # Then one replay ingested it and the others were refused: the alert counted once
    assert len([r for r in results if r is not None]) == 1
    [incident] = api.get("/api/incidents", headers=auth(operator_key)).json()["items"]
    assert incident["alert_count"] == 1


def test_dead_letter_api_needs_operator_and_pages(api, runtime, ingest_key, operator_key):
    from pagerless.intake.consumer import handle_alert_record

    # Given three unreadable payloads
    for n in range(3):
        handle_alert_record(
            json.dumps(
                {
                    "kind": "ingest",
                    "source": "alertmanager",
                    "workspace": "default",
                    "body": f'{{"n": {n}}}',
                    "received_at": f"2026-01-01T00:00:0{n}+00:00",
                }
            ),
            {},
            {"ApproximateReceiveCount": "1"},
        )
    # Then an ingest key cannot read them, an operator pages through them newest first
    assert api.get("/api/webhooks/dead-letter", headers=auth(ingest_key)).status_code == 403
    first = api.get("/api/webhooks/dead-letter", params={"limit": 2}, headers=auth(operator_key)).json()
    rest = api.get(
        "/api/webhooks/dead-letter", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth(operator_key)
    ).json()
    payloads = [json.loads(i["payload"])["n"] for i in first["items"] + rest["items"]]
    assert payloads == [2, 1, 0]
    assert api.post("/api/webhooks/dead-letter/dl-missing/replay", headers=auth(operator_key)).status_code == 404


def test_dead_letters_are_filtered_by_status_kind_and_source(api, runtime, operator_key):
    from pagerless.intake.consumer import handle_alert_record

    # Given three unreadable payloads of a storm, one of which an operator replayed already
    for n in range(3):
        handle_alert_record(
            json.dumps(
                {
                    "kind": "ingest",
                    "source": "alertmanager",
                    "workspace": "default",
                    "body": f'{{"title": "disk {n}", "service": "db"}}',
                    "received_at": f"2026-01-01T00:00:0{n}+00:00",
                }
            ),
            {},
            {"ApproximateReceiveCount": "1"},
        )
    first = _dead_letters(api, operator_key)[-1]
    replayed = api.post(
        f"/api/webhooks/dead-letter/{first['id']}/replay", json={"source": "generic"}, headers=auth(operator_key)
    )
    assert replayed.status_code == 200, replayed.text

    def listed(**params):
        answer = api.get("/api/webhooks/dead-letter", params=params, headers=auth(operator_key))
        assert answer.status_code == 200, answer.text
        return [json.loads(i["payload"])["title"] for i in answer.json()["items"]]

    # Then the list shows only what still waits for a replay, or only what was replayed
    assert listed(status="dead") == ["disk 2", "disk 1"]
    assert listed(status="replayed") == ["disk 0"]
    # And it is filtered by kind and source, and pages within a filter
    assert listed(kind="ingest", source="alertmanager") == ["disk 2", "disk 1", "disk 0"]
    assert listed(kind="notify") == [] and listed(source="grafana") == []
    page = api.get(
        "/api/webhooks/dead-letter", params={"status": "dead", "limit": 1}, headers=auth(operator_key)
    ).json()
    rest = api.get(
        "/api/webhooks/dead-letter",
        params={"status": "dead", "limit": 1, "cursor": page["next_cursor"]},
        headers=auth(operator_key),
    ).json()
    assert [json.loads(i["payload"])["title"] for i in page["items"] + rest["items"]] == ["disk 2", "disk 1"]
    # And a status that does not exist is refused, not answered with an empty list
    refused = api.get("/api/webhooks/dead-letter", params={"status": "deadd"}, headers=auth(operator_key))
    assert refused.status_code == 422


def test_a_queued_alert_replayed_as_another_source_is_refused_not_replayed_as_its_own(api, runtime, operator_key):
    from pagerless.intake.consumer import handle_dead_record
    from pagerless.intake.queue import AlertEnvelope

    # Given one normalized alert the queue gave up on (queued alone: its payload was too large)
    alert = {"source": "alertmanager", "fingerprint": "big-1", "title": "disk full", "service": "db"}
    envelope = AlertEnvelope("alertmanager", "default", alert, "2026-01-01T00:00:00+00:00")
    handle_dead_record(envelope.to_json(), {}, {})
    [dead] = _dead_letters(api, operator_key)
    assert dead["kind"] == "alert"
    # When an operator asks to replay it as another source
    replay = api.post(
        f"/api/webhooks/dead-letter/{dead['id']}/replay", json={"source": "grafana"}, headers=auth(operator_key)
    )
    # Then it is refused (it was normalized already: it cannot be read as another source), nothing ingested
    assert replay.status_code == 400, replay.text
    assert incident_count() == 0
    assert _dead_letters(api, operator_key)[0]["status"] == "dead"
    # And it still replays as its own source
    again = api.post(f"/api/webhooks/dead-letter/{dead['id']}/replay", headers=auth(operator_key))
    assert again.status_code == 200, again.text
    assert again.json()["source"] == "alertmanager" and incident_count() == 1


def test_a_dead_letter_is_read_by_its_id(api, runtime, ingest_key, operator_key):
    from pagerless.intake.consumer import handle_dead_record
    from pagerless.intake.queue import AlertEnvelope

    # Given a dead letter, whose id the "alert payload dead-lettered" log line names
    envelope = AlertEnvelope("generic", "default", {"source": "generic", "fingerprint": "x1", "title": "disk"}, "")
    handle_dead_record(envelope.to_json(), {}, {"SentTimestamp": "1767225600000"})
    [listed] = _dead_letters(api, operator_key)
    # When an operator reads it by that id
    one = api.get(f"/api/webhooks/dead-letter/{listed['id']}", headers=auth(operator_key))
    # Then it is the listed record; an unknown id is a 404, and an ingest key cannot read it
    assert one.status_code == 200, one.text
    assert one.json() == listed
    assert api.get("/api/webhooks/dead-letter/dl-missing", headers=auth(operator_key)).status_code == 404
    assert api.get(f"/api/webhooks/dead-letter/{listed['id']}", headers=auth(ingest_key)).status_code == 403


def test_failure_after_the_incident_is_stored_never_opens_a_second_one(
    api, runtime, ingest_key, admin_key, monkeypatch
):
    from pagerless.incidents import lifecycle

    real_record = lifecycle.record_timeline
    failures = []

    def flaky_record(incident, event_type, *args, **kwargs):
        if event_type == "incident_created" and not failures:
            failures.append(event_type)
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")
        return real_record(incident, event_type, *args, **kwargs)

    # Given the timeline write fails once, right after the incident was stored
    monkeypatch.setattr(lifecycle, "record_timeline", flaky_record)
    # When the alert is posted and the queue drained
    assert post_alert(api, ingest_key, "generic", ALERT).status_code == 202
    runtime.poller.drain()
    # Then there is one incident, and the queued retry (a replay of the request) counted nothing twice
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert incident["alert_count"] == 1 and incident_count() == 1
