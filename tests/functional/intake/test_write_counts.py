"""DynamoDB write counts of intake (issue #12), on the embedded AWS provisioned from template.yaml.

Counts, not times: the meter bills each write from the items moto holds before and after it
(see pagerless.local.write_meter); bench/write_cost.py prints the same figures.
"""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import workflows_done

pytestmark = pytest.mark.functional


def _alert(status: str = "firing", service: str | None = None):
    from pagerless.domain.alerts import Alert

    return Alert(
        source="alertmanager",
        fingerprint="writes-1",
        status=status,
        severity="critical",
        title="KubePodCrashLooping: shop/checkout-7d9f8b6c5-x2x4q",
        service=service,
        namespace="shop",
        labels={
            "alertname": "KubePodCrashLooping",
            "namespace": "shop",
            "pod": "checkout-7d9f8b6c5-x2x4q",
            "severity": "critical",
            "job": "kube-state-metrics",
        },
        annotations={"summary": "Pod is crash looping."},
    )


def test_a_duplicate_is_one_write_of_at_most_two_units_and_counts_stay_exact(runtime, meter):
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.service import IntakeService

    now = [datetime.now(UTC)]
    intake = IntakeService(clock=lambda: now[0])
    # Given a new alert opened an incident
    with meter.measure("new"):
        incident_id = intake.process(_alert(), "default").incident_id
    # When 10 duplicates arrive within a minute
    with meter.measure("duplicates"):
        for _ in range(10):
            now[0] += timedelta(seconds=2)
            assert intake.process(_alert(), "default").action == "deduplicated"
    # Then each one is a single write to the alert item, no index write, at most 2 WCU
    duplicates = meter.costs["duplicates"]
    assert (duplicates.writes, duplicates.failed, duplicates.index_writes) == (10, 0, 0)
    assert set(duplicates.tables) == {runtime.provisioned.tables["AlertsTable"]}
    assert duplicates.wcu <= 2 * 10
    # And the API's count is exact although the incident item was not written
    assert IncidentService().get("default", incident_id).alert_count == 11
    # When a duplicate arrives after a minute, the pending ones fold into the incident: 3 writes
    # (the alert's count, then one transaction of the alert and the incident)
    now[0] += timedelta(seconds=61)
    with meter.measure("fold"):
        intake.process(_alert(), "default")
    assert meter.costs["fold"].writes == 3 and meter.costs["fold"].failed == 0
    stored = IncidentService().repository.get(incident_id)
    assert stored.alert_count == 12 and stored.last_seen == now[0]
    assert IncidentService().get("default", incident_id).alert_count == 12


def test_a_new_alert_is_at_most_five_writes_on_the_sync_path(runtime, meter):
    from pagerless.intake.service import IntakeService

    intake = IntakeService()
    tables = runtime.provisioned.tables
    # When a never-seen alert opens an incident
    with meter.measure("new"):
        result = intake.process(_alert(), "default")
    assert result.action == "created"
    new = meter.costs["new"]
    # Then it is 4 items written (docs/writes.md): one transaction of the alert item and the
    # incident, one timeline item, one stream event; the first try of the duplicate path is a
    # refused conditional write (a write unit, no item)
    assert (new.writes, new.failed) == (4, 1)
    writes = {name: cost["writes"] for name, cost in new.tables.items()}
    assert writes[tables["AlertsTable"]] == 1 and writes[tables["IncidentsTable"]] == 1
    assert writes[tables["TimelineTable"]] == 1 and writes[tables["EventsTable"]] == 1
    # No counter item: neither the incident number nor the stream's sequence number writes one
    assert tables["SystemTable"] not in writes
    # the alerts index holds keys only: the item enters it once
    assert writes[f"{tables['AlertsTable']}.by_incident"] == 1
    # When the first alert of a service opens its root incident
    with meter.measure("root"):
        root = intake.process(_alert(service="checkout").model_copy(update={"fingerprint": "writes-2"}), "default")
    assert root.action == "created"
    # Then the correlation slot is the fifth write
    assert meter.costs["root"].writes == 5
    assert {n: c["writes"] for n, c in meter.costs["root"].tables.items()}[tables["SystemTable"]] == 1


