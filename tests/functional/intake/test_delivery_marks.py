"""An alert item's delivery mark (`DeliveryMark`) is what makes a redelivery, a retry and a
dead-letter replay idempotent: these tests interleave deliveries of one alert step by step, and
fail a table between two of a delivery's writes, on the embedded AWS."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark, intake_at
from tests.functional.workflow.conftest import timeline_types

pytestmark = pytest.mark.functional

WORKSPACE = "default"


def _alert(status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="marks-1", status=status, title="orders backlog", service=None)


def _key() -> str:
    from pagerless.store.alerts import alert_key

    return alert_key(WORKSPACE, "generic", "marks-1")


def test_a_rolled_back_duplicate_leaves_the_mark_of_a_delivery_applied_meanwhile(runtime):
    from pagerless.incidents.lifecycle import IncidentLifecycle
    from pagerless.store.alerts import AlertRecord

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    alerts = intake.alerts
    # Given an alert whose incident is open
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    mark_a, mark_b = (
        delivery_mark("firing", t0 + timedelta(seconds=1)),
        delivery_mark("firing", t0 + timedelta(seconds=2)),
    )
    now[0] = t0 + timedelta(seconds=3)
    # When delivery A counts itself as a duplicate
    counted_a = alerts.touch_firing(_key(), now[0], mark_a)
    assert counted_a is not None
    # And delivery B is counted as a duplicate of the open incident, all the way
    assert intake.process(_alert(), WORKSPACE, mark_b).action == "deduplicated"
    # And the workflow resolves the incident
    lifecycle = IncidentLifecycle(intake.incidents)
    lifecycle.resolve(intake.incidents.get(incident_id), by="workflow", resolution="fixed", now=now[0])
    # And A, finding the incident resolved, takes its count back to reopen it
    assert intake._duplicate(counted_a, _alert(), now[0], 1, mark_a) is None
    # Then SQS delivering B again (its Lambda died before deleting it) finds B applied: nothing more
    again = intake.process(_alert(), WORKSPACE, mark_b)
    assert (again.action, again.deduplicated) == ("deduplicated", True)
    # And A goes on and reopens the incident
    assert intake.process(_alert(), WORKSPACE, mark_a).action == "reopened"
    # And three firings were delivered, three were counted
    assert int(AlertRecord.get(_key()).fire_count) == 3
    assert timeline_types(incident_id).count("incident_reopened") == 1


def test_a_rolled_back_duplicate_still_takes_its_mark_back(runtime):
    from pagerless.incidents.lifecycle import IncidentLifecycle
    from pagerless.store.alerts import AlertRecord

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given an alert whose incident the workflow resolved while the alert still fires
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    IncidentLifecycle(intake.incidents).resolve(
        intake.incidents.get(incident_id), by="workflow", resolution="fixed", now=now[0]
    )
    # When a firing delivery arrives: it is counted as a duplicate, then takes the reopen path
    now[0] = t0 + timedelta(seconds=3)
    mark = delivery_mark("firing", t0 + timedelta(seconds=1))
    assert intake.process(_alert(), WORKSPACE, mark).action == "reopened"
    # Then it was counted once, and its redelivery counts nothing
    assert intake.process(_alert(), WORKSPACE, mark).action == "deduplicated"
    assert int(AlertRecord.get(_key()).fire_count) == 2


def test_a_reopen_that_failed_before_its_timeline_entry_is_redone_whole_by_the_retry(runtime, timeline_table_down):
    from pagerless.store.alerts import AlertRecord
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.timeline import reopens_between

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given an alert whose incident opened and resolved
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    now[0] = t0 + timedelta(seconds=5)
    assert intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0])).action == "resolved"
    # When the alert fires again while the timeline table is unavailable
    now[0] = t0 + timedelta(seconds=10)
    refire = delivery_mark("firing", now[0])
    timeline_table_down.start()
    with pytest.raises(Exception):  # noqa: B017 - the outage's error, whatever botocore calls it
        intake.process(_alert(), WORKSPACE, refire)
    timeline_table_down.restore()
    # Then the incident was not left reopened without its timeline entry
    assert IncidentRecord.get(incident_id).status == "resolved"
    # And the retry of the same delivery reopens it, with its entry and in the reports' index
    retried = intake.process(_alert(), WORKSPACE, refire)
    assert (retried.action, retried.incident_id) == ("reopened", incident_id)
    incident = IncidentRecord.get(incident_id)
    assert incident.status == "open" and incident.reopened_at is not None
    assert timeline_types(incident_id).count("incident_reopened") == 1
    assert incident_id in reopens_between(WORKSPACE, t0, t0 + timedelta(hours=1))
    alert = AlertRecord.get(_key())
    assert (alert.state, alert.incident_id, int(alert.fire_count)) == ("firing", incident_id, 2)


class _Refusing:
    """A Step Functions client that refuses every StartExecution (the service is down)."""

    @staticmethod
    def start_execution(**kwargs):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "StartExecution")


def _queued(kind: str, received: datetime) -> str:
    """The AlertQueue body of the alert: one normalized alert, or the webhook payload it came in."""
    import json

    from pagerless.intake.queue import AlertEnvelope, IngestEnvelope

    if kind == "alert":
        return AlertEnvelope("generic", WORKSPACE, _alert().model_dump(mode="json"), received.isoformat()).to_json()
    payload = {"title": "orders backlog", "fingerprint": "marks-1"}
    return IngestEnvelope.build(
        source="generic",
        workspace=WORKSPACE,
        body=json.dumps(payload).encode(),
        content_type="application/json",
        received_at=received,
    ).to_json()


@pytest.mark.parametrize("kind", ["alert", "ingest"])
def test_a_dead_letter_replay_ends_as_a_normal_delivery_would(runtime, timeline_table_down, monkeypatch, kind):
    from pagerless import step_functions
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.bootstrap import dead_letter_service
    from pagerless.intake.consumer import handle_alert_record, handle_dead_record
    from pagerless.intake.deliveries import parse_delivery
    from pagerless.store.dead_letters import DeadLetterRepository
    from pagerless.store.incidents import IncidentRecord

    received = datetime.now(UTC)
    body = _queued(kind, received)
    attributes = {"SentTimestamp": str(int(received.timestamp() * 1000))}
    # Given an outage of the timeline table and of Step Functions through every retry of a queued alert
    real_client = step_functions.client()
    monkeypatch.setattr(step_functions, "client", lambda: _Refusing())
    timeline_table_down.start()
    for _ in range(5):  # the queue's maxReceiveCount
        with pytest.raises(Exception):  # noqa: B017 - the outage's error
            handle_alert_record(body, None, attributes)
    # (its first attempt opened the incident: the alert item and the incident are one transaction)
    [opened] = list(IncidentRecord.scan())
    # And the queue gave up on it: it is a dead letter
    handle_dead_record(body, None, attributes)
    dead_id = parse_delivery(body, None, attributes["SentTimestamp"]).id
    assert DeadLetterRepository().get(WORKSPACE, dead_id).status == "dead"
    # When the outage is over and an operator replays the dead letter
    timeline_table_down.restore()
    monkeypatch.setattr(step_functions, "client", lambda: real_client)
    replayed = dead_letter_service().replay(WORKSPACE, dead_id)
    # Then the incident is what one delivery of the alert makes: counted once, announced once
    [result] = replayed["alerts"]
    assert (result["action"], result["deduplicated"]) == ("deduplicated", True)
    assert result["incident_id"] == opened.id and len(list(IncidentRecord.scan())) == 1
    assert IncidentService().get(WORKSPACE, opened.id).alert_count == 1
    assert timeline_types(opened.id).count("incident_created") == 1


def test_the_redelivery_of_an_alert_that_opened_its_incident_and_failed_announces_it(runtime, timeline_table_down):
    from pagerless.intake.consumer import handle_alert_record
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.timeline import StreamEventRecord

    received = datetime.now(UTC)
    body = _queued("alert", received)
    attributes = {"SentTimestamp": str(int(received.timestamp() * 1000))}
    # Given a queued alert whose first attempt opened its incident and failed before announcing it
    timeline_table_down.start()
    with pytest.raises(Exception):  # noqa: B017 - the outage's error
        handle_alert_record(body, None, attributes)
    timeline_table_down.restore()
    [opened] = list(IncidentRecord.scan())
    # When SQS delivers it again
    [again] = handle_alert_record(body, None, attributes)
    # Then it counts nothing twice and the incident gets the announcement a first delivery makes
    assert (again["action"], again["incident_id"]) == ("deduplicated", opened.id)
    assert IncidentRecord.get(opened.id).alert_count == 1
    assert timeline_types(opened.id).count("incident_created") == 1
    assert [e.type for e in StreamEventRecord.query(WORKSPACE) if e.incident_id == opened.id][:1] == [
        "incident_created"
    ]
    # And a further redelivery announces nothing more
    handle_alert_record(body, None, attributes)
    assert timeline_types(opened.id).count("incident_created") == 1


def test_a_reopen_of_an_incident_changed_meanwhile_is_retried_on_the_fresh_incident(runtime):
    from pagerless.incidents.lifecycle import IncidentLifecycle
    from pagerless.store.incidents import IncidentRecord

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given a resolved incident, as a reopen read it
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", t0 + timedelta(seconds=1)))
    read = intake.incidents.get(incident_id)
    # And something else changed the incident after that read (a person edited its title)
    IncidentRecord.get(incident_id).update(actions=[IncidentRecord.title.set("orders backlog (edited)")])
    # When the reopen is made from what it read
    reopened = IncidentLifecycle(intake.incidents).refire(read, _alert(), t0 + timedelta(seconds=2), flapping=False)
    # Then it was retried on the fresh incident: reopened, with the edit kept and one entry
    assert (reopened.status, reopened.title) == ("open", "orders backlog (edited)")
    assert IncidentRecord.get(incident_id).status == "open"
    assert timeline_types(incident_id).count("incident_reopened") == 1
