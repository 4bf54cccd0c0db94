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
    """The incidents whose resolve is announced (a flap's resolve only closes its cards again: ``cards_only``)."""
    return sorted(
        j["incident_id"]
        for j in jobs
        if j["event"] == "incident.resolved" and not (j.get("data") or {}).get("cards_only")
    )


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
    jobs = _notify_jobs()
    assert _resolved(jobs) == [incident_id] * 3
    # (the flaps' resolves and reopens only edit the cards: the thread's first message reads as the incident is)
    quiet = [j for j in jobs if j["event"] == "incident.resolved" and j["data"].get("cards_only")]
    assert len(quiet) == 4 and len([j for j in jobs if j["event"] == "incident.reopened"]) == 6


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


def test_a_root_resolved_by_hand_resolves_its_children_that_still_fire_and_pages_nobody_per_child(
    api, runtime, operator_key
):
    from pagerless.incidents.timeline import timeline
    from pagerless.intake.service import IntakeService
    from pagerless.store.incidents import IncidentRecord
    from tests.conftest import auth

    t0 = datetime.now(UTC)
    now = [t0]
    started: list[str] = []
    intake = IntakeService(clock=lambda: now[0], start_workflow=lambda incident, **_: started.append(incident.id))
    # Given a storm: a root incident (paged) and three children correlated under it
    root, *children = (
        intake.process(_alert(f"hand-{n}"), WORKSPACE, delivery_mark("firing", t0 + timedelta(seconds=n)))
        for n in range(4)
    )
    assert [c.action for c in children] == ["correlated"] * 3 and started == [root.incident_id]
    # And one child's alert already resolved at its source
    now[0] = t0 + timedelta(seconds=10)
    intake.process(_alert("hand-3", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    # When a person resolves the root by hand while two children still fire
    response = api.post(
        f"/api/incidents/{root.incident_id}/resolve", json={"note": "rolled back"}, headers=auth(operator_key)
    )
    assert response.status_code == 200, response.text
    # Then no incident of the group is left open under the resolved root: the firing children are
    # resolved with it, by that person, and their timeline says so (via the root)
    stored = {c.incident_id: IncidentRecord.get(c.incident_id) for c in children}
    assert {s.status for s in stored.values()} == {"resolved"}
    person = IncidentRecord.get(root.incident_id).resolved_by
    for child in children[:2]:
        assert stored[child.incident_id].resolved_by == person
        [entry] = [e for e in timeline(child.incident_id) if e.type == "incident_resolved"]
        assert root.incident_id in entry.message and entry.data["root_id"] == root.incident_id
        assert entry.actor == person
    # And their alerts are closed, so their next firing is seen
    from pagerless.store.alerts import AlertRepository, alert_key

    for n in (1, 2):
        assert AlertRepository().get(alert_key(WORKSPACE, "generic", f"hand-{n}")).state == "resolved"
    # And nobody is paged or told once per child: chat hears of the root's resolve alone
    assert started == [root.incident_id]
    assert _resolved(_notify_jobs()) == [root.incident_id]
    # When the children's alerts fire again a minute later (the problem is back)
    again = []
    for n in (1, 2):
        now[0] = t0 + timedelta(seconds=60 + n)
        again.append(intake.process(_alert(f"hand-{n}"), WORKSPACE, delivery_mark("firing", now[0])))
    # Then they are not reopened under the resolved root, where nobody would see them: they open a
    # new group, whose root is paged once
    first, second = again
    assert (first.action, second.action) == ("created", "correlated"), again
    assert IncidentRecord.get(second.incident_id).parent_id == first.incident_id
    assert started == [root.incident_id, first.incident_id]
