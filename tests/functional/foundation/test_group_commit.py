"""Audit records written at the same time are committed together; a lone one is one PutItem."""

import threading
import time
from collections import Counter

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def requests_made(runtime):
    """DynamoDB requests by operation, counted from the shared client's botocore events."""
    from pagerless.store.audit import AuditRecord
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events(AuditRecord)
    counted: Counter = Counter()
    lock = threading.Lock()

    def count(model, **_):
        with lock:
            counted[model.name] += 1

    events.register("before-call.dynamodb", count)
    yield counted, events
    events.unregister("before-call.dynamodb", count)


def _write(n: int, workspace: str = "ws-group") -> None:
    from pagerless.store.audit import AuditRepository

    AuditRepository().write(
        workspace, actor="key-1", role="ingest", action="POST /api/webhooks/{source}", status=202, details={"n": n}
    )


def _stored(workspace: str = "ws-group") -> list[int]:
    from pagerless.store.audit import AuditRepository

    items, _ = AuditRepository().query(workspace, limit=500)
    return sorted(item.details["n"] for item in items)


def _writers(count: int, start: int, outcomes: dict) -> list[threading.Thread]:
    def write(n: int) -> None:
        try:
            _write(n)
            outcomes[n] = "stored"
        except Exception as exc:  # what the caller of write() would see
            outcomes[n] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(start, start + count)]
    for thread in threads:
        thread.start()
    return threads


def _held_first_commit(events):
    """Holds the next PutItem until released, so that writers gather behind it."""
    entered, release = threading.Event(), threading.Event()

    def hold(**_):
        if not entered.is_set():
            entered.set()
            release.wait(30)

    events.register("before-call.dynamodb.PutItem", hold)
    return entered, release, lambda: events.unregister("before-call.dynamodb.PutItem", hold)


def _wait_pending(count: int) -> None:
    from pagerless.store import audit

    deadline = time.monotonic() + 30
    while len(audit._COMMITS._pending) < count:
        assert time.monotonic() < deadline, "writers did not gather"
        time.sleep(0.01)


def test_a_lone_record_is_one_put_item(requests_made):
    counted, _ = requests_made

    _write(1)

    assert counted == Counter({"PutItem": 1})
    assert _stored() == [1]


def test_records_written_during_a_commit_go_in_batches_of_at_most_25(requests_made):
    counted, events = requests_made
    outcomes: dict = {}
    entered, release, stop_holding = _held_first_commit(events)
    # Given one record being committed (its PutItem held)
    first = _writers(1, 0, outcomes)
    assert entered.wait(30)
    stop_holding()
    # When 59 more are written meanwhile
    rest = _writers(59, 1, outcomes)
    _wait_pending(59)
    release.set()
    for thread in first + rest:
        thread.join(30)
    # Then every writer returned with its record stored: one PutItem, then 25 + 25 + 9
    assert outcomes == {n: "stored" for n in range(60)}
    assert _stored() == list(range(60))
    assert counted["PutItem"] == 1 and counted["BatchWriteItem"] == 3


def test_a_failed_batch_fails_each_of_its_writers_and_no_other(requests_made):
    counted, events = requests_made
    outcomes: dict = {}
    entered, release, stop_holding = _held_first_commit(events)

    def refuse(**_):  # DynamoDB refuses the batch
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "BatchWriteItem"
        )

    first = _writers(1, 0, outcomes)
    assert entered.wait(30)
    stop_holding()
    rest = _writers(5, 1, outcomes)
    _wait_pending(5)
    events.register("before-call.dynamodb.BatchWriteItem", refuse)
    try:
        release.set()
        for thread in first + rest:
            thread.join(30)
    finally:
        events.unregister("before-call.dynamodb.BatchWriteItem", refuse)
    # Then the held record was stored, and each writer of the refused batch got the error
    assert outcomes[0] == "stored"
    assert all("slow down" in str(outcomes[n]) for n in range(1, 6))
    # And the next writer commits on its own
    _write(6)
    assert _stored() == [0, 6]
