"""The local runtime runs template.yaml for real: Step Functions, SQS redrive, schedules."""

import json
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, auth

pytestmark = pytest.mark.functional


def _wait_for(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_selfcheck_state_machine_runs_lambda_waits_for_token_and_succeeds(runtime):
    from pagerless.workflow import selfcheck

    sfn = runtime.client("stepfunctions")
    # Given the self-check state machine from template.yaml
    check = selfcheck.start(timeout_seconds=60)
    # When the Lambda task has run in-process and the wait task has stored its token
    _wait_for(lambda: selfcheck.has_token(check["check_id"]))
    assert sfn.describe_execution(executionArn=check["execution_arn"])["status"] == "RUNNING"
    selfcheck.confirm(check["check_id"])
    # Then the execution finishes successfully
    status = _wait_for(
        lambda: (s := sfn.describe_execution(executionArn=check["execution_arn"])["status"]) != "RUNNING" and s
    )
    assert status == "SUCCEEDED"
    history = sfn.get_execution_history(executionArn=check["execution_arn"])["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered == ["RecordStart", "AwaitConfirmation", "Passed"]


def test_selfcheck_times_out_when_nobody_returns_the_token(runtime):
    from pagerless.workflow import selfcheck

    sfn = runtime.client("stepfunctions")
    # Given a self-check whose wait may last one second
    check = selfcheck.start(timeout_seconds=1)
    # When nobody confirms it
    status = _wait_for(
        lambda: (s := sfn.describe_execution(executionArn=check["execution_arn"])["status"]) != "RUNNING" and s
    )
    # Then the wait times out into the Fail state
    assert status == "FAILED"


def test_sqs_message_failing_twice_lands_in_dlq_while_good_ones_are_processed(monkeypatch):
    from moto import mock_aws

    from pagerless.local.runtime import MOCK_CONFIG, LocalRuntime, RuntimeOptions

    with mock_aws(config=MOCK_CONFIG):
        # Given a queue with maxReceiveCount 2 consumed with ReportBatchItemFailures
        rt = LocalRuntime(
            FIXTURES / "templates" / "sqs_consumer.yaml", RuntimeOptions(mode="inprocess", retry_delay_seconds=0)
        ).start(background=False)
        sqs = rt.client("sqs")
        queue, dlq = rt.provisioned.queues["WorkQueue"], rt.provisioned.queues["WorkDLQ"]
        processed = rt.lambdas.module("FlakyFunction").PROCESSED
        processed.clear()
        for body in ("ok-1", "fail", "ok-2"):
            sqs.send_message(QueueUrl=queue, MessageBody=body)
        # When the poller delivers until the queue is empty
        rt.poller.drain()
        # Then the good messages were processed once and the failing one is in the DLQ
        assert sorted(processed) == ["ok-1", "ok-2"]
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in dead] == ["fail"]
        assert sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages") is None
        rt.stop()


def test_schedule_event_fires_the_scheduled_function(runtime, api, admin_key):
    # Given the template's Heartbeat schedule
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-Heartbeat"]
    assert target.expression == "rate(5 minutes)"
    # When the local scheduler fires it
    result = runtime.scheduler.fire(target)
    # Then the scheduled job ran and /api/status shows the scheduler's heartbeat
    assert result["job"] == "heartbeat"
    status = api.get("/api/status", headers=auth(admin_key)).json()
    assert "scheduler" in status["heartbeats"]
    assert status["state_machines"]["selfcheck"]["reachable"] is True


def test_provisioning_follows_the_template(runtime):
    from pagerless.local.template import load_yaml

    template = load_yaml(Path(runtime.template.path))
    dynamodb = runtime.client("dynamodb")
    # Every table exists with the template's keys, indexes and TTL
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        name = runtime.provisioned.tables[logical_id]
        described = dynamodb.describe_table(TableName=name)["Table"]
        assert described["KeySchema"] == resource["Properties"]["KeySchema"]
        expected_indexes = {i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])}
        assert {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])} == expected_indexes
        ttl = resource["Properties"].get("TimeToLiveSpecification")
        if ttl:
            described_ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            assert described_ttl["AttributeName"] == ttl["AttributeName"]
    # Every queue with a redrive policy points at its DLQ
    sqs = runtime.client("sqs")
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in resource.get("Properties", {}):
            attrs = sqs.get_queue_attributes(
                QueueUrl=runtime.provisioned.queues[logical_id], AttributeNames=["RedrivePolicy"]
            )["Attributes"]
            assert "deadLetterTargetArn" in json.loads(attrs["RedrivePolicy"])
    # Every state machine exists
    names = {m["name"] for m in runtime.client("stepfunctions").list_state_machines()["stateMachines"]}
    assert {runtime.template.physical_name(lid) for lid in runtime.provisioned.state_machines} <= names


def test_serve_builds_the_same_api_over_an_existing_endpoint(runtime, admin_key):
    from fastapi.testclient import TestClient

    from pagerless.local.serve_cli import build_app
    from tests.conftest import TEMPLATE

    # Given the resources already exist (provisioned by someone else) and env points at them
    with TestClient(build_app(TEMPLATE)) as client:
        # Then the gateway serves every function's routes against them
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/status", headers=auth(admin_key)).status_code == 200


def test_provisioning_kept_state_again_adds_the_indexes_the_template_gained(runtime):
    from pagerless.local.provision import provision

    dynamodb = runtime.client("dynamodb")
    name = runtime.provisioned.tables["TimelineTable"]
    # Given the timeline table as an older template made it, without the reopens index
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "reopens"}}])
    assert not dynamodb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes")
    # When the runtime provisions its kept state again (pagerless dev restarted)
    provision(runtime.template, session=runtime.session())
    provision(runtime.template, session=runtime.session())
    # Then the table has the index the template declares now (once), and the reports can query it
    indexes = dynamodb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert [i["IndexName"] for i in indexes] == ["reopens"]
    dynamodb.query(
        TableName=name,
        IndexName="reopens",
        KeyConditionExpression="reopened_in = :w",
        ExpressionAttributeValues={":w": {"S": "default"}},
    )
