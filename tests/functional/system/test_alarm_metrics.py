"""What the operators' alarms watch is written when it happens (README, "Alarms"): each dead letter stored is one
`DeadLettered` count in CloudWatch (template.yaml's DeadLettersAlarm), whether an alert payload the intake could not
read or a notification job NotifyQueue gave up on."""

import json

import pytest

from tests.conftest import auth, cloudwatch_metrics

pytestmark = pytest.mark.functional


def _dead_letters(api, key) -> list[dict]:
    return api.get("/api/webhooks/dead-letter", headers=auth(key)).json()["items"]


def test_an_alert_payload_dead_lettered_is_one_dead_lettered_count(api, runtime, admin_key):
    # Given a payload the intake cannot read (JSON published as Alertmanager's)
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message=json.dumps({"title": "disk full", "service": "db"}),
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    # When the consumer gives up on it
    with cloudwatch_metrics() as written:
        runtime.poller.drain()
    # Then it is a dead letter, and CloudWatch gets one DeadLettered count in the Pagerless namespace
    assert len(_dead_letters(api, admin_key)) == 1
    [emitted] = written.named("DeadLettered")
    [directive] = emitted["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Pagerless" and directive["Metrics"] == [{"Name": "DeadLettered", "Unit": "Count"}]
    assert emitted["DeadLettered"] == [1.0]


def test_a_notification_job_the_queue_gave_up_on_is_one_dead_lettered_count(api, runtime, admin_key):
    from pagerless import settings

    # Given a notification job on NotifyDLQ (the queue's redrive gave up on it)
    job = {"kind": "notify", "workspace": "default", "event": "incident.opened", "incident_id": "INC-20261207-0001"}
    runtime.client("sqs").send_message(
        QueueUrl=settings.workflow().notify_dlq_url, MessageBody=json.dumps(job, separators=(",", ":"))
    )
    # When DeadLetterFunction moves it into the dead-letter store
    with cloudwatch_metrics() as written:
        runtime.poller.drain()
    # Then it is a dead letter, and CloudWatch gets one DeadLettered count
    [letter] = _dead_letters(api, admin_key)
    assert letter["kind"] == "notify"
    [emitted] = written.named("DeadLettered")
    assert emitted["DeadLettered"] == [1.0]
    # And `pagerless dev`'s /metrics counts it
    assert 'pagerless_notifications_dead_lettered_total{what="job"}' in api.get("/metrics").text