def test_a_correlated_child_is_at_most_five_writes_sync_and_queued(runtime, meter):
    from pagerless.intake.service import IntakeService
    from pagerless.store.incidents import IncidentRecord

    tables = runtime.provisioned.tables
    sent = int(datetime.now(UTC).timestamp() * 1000)
    # Given an open root incident of the service checkout
    root = IntakeService().process(_alert(service="checkout"), "default")
    assert root.action == "created"
    # (its workflow has finished: its stream events cannot race the child's for a sequence number)
    workflows_done(runtime, 1)
    for label, deliver in (
        (
            "sync child",
            lambda: (
                IntakeService()
                .process(_alert(service="checkout").model_copy(update={"fingerprint": "writes-c1"}), "default")
                .incident_id
            ),
        ),
        (
            "queued child",
            lambda: _queued(_alert(service="checkout").model_copy(update={"fingerprint": "writes-c2"}), sent)[0][
                "incident_id"
            ],
        ),
    ):
        # When another alert of the same service arrives (synchronously, or through the AlertQueue consumer)
        with meter.measure(label):
            child_id = deliver()
        child = IncidentRecord.get(child_id)
        assert child.parent_id == root.incident_id and "checkout" in child.correlation_reason
        cost = meter.costs[label]
        # Then it is 5 items written (docs/writes.md, round 3): one transaction of the alert item and
        # the incident, the parent's child count, one timeline item, one stream event
        assert (cost.writes, cost.failed) == (5, 1), label
        writes = {name: c["writes"] for name, c in cost.tables.items() if "." not in name}
        assert writes == {
            tables["AlertsTable"]: 1,
            tables["IncidentsTable"]: 2,
            tables["TimelineTable"]: 1,
            tables["EventsTable"]: 1,
        }, label
    assert IncidentRecord.get(root.incident_id).child_count == 2


def _queued(alert, sent_ms: int) -> list[dict]:
    from pagerless.intake.consumer import handle_alert_record
    from pagerless.intake.queue import AlertEnvelope

    body = AlertEnvelope(alert.source, "default", alert.model_dump(mode="json"), "").to_json()
    return handle_alert_record(body, None, {"SentTimestamp": str(sent_ms)})


def test_the_queue_consumer_opens_an_incident_in_four_writes_and_a_redelivery_writes_nothing(runtime, meter):
    from pagerless.incidents.service import IncidentService
    from pagerless.store.incidents import IncidentRecord

    tables = runtime.provisioned.tables
    sent = int(datetime.now(UTC).timestamp() * 1000)
    # When the AlertQueue consumer processes a new alert's record
    with meter.measure("queued new"):
        [result] = _queued(_alert(), sent)
    assert result["action"] == "created"
    # Then it costs what the sync path costs: no idempotency record is written
    assert meter.costs["queued new"].writes == 4
    assert tables.get("IdempotencyTable") not in meter.costs["queued new"].tables
    # When SQS delivers the same record again (a crash before its delete, a visibility timeout)
    with meter.measure("redelivered"):
        [again] = _queued(_alert(), sent)
    # Then nothing is written (one refused conditional write), no second incident, no count
    assert (meter.costs["redelivered"].writes, meter.costs["redelivered"].failed) == (0, 1)
    assert again["incident_id"] == result["incident_id"] and again["deduplicated"] is True
    assert len(list(IncidentRecord.scan())) == 1
    assert IncidentService().get("default", result["incident_id"]).alert_count == 1
    # When a new delivery of the same alert arrives, it is a duplicate: one write
    with meter.measure("queued duplicate"):
        _queued(_alert(), sent + 1000)
    assert meter.costs["queued duplicate"].writes == 1 and meter.costs["queued duplicate"].wcu <= 2
    assert IncidentService().get("default", result["incident_id"]).alert_count == 2
    # When the alert resolves, a redelivery of its old firing does not reopen the incident
    _queued(_alert("resolved"), sent + 2000)
    [stale] = _queued(_alert(), sent + 1000)
    assert stale["action"] == "ignored"
    assert IncidentService().get("default", result["incident_id"]).status == "resolved"
    assert len(list(IncidentRecord.scan())) == 1


