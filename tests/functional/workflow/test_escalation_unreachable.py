"""A step that turns out to reach nobody after it paged does not hold the escalation for its delay: when every person
it held back by quiet hours was deleted before they ended, and nobody else was paged (its other targets resolved to
nobody), the next step is paged at once. On moto's Step Functions with the real escalation ASL, through the API."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for
from tests.functional.workflow.escalations import PEOPLE, escalation
from tests.functional.workflow.test_escalation_quiet_hours import quiet_until, said

pytestmark = pytest.mark.functional


def hold_alice_at_first(oncall, scenario, *, with_empty_schedule: bool) -> dict:
    """A high incident whose first step (an hour before the next) held alice back by quiet hours that end in 15
    seconds; ``with_empty_schedule``: the step also pages a schedule with nobody on call. Step 2 pages bob."""
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    service = OncallService()
    schedule, policy = oncall(delays=(3600, 3600, 3600))
    alice, bob = {"kind": "person", "id": PEOPLE["alice"]}, {"kind": "person", "id": PEOPLE["bob"]}
    first = [alice]
    if with_empty_schedule:
        layer = {**schedule["layers"][0], "rotation_start": "2099-01-05"}
        body = {**schedule, "name": "nobody yet", "services": [], "layers": [layer]}
        body.pop("id")
        empty = service.create_schedule("default", models.ScheduleIn.model_validate(body), "test")
        first.append({"kind": "schedule", "id": empty["id"]})
    steps = [{"delay_seconds": 3600, "targets": first}, {"delay_seconds": 3600, "targets": [bob]}]
    service.update_policy("default", policy["id"], models.PolicyIn.model_validate({**policy, "steps": steps}), "test")
    quiet_until("alice", 15)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    wait_for(lambda: (record := escalation(opened.id)) and record.pages, timeout=60)
    page = escalation(opened.id).pages[0]
    assert (page["targets"], page["held"]) == ([], [PEOPLE["alice"]])
    return {"incident": opened, "policy": policy}


def delete_alice(api, admin_key, policy: dict) -> None:
    """The policy stops naming alice (carol where she was alone), and she is deleted."""
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    service = OncallService()
    stored = service.get_policy("default", policy["id"])
    carol = {"kind": "person", "id": PEOPLE["carol"]}
    steps = [
        {**step, "targets": [t for t in step["targets"] if t["id"] != PEOPLE["alice"]] or [carol]}
        for step in stored["steps"]
    ]
    service.update_policy("default", policy["id"], models.PolicyIn.model_validate({**stored, "steps": steps}), "test")
    response = api.delete(f"/api/people/{PEOPLE['alice']}", headers=auth(admin_key))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("with_empty_schedule", [False, True], ids=["alone", "beside-an-empty-schedule"])
def test_a_step_whose_held_people_turn_out_unreachable_pages_the_next_step_at_once(
    fast_workflow, scenario, oncall, pages, runtime, api, admin_key, with_empty_schedule
):
    # Given alice held back at the first step, an hour before the second (bob)
    given = hold_alice_at_first(oncall, scenario, with_empty_schedule=with_empty_schedule)
    opened = given["incident"]
    waiting = escalation(opened.id).execution_arn
    # When she is deleted before her quiet hours end
    delete_alice(api, admin_key, given["policy"])
    # Then, when they end, bob is paged at once rather than an hour after the first step
    second = pages.wait_for("1-0")
    assert second["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    assert [j["generation"] for j in pages() if ":held-" in j["generation"]] == []
    # And the timeline says why the escalation moved on
    [entry] = said(opened.id, "held_page_unreachable")
    assert entry.message.endswith("; step 1 reached nobody, so step 2 is paged at once")
    assert entry.data["next_step"] == 2
    # And the execution that waited out the first step's delay was stopped; the escalation went on in one execution
    record = escalation(opened.id)
    assert record.execution_arn != waiting
    sfn = runtime.client("stepfunctions")
    assert sfn.describe_execution(executionArn=waiting)["status"] == "ABORTED"
    assert [p["generation"] for p in record.pages] == ["0-0", "1-0"]


def test_a_step_that_also_paged_someone_still_waits_its_delay(
    fast_workflow, scenario, oncall, pages, runtime, api, admin_key
):
    from pagerless.oncall import held

    # Given alice held back at the first step beside carol, who was paged
    _, policy = oncall(delays=(3600, 3600, 3600))
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    both = [{"kind": "person", "id": PEOPLE["alice"]}, {"kind": "person", "id": PEOPLE["carol"]}]
    steps = [
        {"delay_seconds": 3600, "targets": both},
        {"delay_seconds": 3600, "targets": policy["steps"][1]["targets"]},
    ]
    OncallService().update_policy(
        "default", policy["id"], models.PolicyIn.model_validate({**policy, "steps": steps}), "test"
    )
    quiet_until("alice", 15)
    scenario["alert"]["severity"] = "high"
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    waiting = escalation(opened.id).execution_arn
    # When alice is deleted before her quiet hours end
    delete_alice(api, admin_key, policy)
    [entry] = wait_for(lambda: said(opened.id, "held_page_unreachable"), timeout=120)
    # Then carol was reached: the escalation still waits for her step's delay
    record = escalation(opened.id)
    assert "next_step" not in entry.data
    assert held.outcome_of(record, PEOPLE["alice"], record.pages[0]["held_until"][PEOPLE["alice"]]) == "unreachable"
    assert (record.execution_arn, [p["generation"] for p in record.pages]) == (waiting, ["0-0"])
    assert runtime.client("stepfunctions").describe_execution(executionArn=waiting)["status"] == "RUNNING"
