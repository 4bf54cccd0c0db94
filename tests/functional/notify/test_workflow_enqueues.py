"""Workflow steps put their notification jobs on NotifyQueue; a queue failure never fails the step."""

import json

import pytest

from tests.conftest import cloudwatch_metrics
from tests.functional.notify.conftest import save_incident

pytestmark = pytest.mark.functional


def _queued(runtime) -> list[dict]:
    import boto3

    from pagerless import settings

    sqs = boto3.client("sqs")
    out = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", [])
        if not messages:
            return out
        out += [json.loads(m["Body"]) for m in messages]


def test_incident_opened_resolve_and_escalate_queue_their_jobs(runtime):
    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.workflow import outcomes

    incident = save_incident(execution_arn="arn:aws:states:us-east-1:1:execution:x:INC-20261202-0042")
    record_workflow_started(incident.id)
    outcomes.escalate(incident.id, "default", "the fix did not work")
    jobs = _queued(runtime)
    assert [(j["event"], j["incident_id"]) for j in jobs] == [
        ("incident.opened", incident.id),
        ("incident.escalated", incident.id),
    ]
    assert jobs[1]["data"]["reason"] == "the fix did not work"
    incident2 = save_incident("INC-20261202-0044", status="verifying")
    outcomes.resolve(incident2.id, "default")
    [resolved] = _queued(runtime)
    assert resolved["event"] == "incident.resolved" and resolved["kind"] == "notify"


def test_a_queue_failure_does_not_fail_the_step_and_is_on_the_timeline(runtime, monkeypatch):
    from pagerless import settings
    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.store.timeline import TimelineRecord

    monkeypatch.setenv("PAGERLESS_NOTIFY_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    settings.reset()
    incident = save_incident()
    assert record_workflow_started(incident.id)["recorded"] is True
    types = [t.type for t in TimelineRecord.query(incident.id)]
    assert "workflow_started" in types and "notification_not_queued" in types


def test_a_notification_not_queued_reaches_cloudwatch_and_metrics_at_once(runtime, api, monkeypatch):
    # Given NotifyQueue unreachable (the README: the failure is "counted (`NotificationNotQueued`)")
    from pagerless import settings
    from pagerless.incidents.workflow_events import record_workflow_started

    monkeypatch.setenv("PAGERLESS_NOTIFY_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    settings.reset()
    incident = save_incident()
    before = _not_queued(api)
    # When a workflow step's notice cannot be queued
    with cloudwatch_metrics() as written:
        assert record_workflow_started(incident.id)["recorded"] is True
    # Then its CloudWatch metric is written now, as one EMF line of the Pagerless namespace (a CloudWatch alarm
    # can watch it), not left in a buffer nothing flushes
    counted = written.named("NotificationNotQueued")
    assert len(counted) == 1, counted
    [directive] = counted[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Pagerless"
    assert directive["Metrics"] == [{"Name": "NotificationNotQueued", "Unit": "Count"}]
    assert counted[0]["NotificationNotQueued"] == [1.0]
    # And /metrics (`pagerless dev`'s whole system) counts it too
    assert _not_queued(api) == before + 1


def _not_queued(api) -> float:
    """The /metrics counter of notices not queued (per process: earlier tests' count too)."""
    name = "pagerless_notifications_not_queued_total "
    return sum(float(line[len(name) :]) for line in api.get("/metrics").text.splitlines() if line.startswith(name))
