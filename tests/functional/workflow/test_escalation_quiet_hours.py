"""Quiet hours delay a non-critical page, they do not drop it: on moto's Step Functions with the real escalation
ASL, a person held back is paged when their quiet hours end (once, however many steps held them), unless the
incident was acknowledged or resolved meanwhile, which the timeline says. The quiet hours here end seconds
after the incident opens and run past midnight (their start is after their end), in a zone with DST; the
ends of quiet hours on DST change days are unit-tested (tests/unit/oncall/test_quiet_hours_end.py)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for
from tests.functional.workflow.escalations import PEOPLE, escalation

pytestmark = pytest.mark.functional

ZONE = "America/New_York"


def quiet_until(person: str, seconds: int) -> None:
    """The person's quiet hours end ``seconds`` from now and start 30 seconds after that: they run past midnight
    (start after end) and hold now."""
    from pagerless.clock import utcnow
    from pagerless.oncall import models
    from pagerless.oncall.quiet_hours import QuietHoursService

    end = (utcnow() + timedelta(seconds=seconds)).astimezone(ZoneInfo(ZONE)).replace(microsecond=0)
    start = end + timedelta(seconds=30)
    body = models.QuietHoursIn(timezone=ZONE, start=start.time(), end=end.time())
    QuietHoursService().put_quiet_hours("default", PEOPLE[person], body)


def alice_twice(policy: dict, delays=(1, 60)) -> None:
    """The policy pages alice, then alice and the schedule (bob)."""
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    alice = {"kind": "person", "id": PEOPLE["alice"]}
    steps = [
        {"delay_seconds": delays[0], "targets": [alice]},
        {"delay_seconds": delays[1], "targets": [alice, policy["steps"][1]["targets"][0]]},
    ]
    body = models.PolicyIn.model_validate({**policy, "steps": steps})
    OncallService().update_policy("default", policy["id"], body, "test")


def releases(runtime, incident_id: str) -> list[dict]:
    """The executions that release the incident's held pages."""
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["EscalationStateMachine"]
    found = sfn.list_executions(stateMachineArn=machine)["executions"]
    return [e for e in found if e["name"].startswith(f"esc-{incident_id}-") and "-held-" in e["name"]]


def released(runtime, incident_id: str) -> list[dict]:
    """Its releases, once every one has ended."""
    return wait_for(
        lambda: (found := releases(runtime, incident_id)) and all(e["status"] != "RUNNING" for e in found) and found,
        timeout=120,
    )


def said(incident_id: str, kind: str) -> list:
    from pagerless.incidents.timeline import timeline

    return [entry for entry in timeline(incident_id) if entry.type == kind]


