"""The AlertQueue consumer reads a batch whole: an alert delivered several times in it (a storm
repeats the same alerts) is counted in one write, exactly as many times as it was delivered, and
a redelivered batch counts nothing twice (issue #12). On the embedded AWS from template.yaml."""

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from tests.functional.intake.conftest import wait_for

pytestmark = pytest.mark.functional


def _alert(fingerprint: str, status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(
        source="alertmanager",
        fingerprint=fingerprint,
        status=status,
        severity="critical",
        title=f"KubePodCrashLooping: {fingerprint}",
        service=f"svc-{fingerprint}",  # one incident per alert: no correlation between them
        namespace="shop",
        labels={"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": fingerprint},
    )


def _record(alert, sent_ms: int, message_id: str, receipt_handle: str | None = None) -> dict:
    """An AlertQueue record as Lambda's event carries it: one queued alert."""
    from pagerless.intake.queue import AlertEnvelope

    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": AlertEnvelope(alert.source, "default", alert.model_dump(mode="json"), "").to_json(),
        "attributes": {"SentTimestamp": str(sent_ms), "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
    }


def _batch(records: list[dict]) -> dict[str, list[dict] | Exception]:
    """Every record through one AlertBatch, in order, as Powertools' BatchProcessor calls it."""
    from pagerless.intake.consumer import AlertBatch

    batch, outcomes = AlertBatch(records), {}
    for record in records:
        try:
            outcomes[record["messageId"]] = batch.handle(record["messageId"])
        except Exception as exc:
            outcomes[record["messageId"]] = exc
    return outcomes


def _counted(fingerprint: str) -> tuple[int, str, int]:
    """(incidents of the alert, its incident's status, alerts counted on it) as the API reads them."""
    from pagerless.incidents.service import IncidentService
    from pagerless.store.incidents import IncidentRecord

    ids = [i.id for i in IncidentRecord.scan() if i.fingerprint == fingerprint]
    incident = IncidentService().get("default", ids[-1])
    return len(ids), incident.status, incident.alert_count


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def test_an_alerts_repeats_in_a_batch_are_one_write_and_a_redelivered_batch_counts_nothing(runtime, meter):
    sent = _now_ms()
    # Given two alerts that each opened an incident
    _batch([_record(_alert("a"), sent, "open-a"), _record(_alert("b"), sent, "open-b")])
    # When one batch delivers each of them five more times, interleaved (a storm's repeats)
    records = [_record(_alert("ab"[n % 2]), sent + 1000 + n, f"m{n}") for n in range(10)]
    with meter.measure("batch"):
        outcomes = _batch(records)
    # Then every record succeeds, and each alert's five deliveries are one conditional write
    assert all(isinstance(o, list) and o[0]["action"] == "deduplicated" for o in outcomes.values())
    assert meter.costs["batch"].writes == 2 and meter.costs["batch"].wcu <= 4
    assert _counted("a")[2] == 6 and _counted("b")[2] == 6
    # When SQS delivers the whole batch again (a crash before its delete)
    with meter.measure("redelivered"):
        again = _batch(records)
    # Then nothing is written and nothing is counted twice
    assert all(isinstance(o, list) for o in again.values())
    assert meter.costs["redelivered"].writes == 0
    assert _counted("a")[2] == 6 and _counted("b")[2] == 6


def test_a_new_alert_repeated_in_a_batch_opens_one_incident_and_counts_every_delivery(runtime):
    sent = _now_ms()
    records = [_record(_alert("new"), sent + n, f"m{n}") for n in range(4)]
    # Given the consumer applied the first delivery and then died (its batch was not deleted)
    _batch(records[:1])
    assert _counted("new")[0::2] == (1, 1)
    # When SQS delivers the whole batch again, then delivers it once more
    assert all(isinstance(o, list) for o in _batch(records).values())
    assert all(isinstance(o, list) for o in _batch(records).values())
    # Then one incident counts the four deliveries, each once
    assert _counted("new")[0::2] == (1, 4)
    # And a batch of a never-seen alert's deliveries opens its incident once, counting them all
    fresh = _batch([_record(_alert("fresh"), sent + n, f"f{n}") for n in range(3)])
    assert [o[0]["incident_id"] for o in fresh.values()] == [fresh["f0"][0]["incident_id"]] * 3
    assert _counted("fresh")[0::2] == (1, 3)


def test_a_resolve_between_repeats_keeps_the_alerts_own_order(runtime):
    """The same deliveries, once as one batch and once record by record (under other fingerprints),
    end in the same state: a resolve in the middle of an alert's firings splits them."""
    from pagerless.intake.consumer import handle_alert_record

    sent = _now_ms()
    story = ["firing", "firing", "resolved", "firing", "firing", "firing", "resolved", "firing"]

    def records(fingerprint: str) -> list[dict]:
        return [
            _record(_alert(fingerprint, status), sent + n * 10, f"{fingerprint}{n}") for n, status in enumerate(story)
        ]

    _batch(records("batched") + records("other"))
    for record in records("single"):
        handle_alert_record(record["body"], {}, record["attributes"])
    # Then the batched alert's incident went the way of the one processed record by record
    assert _counted("batched")[0::2] == _counted("single")[0::2] == (1, 6)
    assert _counted("other")[0::2] == (1, 6)
    _workflows_settled(runtime)  # the reopened incidents' workflows move their status on
    assert _counted("batched")[1] == _counted("single")[1] != "resolved"


def _workflows_settled(runtime) -> None:
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    wait_for(
        lambda: all(run["status"] != "RUNNING" for run in sfn.list_executions(stateMachineArn=machine)["executions"])
    )


def test_a_failed_run_fails_every_record_holding_one_of_its_deliveries(runtime):
    from pagerless.store.alerts import AlertRecord
    from pagerless.store.session import dynamodb_events

    sent = _now_ms()
    _batch([_record(_alert("a"), sent, "open-a"), _record(_alert("b"), sent, "open-b")])
    records = [_record(_alert("a"), sent + 1000, "m0"), _record(_alert("b"), sent + 1001, "m1")]
    records.append(_record(_alert("a"), sent + 1002, "m2"))  # a later delivery of "a"
    events = dynamodb_events(AlertRecord)

    def throttle(params, **_):  # DynamoDB refuses the write that counts "a"
        if params.get("Key", {}).get("pk", {}).get("S", "").endswith("#a"):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem"
            )

    events.register("before-parameter-build.dynamodb.UpdateItem", throttle)
    try:
        outcomes = _batch(records)
    finally:
        events.unregister("before-parameter-build.dynamodb.UpdateItem", throttle)
    # Then both records that hold a delivery of "a" fail (SQS redelivers them), the other succeeds
    assert isinstance(outcomes["m0"], Exception) and isinstance(outcomes["m2"], Exception)
    assert isinstance(outcomes["m1"], list)
    assert _counted("a")[2] == 1 and _counted("b")[2] == 2
    # When SQS redelivers the two failed records, each delivery is counted once
    _batch([records[0], records[2]])
    assert _counted("a")[2] == 3


