"""A running escalation pages through the policy as it was when it started (its record keeps that copy), so an admin
may edit the policy mid-escalation, replace a person there, and then delete them. The copy still names the deleted
person: their step reaches nobody, so it is not waited on (the next step is paged at once) and no page is queued
for an id that names nobody (`Resolved.deleted`)."""

from datetime import timedelta

import pytest

from tests.functional.notify.conftest import save_incident

pytestmark = pytest.mark.functional


def _policy(service, alice: str, eve: str) -> dict:
    from pagerless.oncall import models

    steps = [
        {"delay_seconds": 300, "targets": [{"kind": "person", "id": alice}]},
        {"delay_seconds": 600, "targets": [{"kind": "person", "id": eve}]},
        {"delay_seconds": 300, "targets": [{"kind": "person", "id": alice}]},
    ]
    body = models.PolicyIn.model_validate({"name": "payments", "services": ["payments-api"], "steps": steps})
    return service.create_policy("default", body, "test")


def _delete(person_id: str) -> None:
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService

    OncallService().release_person("default", person_id, lambda at: PeopleService().delete("default", person_id, at))


def test_a_person_deleted_after_the_policy_was_edited_mid_escalation_is_paged_by_nobody_and_not_waited_on(runtime):
    from pagerless.clock import utcnow
    from pagerless.oncall import engine, models
    from pagerless.oncall.resolution import resolve_step
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService
    from pagerless.store.escalations import EscalationRecord, EscalationRepository

    # Given a policy paging alice, then eve, and an incident escalating through it (its copy of the policy kept)
    people, service = PeopleService(), OncallService()
    alice = people.create("default", name="Alice", email="alice@example.com").id
    eve = people.create("default", name="Eve", email="eve@example.com").id
    dave = people.create("default", name="Dave", email="dave@example.com").id
    policy = _policy(service, alice, eve)
    incident = save_incident("INC-20261207-0101")
    record = EscalationRecord(
        f"escalation#{incident.id}",
        "1",
        incident_id=incident.id,
        workspace="default",
        policy=policy,
        execution_name=f"esc-{incident.id}-1",
        cursor={"step": 0, "repeat": 0},
        started_at=utcnow() - timedelta(minutes=6),
    )
    assert EscalationRepository().create(record)
    # When an admin replaces eve with dave in the policy while it escalates, and then deletes eve
    edited = {
        **policy,
        "steps": [
            {**s, "targets": [{"kind": "person", "id": dave}]} if i == 1 else s for i, s in enumerate(policy["steps"])
        ],
    }
    body = models.PolicyIn.model_validate({k: edited[k] for k in ("name", "services", "steps")})
    service.update_policy("default", policy["id"], body, "test")
    _delete(eve)
    # Then the escalation's second step reaches nobody: it pages no deleted id, and is not waited on
    step = engine.tick(incident.id, "default", "1", {"step": 1, "repeat": 0})
    assert (step["next"], step["wait_seconds"], step["step"]) == ("wait", 0, 2)
    [paged] = [p for p in EscalationRepository().get(incident.id, "1").pages if p["generation"] == "1-0"]
    assert paged["targets"] == [] and paged["held"] == []
    # And resolved at any moment, the deleted person is marked so and reached by nobody
    [resolved] = resolve_step("default", models.to_policy(policy), 1, utcnow(), critical=True)
    assert (resolved.persons, resolved.held, resolved.deleted, resolved.reached) == ((), (), True, False)