def test_a_resolve_with_pending_duplicates_folds_them_before_the_incident_resolves(runtime, meter):
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.service import IntakeService

    intake = IntakeService()
    incident_id = intake.process(_alert(), "default").incident_id
    intake.process(_alert(), "default")
    intake.process(_alert(), "default")
    intake.process(_alert("resolved"), "default")
    incident = IncidentService().repository.get(incident_id)
    assert incident.status == "resolved" and incident.alert_count == 3 and incident.open_alerts == 0
    assert IncidentService().get("default", incident_id).alert_count == 3


def test_stream_events_published_at_once_get_unique_numbers_without_holes_and_no_counter(runtime, meter):
    import threading

    from pagerless.incidents.timeline import publish
    from pagerless.store.timeline import StreamEventRecord

    barrier = threading.Barrier(8)
    numbers, errors = [], []

    def send(n: int):
        StreamEventRecord.count("warm-up")
        barrier.wait()
        try:
            numbers.append(publish("seq-test", "incident_updated", incident_id=f"INC-{n}", data={"n": n}))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # Given 8 writers publishing to one workspace stream at the same moment
    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each event has its own number, 1..8 with no hole
    assert errors == [] and sorted(numbers) == list(range(1, 9))
    # And one more event is one item written, in the events table only (no counter item)
    with meter.measure("publish"):
        assert publish("seq-test", "incident_updated", incident_id="INC-9") == 9
    assert meter.costs["publish"].writes == 1
    assert set(meter.costs["publish"].tables) == {runtime.provisioned.tables["EventsTable"]}
    # And an SSE client resuming after 5 gets 6..9 in order
    chunks = _stream("seq-test", 5)
    ids = [line for c in chunks for line in c.splitlines() if line.startswith("id: ")]
    assert ids == ["id: 6", "id: 7", "id: 8", "id: 9"]
    # And a client ahead of the stream (its events expired and it started again) resumes from the start
    chunks = _stream("seq-test", 500)
    assert [line for c in chunks for line in c.splitlines() if line.startswith("id: ")][0] == "id: 1"


def _stream(workspace: str, last_event_id: int) -> list[str]:
    """One SSE connection of one poll (a clock that only the poll's sleep moves)."""
    from pagerless.incidents.stream import StreamOptions, stream_events

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    options = StreamOptions(max_seconds=1, poll_seconds=1)
    return list(stream_events(workspace, last_event_id, options, clock=lambda: now[0], sleep=sleep))


def test_a_reopen_costs_one_index_write_more_for_the_reports_and_nothing_else_does(runtime, meter):
    from pagerless.intake.service import IntakeService

    reopens = f"{runtime.provisioned.tables['TimelineTable']}.reopens"
    now = [datetime.now(UTC)]
    # No workflow: its steps write the same incident meanwhile, on their own threads, and one of
    # theirs landing inside the reopen can have one of its conditional writes refused once more
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)
    # Given an incident opened and resolved (neither enters the timeline's reopens index)
    with meter.measure("open and resolve"):
        incident_id = intake.process(_alert(), "default").incident_id
        now[0] += timedelta(seconds=5)
        intake.process(_alert("resolved"), "default")
    assert reopens not in meter.costs["open and resolve"].tables
    # When its alert fires again, twice (reopen, resolve, reopen)
    for label in ("reopen", "reopen again"):
        now[0] += timedelta(seconds=5)
        with meter.measure(label):
            reopened = intake.process(_alert(), "default")
        assert (reopened.action, reopened.incident_id) == ("reopened", incident_id)
        # Then each reopen's timeline item enters the reports' index once: one index write, no item more
        cost = meter.costs[label]
        assert cost.tables[reopens]["writes"] == 1, (label, cost.as_dict())
        # And a reopen is 8 items written (docs/writes.md): the claim and its finalize, the reopen with
        # its timeline item and its notice's marker in one transaction (each billed twice), the refire count,
        # the stream event, the marker's delete once its notice is queued
        assert (cost.writes, cost.failed) == (8, 1), (label, cost.as_dict())
        timeline = cost.tables[runtime.provisioned.tables["TimelineTable"]]
        assert (timeline["writes"], timeline["wcu"]) == (1, 2), (label, cost.as_dict())
        now[0] += timedelta(seconds=5)
        intake.process(_alert("resolved"), "default")


