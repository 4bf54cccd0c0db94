"""A resolve that fails midway (a table unavailable between its writes, the process killed) leaves
nothing its retry cannot finish: the delivery's redelivery, or the person's second click, ends the
incident as one successful attempt would have, with each timeline entry once."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark, intake_at
from tests.functional.workflow.conftest import timeline_types

pytestmark = pytest.mark.functional

WORKSPACE = "default"


def _alert(status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="resolve-1", status=status, title="orders backlog", service=None)


def _resolved_by_its_source_once(incident_id: str) -> None:
    from pagerless.store.alerts import AlertRecord, alert_key
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.timeline import resolves_and_reopens

    incident = IncidentRecord.get(incident_id)
    assert (incident.status, incident.resolved_by, int(incident.open_alerts)) == ("resolved", "source", 0)
    types = timeline_types(incident_id)
    assert (types.count("alert_resolved"), types.count("incident_resolved")) == (1, 1), types
    assert types.index("alert_resolved") < types.index("incident_resolved")
    # what the reports and `open_periods` read: the resolve's entry
    assert [kind for _, kind in resolves_and_reopens(incident_id)] == ["incident_resolved"]
    alert = AlertRecord.get(alert_key(WORKSPACE, "generic", "resolve-1"))
    assert (alert.state, int(alert.resolve_count)) == ("resolved", 1)


@pytest.mark.parametrize("outage", ["timeline_table_down", "events_table_down"])
def test_a_resolve_that_failed_midway_is_finished_by_its_redelivery(runtime, request, outage):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    table_down = request.getfixturevalue(outage)
    # Given an alert whose incident is open
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # When its resolve fails midway (the timeline table, or the stream's, is unavailable)
    now[0] = t0 + timedelta(seconds=5)
    resolve = delivery_mark("resolved", now[0])
    table_down.start()
    with pytest.raises(Exception):  # noqa: B017 - the outage's error, whatever botocore calls it
        intake.process(_alert("resolved"), WORKSPACE, resolve)
    table_down.restore()
    # And SQS delivers the resolve again
    now[0] = t0 + timedelta(seconds=35)
    retried = intake.process(_alert("resolved"), WORKSPACE, resolve)
    # Then the incident is resolved by its source, as one delivery would have resolved it
    assert (retried.incident_id, retried.status) == (incident_id, "resolved")
    _resolved_by_its_source_once(incident_id)
    # And a further redelivery changes nothing
    again = intake.process(_alert("resolved"), WORKSPACE, resolve)
    assert (again.action, again.status) == ("ignored", "resolved")
    _resolved_by_its_source_once(incident_id)


def test_a_hand_resolve_that_failed_before_its_timeline_entry_is_done_whole_by_its_retry(runtime, timeline_table_down):
    from pagerless.auth.keys import Principal
    from pagerless.domain.roles import Role
    from pagerless.incidents.service import IncidentService
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.timeline import resolves_and_reopens

    now = [datetime.now(UTC)]
    incident_id = intake_at(now).process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).incident_id
    principal = Principal("k-1", WORKSPACE, Role.ADMIN)
    # When a person resolves the incident while the timeline table is unavailable
    timeline_table_down.start()
    with pytest.raises(Exception):  # noqa: B017 - the outage's error
        IncidentService(stop_escalations=lambda *a: None).resolve(WORKSPACE, incident_id, principal, "fixed")
    timeline_table_down.restore()
    # Then the incident was not left resolved without its entry (the reports would not see the resolve)
    assert IncidentRecord.get(incident_id).status == "open"
    # And the person's retry resolves it, with its entry
    resolved = IncidentService(stop_escalations=lambda *a: None).resolve(WORKSPACE, incident_id, principal, "fixed")
    assert resolved.status == "resolved"
    assert [kind for _, kind in resolves_and_reopens(incident_id)] == ["incident_resolved"]


def _resolved_jobs(incident_id: str) -> list[dict]:
    """The `incident.resolved` notification jobs on NotifyQueue for the incident (received and kept)."""
    import json

    import boto3

    from pagerless import settings

    sqs, jobs = boto3.client("sqs"), []
    while messages := sqs.receive_message(
        QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        jobs += [json.loads(m["Body"]) for m in messages]
    return [j for j in jobs if j["event"] == "incident.resolved" and j["incident_id"] == incident_id]


def test_a_source_resolve_that_failed_after_its_transaction_is_announced_by_its_redelivery(runtime, events_table_down):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose transaction was made, then failed before the notification was queued
    # (the stream's table unavailable; a Lambda killed there is the same)
    now[0] = t0 + timedelta(seconds=5)
    resolve = delivery_mark("resolved", now[0])
    events_table_down.start()
    with pytest.raises(Exception):  # noqa: B017 - the outage's error
        intake.process(_alert("resolved"), WORKSPACE, resolve)
    events_table_down.restore()
    _resolved_by_its_source_once(incident_id)
    assert _resolved_jobs(incident_id) == []
    # When SQS delivers the resolve again
    now[0] = t0 + timedelta(seconds=35)
    intake.process(_alert("resolved"), WORKSPACE, resolve)
    # Then the people who were paged hear that it resolved, as after one successful delivery
    [job] = _resolved_jobs(incident_id)
    assert job["data"]["message"] == "resolved by its source (every alert resolved)"
    # And nothing is written twice
    _resolved_by_its_source_once(incident_id)
