"""What chat hears during an alert storm: one message per problem, not one per correlated child
or per flap. A correlated child and a flapping reopen are never announced (no workflow, no
`incident.opened`), so their source resolves are not announced either."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark, intake_at

pytestmark = pytest.mark.functional

WORKSPACE = "default"


def _alert(fingerprint: str, status: str = "firing", service: str | None = "checkout"):
    from pagerless.domain.alerts import Alert

    return Alert(
        source="generic",
        fingerprint=fingerprint,
        status=status,
        title=f"alert {fingerprint}",
        service=service,
        namespace="shop",
    )


def _notify_jobs() -> list[dict]:
    """Every notification job on NotifyQueue (received and kept)."""
    import json

    import boto3

    from pagerless import settings

    sqs, jobs = boto3.client("sqs"), []
    while messages := sqs.receive_message(
        QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        jobs += [json.loads(m["Body"]) for m in messages]
    return jobs


def _resolved(jobs: list[dict]) -> list[str]:
    return sorted(j["incident_id"] for j in jobs if j["event"] == "incident.resolved")


def test_a_storm_that_clears_announces_its_root_once_not_every_child(runtime):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given a storm on one service: a root incident and five correlated children
    results = []
    for n in range(6):
        now[0] = t0 + timedelta(seconds=n)
        results.append(intake.process(_alert(f"storm-{n}"), WORKSPACE, delivery_mark("firing", now[0])))
    root, children = results[0], results[1:]
    assert root.action == "created" and {c.action for c in children} == {"correlated"}
    # When every alert resolves at the source
    for n in range(6):
        now[0] = t0 + timedelta(seconds=30 + n)
        intake.process(_alert(f"storm-{n}", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    # Then every incident is resolved, and chat hears of the root's resolve alone
    from pagerless.store.incidents import IncidentRecord

    assert {IncidentRecord.get(r.incident_id).status for r in results} == {"resolved"}
    assert _resolved(_notify_jobs()) == [root.incident_id]


def test_a_flapping_alert_is_not_announced_on_every_flap(runtime):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given an alert that fires and resolves seven times within the flap window (flapping from the fourth)
    incident_id = None
    for cycle in range(7):
        now[0] = t0 + timedelta(seconds=10 * cycle)
        incident_id = intake.process(
            _alert("flappy", service=None), WORKSPACE, delivery_mark("firing", now[0])
        ).incident_id
        now[0] += timedelta(seconds=5)
        intake.process(_alert("flappy", "resolved", service=None), WORKSPACE, delivery_mark("resolved", now[0]))
    from pagerless.store.incidents import IncidentRecord

    incident = IncidentRecord.get(incident_id)
    assert (incident.status, incident.flapping) == ("resolved", True)
    # Then its resolves are announced while its reopens were (the first three), not once per flap after
    assert _resolved(_notify_jobs()) == [incident_id] * 3


def test_a_root_whose_own_alert_resolves_stays_open_while_its_children_still_fire(runtime):
    from pagerless.store.incidents import IncidentRecord
    from tests.functional.workflow.conftest import timeline_types

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given a root incident and two children correlated under it
    root, first, second = (
        intake.process(_alert(f"group-{n}"), WORKSPACE, delivery_mark("firing", t0 + timedelta(seconds=n)))
        for n in range(3)
    )
    assert (first.action, second.action) == ("correlated", "correlated")
    # When the root's own alert resolves while its children still fire
    now[0] = t0 + timedelta(seconds=30)
    resolved = intake.process(_alert("group-0", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    # Then the root is not resolved (nobody would look at the children, which start no workflow)
    assert resolved.status != "resolved"
    parent = IncidentRecord.get(root.incident_id)
    assert (parent.status, int(parent.open_alerts)) == ("open", 0)
    assert "children_still_firing" in timeline_types(root.incident_id)
    # When one child resolves, the root still waits for the other
    now[0] = t0 + timedelta(seconds=40)
    intake.process(_alert("group-1", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert IncidentRecord.get(root.incident_id).status == "open"
    # When the last child resolves, the whole group is resolved by its source, and announced once
    now[0] = t0 + timedelta(seconds=50)
    intake.process(_alert("group-2", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    parent = IncidentRecord.get(root.incident_id)
    assert (parent.status, parent.resolved_by) == ("resolved", "source")
    assert {IncidentRecord.get(r.incident_id).status for r in (first, second)} == {"resolved"}
    assert _resolved(_notify_jobs()) == [root.incident_id]