def test_a_resolve_is_one_transaction_and_a_stream_event_per_entry_and_its_redelivery_writes_nothing(runtime, meter):
    from pagerless.intake.service import IntakeService
    from pagerless.store.alerts import DeliveryMark

    tables = runtime.provisioned.tables
    now = [datetime.now(UTC)]
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)
    # Given an alert whose incident is open
    incident_id = intake.process(_alert(), "default", DeliveryMark.of("firing", now[0])).incident_id
    # When the alert resolves at its source
    now[0] += timedelta(seconds=5)
    resolve = DeliveryMark.of("resolved", now[0])
    with meter.measure("resolve"):
        resolved = intake.process(_alert("resolved"), "default", resolve)
    assert (resolved.action, resolved.incident_id, resolved.status) == ("resolved", incident_id, "resolved")
    # Then it is 8 items written (docs/writes.md): one transaction of the alert item, the incident
    # (its count and its resolve), the two timeline entries and its notice's marker (each billed twice), then
    # one stream event per entry and the marker's delete once its notice is queued
    cost = meter.costs["resolve"]
    assert (cost.writes, cost.failed) == (8, 0), cost.as_dict()
    writes = {name: c["writes"] for name, c in cost.tables.items() if "." not in name}
    assert writes == {
        tables["AlertsTable"]: 1,
        tables["IncidentsTable"]: 1,
        tables["TimelineTable"]: 2,
        tables["EventsTable"]: 2,
        tables["SystemTable"]: 2,
    }, cost.as_dict()
    assert cost.tables[tables["TimelineTable"]]["wcu"] == 4
    # When SQS delivers the resolve again, it finds the alert resolved: a read, no write
    with meter.measure("redelivered"):
        again = intake.process(_alert("resolved"), "default", resolve)
    assert (again.action, again.status) == ("ignored", "resolved")
    assert (meter.costs["redelivered"].writes, meter.costs["redelivered"].failed) == (0, 0)


def test_only_a_flap_mark_and_its_clear_write_the_flap_sweeps_marker(runtime, meter):
    from pagerless.intake.service import IntakeService
    from pagerless.store.alerts import DeliveryMark
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow.steps import run_step

    system = runtime.provisioned.tables["SystemTable"]
    sweeps = f"{system}.sweeps"
    t0 = datetime.now(UTC)
    now = [t0]
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)

    def deliver(status: str):
        return intake.process(_alert(status), "default", DeliveryMark.of(status, now[0]))

    # Given an alert that opens an incident, repeats, resolves and fires again twice (no flap yet)
    with meter.measure("ordinary"):
        incident_id = deliver("firing").incident_id
        now[0] += timedelta(seconds=2)
        assert deliver("firing").action == "deduplicated"
        for _ in range(2):
            now[0] += timedelta(seconds=5)
            deliver("resolved")
            now[0] += timedelta(seconds=5)
            assert deliver("firing").action == "reopened"
    # Then none of it wrote a flap marker: the system table's writes are the notice markers of the two resolves
    # and the two reopens (each put in its change's transaction, 2 WCU, and deleted once its notice is queued)
    ordinary = meter.costs["ordinary"]
    assert ordinary.tables[system] == {"writes": 8, "wcu": 12}, ordinary.as_dict()
    assert ordinary.tables[sweeps] == {"writes": 8, "wcu": 8}, ordinary.as_dict()
    # When it resolves and fires once more within the flap window: a flap's reopen
    now[0] += timedelta(seconds=5)
    deliver("resolved")
    now[0] += timedelta(seconds=5)
    with meter.measure("flap"):
        assert deliver("firing").action == "reopened"
    # Then its marker is one item more, in the reopen's transaction (2 WCU), entering the sweeps index
    # (1 WCU): a reopen's 8 (its notice's marker among them), the `flapping_detected` entry (in the reopen's
    # transaction) with its stream event, and the marker
    flap = meter.costs["flap"]
    assert flap.tables[system] == {"writes": 3, "wcu": 5}, flap.as_dict()
    assert flap.tables[sweeps] == {"writes": 3, "wcu": 3}, flap.as_dict()
    assert (flap.writes, flap.failed) == (11, 1), flap.as_dict()
    # When its alert holds firing and its settle run clears the mark: the marker is deleted with it
    held = IncidentRecord.get(incident_id).execution_arn
    step = {"step": "settle_flapping", "incident_id": incident_id, "workspace": "default", "execution_arn": held}
    with meter.measure("settled"):
        assert run_step(step) == {"settled": True}
    settled = meter.costs["settled"]
    assert settled.tables[system]["writes"] == 1 and settled.tables[sweeps]["writes"] == 1, settled.as_dict()


