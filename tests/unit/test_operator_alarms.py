"""The alarms that tell the team running Pagerless it is failing (README, "Alarms").

A deployed stack had none: a dead-lettered alert, a DLQ the dead-letter function could not drain (its messages
deleted by SQS after 14 days), an alert queue falling behind or functions failing showed only in `/api/status`,
which nobody reads at 3 a.m. These tests keep template.yaml's alarms watching every queue, every DLQ, every metric
the code writes and the functions that work off queues and schedules, all sent to the operators' topic."""

import re
from pathlib import Path

import pytest

from pagerless.local.template import Template
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.unit

SHARED = Path(__file__).resolve().parents[2] / "shared" / "pagerless"
# the functions fed by queues and schedules: a failure of theirs is seen by nobody waiting on an answer
BACKGROUND_FUNCTIONS = {
    "AlertConsumerFunction",
    "NotifyFunction",
    "DeadLetterFunction",
    "WorkflowFunction",
    "ScheduledFunction",
}


@pytest.fixture(scope="module")
def resources() -> dict:
    return Template(TEMPLATE, stack_name="pagerless-dev").raw["Resources"]


def _alarms(resources: dict) -> dict:
    return {lid: r["Properties"] for lid, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _watched_queues(alarm: dict) -> set[str]:
    return {
        d["Value"]["Fn::GetAtt"][0]
        for d in alarm.get("Dimensions", [])
        if d["Name"] == "QueueName" and alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    }


def _written_metrics() -> set[str]:
    """The CloudWatch metrics the code writes (`pagerless.observability.count`)."""
    found = set()
    for path in SHARED.rglob("*.py"):
        found |= set(re.findall(r"\bcount\(\"([A-Za-z]+)\"\)", path.read_text()))
    return found


def test_every_alarm_goes_to_the_operators_topic_and_the_topic_is_an_output(resources):
    # Given the template's alarms
    alarms = _alarms(resources)
    assert len(alarms) >= 8
    # Then each sends its ALARM to the operators' topic (not to AlertsTopic: a failing Pagerless pages nobody)
    for lid, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "OperatorAlarmsTopic"}], lid
        assert alarm["TreatMissingData"] == "notBreaching", lid  # a quiet queue or metric is no alarm
        assert alarm["AlarmDescription"].strip(), lid
    assert resources["OperatorAlarmsTopic"]["Type"] == "AWS::SNS::Topic"
    outputs = Template(TEMPLATE, stack_name="pagerless-dev").raw["Outputs"]
    assert outputs["OperatorAlarmsTopicArn"]["Value"] == {"Ref": "OperatorAlarmsTopic"}
    # And the optional e-mail subscribes only when given
    subscription = resources["OperatorAlarmsTopic"]["Properties"]["Subscription"]["Fn::If"]
    assert subscription[0] == "HasAlarmEmail" and subscription[2] == {"Ref": "AWS::NoValue"}


def test_every_queue_and_every_dlq_has_an_age_alarm(resources):
    # Given every SQS queue of the stack (the work queues and the DLQs their redrive names)
    queues = {lid for lid, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    dlqs = {
        r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r.get("Properties", {})
    }
    assert dlqs == {"AlertDLQ", "NotifyDLQ"} and dlqs < queues
    # Then an alarm watches the age of each one's oldest message
    watched: dict[str, float] = {}
    for alarm in _alarms(resources).values():
        for queue in _watched_queues(alarm):
            watched[queue] = alarm["Threshold"]
    assert set(watched) == queues
    # And a DLQ's is far below SQS's retention of it (its messages are deleted after that)
    for dlq in dlqs:
        assert watched[dlq] < resources[dlq]["Properties"]["MessageRetentionPeriod"] / 100


def test_every_metric_the_code_writes_has_an_alarm_and_every_alarm_watches_one(resources):
    # Given the metrics the code writes to the Pagerless namespace
    written = _written_metrics()
    assert {"DeadLettered", "NotificationNotQueued"} <= written
    # Then the alarms on that namespace watch exactly those
    watched = {a["MetricName"] for a in _alarms(resources).values() if a.get("Namespace") == "Pagerless"}
    assert watched == written


def test_errors_and_throttles_of_every_background_function_are_alarmed(resources):
    # Given the alarms on Lambda's metrics
    per_metric: dict[str, set[str]] = {}
    for alarm in _alarms(resources).values():
        for query in alarm.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == "AWS/Lambda":
                [dimension] = metric["Dimensions"]
                per_metric.setdefault(metric["MetricName"], set()).add(dimension["Value"]["Ref"])
    # Then each background function's errors and throttles are watched, and each is a function of the stack
    assert per_metric == {"Errors": BACKGROUND_FUNCTIONS, "Throttles": BACKGROUND_FUNCTIONS}
    assert all(resources[fn]["Type"] == "AWS::Serverless::Function" for fn in BACKGROUND_FUNCTIONS)


def test_every_table_but_the_idempotency_keys_survives_a_deleted_stack_and_can_be_restored(resources):
    # Given the stack's tables: incidents, their timelines, people and schedules (system), users, keys, audit...
    tables = {lid: r for lid, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert {"SystemTable", "UsersTable", "IncidentsTable", "PeopleTable"} < set(tables)
    # Then each but the idempotency keys' is kept when the stack is deleted or an update would replace it, and has
    # point-in-time recovery (35 days back)
    for lid, table in tables.items():
        if lid == "IdempotencyTable":
            assert "DeletionPolicy" not in table  # an hour's memory of Idempotency-Key: nothing to keep
            continue
        assert (table.get("DeletionPolicy"), table.get("UpdateReplacePolicy")) == ("Retain", "Retain"), lid
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, lid
        # a retained table keeps its generated name: a stack deployed again makes new ones, never fails on the old
        assert "TableName" not in table["Properties"], lid