def test_records_a_batch_has_no_time_left_for_go_back_to_the_queue_at_once(runtime):
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.intake.consumer import AlertBatch

    sqs, queue = runtime.client("sqs"), runtime.provisioned.queues["AlertQueue"]
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    [message] = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=60)["Messages"]
    record = _record(_alert("late"), _now_ms(), "late", message["ReceiptHandle"])
    # When a batch reaches the record with less than the margin left before the function's timeout
    batch = AlertBatch([record], remaining_ms=lambda: 4_000)
    with pytest.raises(ServiceUnavailableError):
        batch.handle("late")
    # Then the record is not processed, and its message is visible again now, not in 60 s
    assert _counted_nothing("late")
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["MessageId"] == message["MessageId"]
    # And with time left it is processed
    assert AlertBatch([record], remaining_ms=lambda: 25_000).handle("late")[0]["action"] == "created"
    # And a record whose deliveries an earlier record of the batch applied is not given back
    later = [_record(_alert("late"), _now_ms() + n, f"again{n}", message["ReceiptHandle"]) for n in range(2)]
    remaining = iter([25_000, 4_000])
    batch = AlertBatch(later, remaining_ms=lambda: next(remaining))
    assert batch.handle("again0") == batch.handle("again1")
    assert _counted("late")[0::2] == (1, 3)


def _counted_nothing(fingerprint: str) -> bool:
    from pagerless.store.incidents import IncidentRecord

    return not [i for i in IncidentRecord.scan() if i.fingerprint == fingerprint]


def test_the_poller_gathers_a_batch_over_ten_from_the_alert_queue(runtime):
    from pagerless.intake.queue import AlertEnvelope

    sqs, queue = runtime.client("sqs"), runtime.provisioned.queues["AlertQueue"]
    [source] = [s for s in runtime.poller.sources if s.function_logical_id == "AlertConsumerFunction"]
    assert source.batch_size == 100 and source.batching_window_seconds == 1  # template.yaml
    # Given 25 queued deliveries of one alert
    body = AlertEnvelope("alertmanager", "default", _alert("gathered").model_dump(mode="json"), "")
    for n in range(25):
        sqs.send_message(
            QueueUrl=queue,
            MessageBody=body.to_json().replace('"received_at":""', f'"received_at":"2026-12-03T00:00:{n:02d}+00:00"'),
        )
    # When the poller polls once
    delivered = runtime.poller.poll_once(source)
    # Then one invocation took all 25 (three receives), counted each once, and deleted them
    assert delivered == 25
    assert _counted("gathered")[0::2] == (1, 25)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_a_run_over_a_hundred_deliveries_is_split_where_dynamodb_allows(runtime, meter):
    """The write's condition names each delivery of its run, and DynamoDB's IN takes at most 100."""
    sent = _now_ms()
    _batch([_record(_alert("many"), sent, "open")])
    with meter.measure("run"):
        outcomes = _batch([_record(_alert("many"), sent + 1 + n, f"m{n}") for n in range(105)])
    assert all(isinstance(o, list) for o in outcomes.values())
    assert meter.costs["run"].writes == 2
    assert _counted("many")[0::2] == (1, 106)