def test_a_page_held_by_quiet_hours_is_sent_once_when_they_end(fast_workflow, scenario, oncall, pages, runtime):
    # Given a high incident's policy that pages alice, then alice and bob a second later; alice's quiet hours
    # (past midnight) end 15 seconds after it opens
    _, policy = oncall()
    alice_twice(policy)
    quiet_until("alice", 15)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    # When both steps have paged: bob at once, alice held back by both
    second = pages.wait_for("1-0")
    assert second["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    first, again = escalation(opened.id).pages
    assert (first["targets"], first["held"], again["held"]) == ([], [PEOPLE["alice"]], [PEOPLE["alice"]])
    assert first["held_until"] == again["held_until"]
    # Then, when her quiet hours end, alice is paged for the first step that held her, once
    held = wait_for(lambda: [j for j in pages() if ":held-" in j["generation"]], timeout=120)
    [run] = released(runtime, opened.id)
    assert run["status"] == "SUCCEEDED"
    assert [j for j in pages() if ":held-" in j["generation"]] == held
    [page] = held
    assert page["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert (page["data"]["step"], page["data"]["held_until"]) == (1, first["held_until"][PEOPLE["alice"]])
    # And the timeline says the page was held until then
    [entry] = wait_for(lambda: said(opened.id, "held_page_sent"), timeout=30)  # written as the page is sent
    assert entry.message.startswith(f"{PEOPLE['alice']} paged: the page of step 1 was held back until")
    assert entry.data["person_id"] == PEOPLE["alice"]
    [step] = [e for e in said(opened.id, "escalation_paged") if e.data["generation"] == "0-0"]
    assert step.message.startswith(f"step 1 paged: nobody reachable (held back by quiet hours: {PEOPLE['alice']}")


@pytest.mark.parametrize("change", ["acknowledge", "resolve"])
def test_a_held_page_is_not_sent_when_the_incident_was_handled_meanwhile(
    fast_workflow, scenario, oncall, pages, runtime, api, operator_key, change
):
    # Given a high incident whose first step held alice back by quiet hours that end 10 seconds after it opens
    oncall(delays=(60, 60, 60))
    quiet_until("alice", 10)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    wait_for(lambda: (record := escalation(opened.id)) and record.pages, timeout=60)
    # When someone acknowledges (or resolves) the incident before they end
    response = api.post(f"/api/incidents/{opened.id}/{change}", headers=auth(operator_key), json={})
    assert response.status_code == 200, response.text
    # Then, when they end, alice is not paged, and the timeline says why
    [run] = released(runtime, opened.id)
    assert run["status"] == "SUCCEEDED"
    assert not [j for j in pages() if ":held-" in j["generation"]]
    [entry] = wait_for(lambda: said(opened.id, "held_page_withheld"), timeout=30)
    reason = "acknowledged by" if change == "acknowledge" else "the incident was resolved"
    assert entry.data["reason"].startswith(reason)
    assert f"quiet hours of {PEOPLE['alice']} was not sent when they ended" in entry.message


def test_a_critical_page_is_not_held_back(fast_workflow, scenario, oncall, pages, runtime):
    # Given alice in her quiet hours and a critical incident
    oncall(delays=(60, 60, 60))
    quiet_until("alice", 60)
    opened = open_incident(scenario)
    # Then alice is paged at once, and nothing waits to page her again
    assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert escalation(opened.id).pages[0]["held"] == []
    assert releases(runtime, opened.id) == []


def test_a_page_held_when_the_runtime_restarts_is_still_sent_when_the_quiet_hours_end(
    fast_workflow, scenario, oncall, pages, runtime
):
    from tests.functional.workflow.escalations import restart

    # Given a high incident whose first step held alice back by quiet hours that end 10 seconds after it opens
    oncall(delays=(60, 60, 60))
    quiet_until("alice", 10)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    wait_for(lambda: (record := escalation(opened.id)) and record.pages, timeout=60)
    # When the runtime restarts while the release waits (every execution ends)
    done = restart(runtime)
    # Then the release is started anew, and alice is paged once when her quiet hours end
    assert [d["incident_id"] for d in done if "held_release" in d] == [opened.id]
    held = wait_for(lambda: [j for j in pages() if ":held-" in j["generation"]], timeout=120)
    assert [page["targets"] for page in held] == [[{"kind": "person", "id": PEOPLE["alice"]}]]
    [entry] = wait_for(lambda: said(opened.id, "held_page_sent"), timeout=30)  # written as the page is sent
    assert entry.data["person_id"] == PEOPLE["alice"]


def test_a_page_held_for_a_high_incident_is_sent_at_once_when_it_is_raised_to_critical(
    fast_workflow, scenario, oncall, pages, runtime
):
    # Given a high incident whose first step held alice back by quiet hours that end in an hour
    oncall(delays=(3600, 60, 60))
    quiet_until("alice", 3600)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    wait_for(lambda: (record := escalation(opened.id)) and record.pages, timeout=60)
    assert escalation(opened.id).pages[0]["held"] == [PEOPLE["alice"]]
    # When its alert fires again as critical (quiet hours hold no critical page back)
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).id == opened.id
    # Then alice is paged now for the page held back, not in an hour, and the timeline says why
    held = wait_for(lambda: [j for j in pages() if ":held-" in j["generation"]], timeout=60)
    assert [page["targets"] for page in held] == [[{"kind": "person", "id": PEOPLE["alice"]}]]
    [entry] = wait_for(lambda: said(opened.id, "held_page_sent"), timeout=30)
    assert entry.message.endswith("was sent when the incident was raised to critical")
