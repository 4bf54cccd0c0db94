"""Where a person reads them, the escalation's words name people by name, not only by id: the reason an escalation
stopped ("acknowledged by per_…", stored with the id) in the API's escalations, and the live event stream's events
(the timeline's entries as they are written: the escalation engine may not read the people table). The ids stay;
the names are resolved when read, as the timeline API's are (`incidents.timeline_names`)."""

import json

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def opened(api, admin_key) -> str:
    response = api.post(
        "/api/webhooks/generic?sync=true",
        json={"title": "checkout 5xx", "service": "checkout", "severity": "critical"},
        headers=auth(admin_key),
    )
    assert response.status_code in (200, 201, 202), response.text
    return response.json()["alerts"][0]["incident_id"]


def events(api, admin_key) -> list[dict]:
    """Every event of the workspace's stream so far (one short connection from the start)."""
    response = api.get("/api/events?last_event_id=0&max_seconds=1", headers=auth(admin_key))
    assert response.status_code == 200, response.text
    return [json.loads(line.removeprefix("data: ")) for line in response.text.splitlines() if line.startswith("data: ")]


def test_the_reason_an_escalation_stopped_names_who_acknowledged_it(api, admin_key):
    from pagerless.clock import utcnow
    from pagerless.people.service import PeopleService
    from pagerless.store.escalations import EscalationRecord, EscalationRepository

    # Given an escalation that paged Alice and stopped when she acknowledged (stored with her id)
    incident_id = opened(api, admin_key)
    alice = PeopleService().create("default", name="Alice Chen", email="alice@example.com")
    record = EscalationRecord(
        f"escalation#{incident_id}",
        "9",
        incident_id=incident_id,
        workspace="default",
        execution_name=f"esc-{incident_id}-9",
        started_at=utcnow(),
    )
    repository = EscalationRepository()
    assert repository.create(record)
    page = {"generation": "9:0-0", "at": utcnow().isoformat(), "targets": [{"kind": "person", "id": alice.id}]}
    assert repository.claim_page(record, {**page, "held": []})
    assert repository.finish(repository.get(incident_id, "9"), "stopped", f"acknowledged by {alice.id}")
    # When its escalations are read
    response = api.get(f"/api/incidents/{incident_id}/escalations", headers=auth(admin_key))
    assert response.status_code == 200, response.text
    [item] = [i for i in response.json()["items"] if i["generation"] == "9"]
    # Then the reason keeps the id, and reads with her name
    assert item["reason"] == f"acknowledged by {alice.id}"
    assert item["reason_text"] == f"acknowledged by Alice Chen ({alice.id})"
    assert item["names"] == {alice.id: "Alice Chen"}


def test_the_live_event_stream_names_the_people_its_events_name(api, admin_key):
    from pagerless.incidents import timeline
    from pagerless.people.service import PeopleService
    from pagerless.store.incidents import IncidentRepository

    # Given the escalation engine's entries naming Alice by id (it may not read her name)
    incident = IncidentRepository().get(opened(api, admin_key))
    alice = PeopleService().create("default", name="Alice Chen", email="alice@example.com")
    timeline.record(
        incident,
        "held_page_sent",
        f"{alice.id} paged: the page of step 1 held back by their quiet hours was sent when they were removed",
        actor="escalation",
        data={"person_id": alice.id, "step": 1, "quiet_hours": "removed"},
    )
    # When the live event stream is read
    [sent] = [e for e in events(api, admin_key) if e["type"] == "held_page_sent"]
    # Then its event keeps the id and carries her name, and the message with it
    assert sent["person_id"] == alice.id and sent["message"].startswith(f"{alice.id} paged")
    assert sent["names"] == {alice.id: "Alice Chen"}
    assert sent["text"].startswith(f"Alice Chen ({alice.id}) paged: the page of step 1")
    # And an event that names nobody is as it was
    [created] = [e for e in events(api, admin_key) if e["type"] == "incident_created"]
    assert "names" not in created and "text" not in created