def test_a_resolve_of_a_flap_deletes_its_marker_in_the_resolve(runtime, meter):
    from pagerless.intake.service import IntakeService
    from pagerless.store.alerts import DeliveryMark

    system = runtime.provisioned.tables["SystemTable"]
    now = [datetime.now(UTC)]
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)

    def deliver(status: str):
        return intake.process(_alert(status), "default", DeliveryMark.of(status, now[0]))

    # Given an alert that flapped: its fifth firing within the flap window reopened it as a flap
    deliver("firing")
    for _ in range(4):
        now[0] += timedelta(seconds=5)
        deliver("resolved")
        now[0] += timedelta(seconds=5)
        deliver("firing")
    assert deliver("firing").action == "deduplicated"
    # When the alert resolves
    now[0] += timedelta(seconds=5)
    with meter.measure("resolve"):
        assert deliver("resolved").action == "resolved"
    # Then the resolve is a resolve's 8 items (its notice's marker put and deleted) and the flap marker's delete,
    # in its transaction
    cost = meter.costs["resolve"]
    assert cost.tables[system]["writes"] == 3 and cost.tables[f"{system}.sweeps"]["writes"] == 3, cost.as_dict()
    assert (cost.writes, cost.failed) == (9, 0), cost.as_dict()


def test_the_end_index_is_written_on_create_resolve_and_reopen_only(runtime, meter):
    from pagerless.intake.service import IntakeService
    from pagerless.store.alerts import DeliveryMark

    tables = runtime.provisioned.tables
    by_end = f"{tables['IncidentsTable']}.by_end"
    now = [datetime.now(UTC)]
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)

    def deliver(status: str):
        return intake.process(_alert(status), "default", DeliveryMark.of(status, now[0]))

    # When a new alert opens an incident: the incident enters the index once (1 WCU), no item more
    with meter.measure("new"):
        assert deliver("firing").action == "created"
    new = meter.costs["new"]
    assert new.tables[by_end] == {"writes": 1, "wcu": 1}, new.as_dict()
    assert (new.writes, new.failed) == (4, 1), new.as_dict()
    # When duplicates arrive, and the first after a minute folds them into the incident: nothing in the index
    with meter.measure("duplicates"):
        for _ in range(3):
            now[0] += timedelta(seconds=2)
            assert deliver("firing").action == "deduplicated"
        now[0] += timedelta(seconds=61)
        assert deliver("firing").action == "deduplicated"
    duplicates = meter.costs["duplicates"]
    assert by_end not in duplicates.tables, duplicates.as_dict()
    # When it resolves, and reopens: its index key moves each time (a delete and a put), no item more
    for label, status, writes in (("resolve", "resolved", 8), ("reopen", "firing", 8)):
        now[0] += timedelta(seconds=5)
        with meter.measure(label):
            deliver(status)
        cost = meter.costs[label]
        assert cost.tables[by_end] == {"writes": 2, "wcu": 2}, (label, cost.as_dict())
        assert cost.writes == writes, (label, cost.as_dict())
