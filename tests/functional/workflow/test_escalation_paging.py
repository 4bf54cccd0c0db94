"""Paging and acknowledging on moto's Step Functions with the real escalation ASL and second-long
delays: each step is paged in turn until someone acknowledges, resolves or an approval times out;
a reopen pages a generation of its own. Pages are read back from the NotifyQueue as the notify
function would receive them (`escalations.Pages`)."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, status_of, wait_for, wait_for_status
from tests.functional.workflow.escalations import (
    PEOPLE,
    escalation,
    execution_status,
    post_alert,
    refired_payload,
    reopen_generations,
    resolved_and_fired_again,
    resolved_payload,
)

pytestmark = pytest.mark.functional


def test_nobody_acks_so_step_two_is_paged_then_an_ack_stops_it(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given a critical payments-api incident and a policy alice -> schedule (bob) -> carol
    oncall(delays=(1, 4, 1))
    opened = open_incident(scenario)
    # When nobody acknowledges
    first = pages.wait_for("0-0")
    second = pages.wait_for("1-0")
    # Then alice was paged first and bob, on call in the schedule, second
    assert first["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert second["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    assert first["incident_id"] == opened.id and second["data"]["step"] == 2
    # When bob acknowledges
    response = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert response.status_code == 200, response.text
    # Then the execution is stopped, the record says why, and carol is never paged
    assert (
        wait_for(lambda: execution_status(runtime, opened.id) != "RUNNING", timeout=60)
        and execution_status(runtime, opened.id) == "ABORTED"
    )
    record = escalation(opened.id)
    assert record.status == "stopped" and record.reason.startswith("acknowledged by")
    assert pages.generations() == ["0-0", "1-0"]


def test_a_tick_that_arrives_after_the_ack_pages_nobody(fast_workflow, scenario, oncall, pages, api, operator_key):
    from pagerless.store.escalations import EscalationRepository
    from pagerless.workflow.steps import run_step

    # Given an escalation that paged its first step and waits for the second
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    in_flight = escalation(opened.id)  # a tick that read the record before the ack
    # When the ack lands, and then that tick (and a later one) runs
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    claimed = EscalationRepository().claim_page(in_flight, {"generation": "1-0", "targets": []})
    late = run_step(
        {
            "step": "escalation_tick",
            "incident_id": opened.id,
            "workspace": "default",
            "generation": "1",
            "cursor": {"step": 1, "repeat": 0},
        }
    )
    # Then the stale claim is refused, the tick stops, and no page follows the ack
    assert claimed is False
    assert late["next"] == "stop"
    assert pages.generations() == ["0-0"]


def test_resolving_the_incident_mid_escalation_ends_it(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an escalation between its first and second step (its second step falls due long after the test: the
    # resolve lands before it however slow the machine, and only the resolve can end the execution in the wait)
    oncall(delays=(600, 3, 3))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When a person resolves the incident
    response = api.post(
        f"/api/incidents/{opened.id}/resolve", json={"note": "rolled back by hand"}, headers=auth(operator_key)
    )
    assert response.status_code == 200, response.text
    # Then the escalation ended (its execution stopped in its wait for step 2) and nobody else is paged
    assert wait_for(lambda: execution_status(runtime, opened.id) == "ABORTED", timeout=60)
    assert escalation(opened.id).status == "ended"
    assert pages.generations() == ["0-0"]


def test_a_repeated_start_is_refused_by_name(fast_workflow, scenario, oncall, pages):
    from pagerless.oncall.engine import start
    from pagerless.store.incidents import IncidentRepository

    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the opening escalation is started again (a retried step)
    again = start(IncidentRepository().get(opened.id), generation="1")
    # Then nothing new starts and nobody is paged twice
    assert again is None
    assert pages.generations() == ["0-0"]


def test_a_step_whose_schedule_has_nobody_on_call_goes_on_to_the_next_step_at_once(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService

    # Given a policy alice -> schedule -> carol whose schedule step waits a minute, and a gap in the
    # schedule (its rotation only starts in 2099: nobody is on call now)
    schedule, _ = oncall(delays=(1, 60, 1))
    layer = {**schedule["layers"][0], "rotation_start": "2099-01-05"}
    OncallService().update_schedule(
        "default", schedule["id"], models.ScheduleIn.model_validate({**schedule, "layers": [layer]}), "test"
    )
    opened = open_incident(scenario)
    # When nobody acknowledges alice's page
    pages.wait_for("0-0")
    # Then the schedule's step reaches nobody, so carol is paged at once, not a minute later
    third = wait_for(lambda: next((j for j in pages() if j["generation"] == "2-0"), None), timeout=30)
    assert third["targets"] == [{"kind": "person", "id": PEOPLE["carol"]}]
    [gap] = [p for p in escalation(opened.id).pages if p["generation"] == "1-0"]
    assert gap["targets"] == [] and gap["held"] == []


def test_a_step_whose_channel_was_deleted_says_so_and_goes_on_to_the_next_step_at_once(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.incidents.timeline import timeline
    from pagerless.notify.config import ChannelService
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.store.notify import ConfigRepository

    # Given a policy alice -> the #ops channel -> carol whose channel step waits a minute
    _, policy = oncall(delays=(1, 60, 1))
    channels = ChannelService(ConfigRepository())
    ops = channels.create("default", {"name": "ops", "channel_type": "webhook", "config": {"url": "https://ops.test/"}})
    steps = [*policy["steps"]]
    steps[1] = {"delay_seconds": 60, "targets": [{"kind": "channel", "id": ops["id"]}]}
    OncallService().update_policy(
        "default", policy["id"], models.PolicyIn.model_validate({**policy, "steps": steps}), "t"
    )
    # And the channel deleted since (data from before a policy's channel was kept: the service deletes it)
    channels.delete("default", ops["id"])
    opened = open_incident(scenario)
    # When nobody acknowledges alice's page
    pages.wait_for("0-0")
    # Then the channel's step reaches nobody, so carol is paged at once, not a minute later
    third = wait_for(lambda: next((j for j in pages() if j["generation"] == "2-0"), None), timeout=30)
    assert third["targets"] == [{"kind": "person", "id": PEOPLE["carol"]}]
    assert "1-0" not in pages.generations()  # no page to a channel that does not exist
    [gap] = [p for p in escalation(opened.id).pages if p["generation"] == "1-0"]
    assert gap["targets"] == [] and gap["missing"] == [ops["id"]]
    # And the timeline says why
    [said] = [t.message for t in timeline(opened.id) if t.type == "escalation_paged" and "step 2" in t.message]
    assert said == (
        f"step 2 paged: nobody reachable (no such channel, deleted since the policy named it: {ops['id']});"
        " step 3 is paged at once"
    )


@pytest.mark.parametrize(
    ("switch", "why"),
    [("disabled", "disabled"), ("switched_off", "its type webhook is switched off in /api/plugins")],
)
def test_a_step_whose_channel_may_not_send_reaches_nobody_and_goes_on_to_the_next_step_at_once(
    fast_workflow, scenario, oncall, pages, runtime, switch, why
):
    from pagerless.incidents.timeline import timeline
    from pagerless.notify.config import ChannelService
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.plugins.state import PluginService
    from pagerless.store.notify import ConfigRepository

    # Given a policy alice -> the #ops webhook channel -> carol whose channel step waits a minute
    _, policy = oncall(delays=(1, 60, 1))
    channels = ChannelService(ConfigRepository())
    ops = channels.create("default", {"name": "ops", "channel_type": "webhook", "config": {"url": "https://ops.test/"}})
    steps = [*policy["steps"]]
    steps[1] = {"delay_seconds": 60, "targets": [{"kind": "channel", "id": ops["id"]}]}
    OncallService().update_policy(
        "default", policy["id"], models.PolicyIn.model_validate({**policy, "steps": steps}), "t"
    )
    # And the channel disabled, or its type switched off in /api/plugins (the notify function sends through neither)
    if switch == "disabled":
        channels.update("default", ops["id"], {"is_enabled": False})
    else:
        PluginService().set_enabled("default", "webhook", False, actor="t", kind="channel")
    opened = open_incident(scenario)
    # When nobody acknowledges alice's page
    pages.wait_for("0-0")
    # Then the channel's step reaches nobody, so carol is paged at once, not a minute later
    third = wait_for(lambda: next((j for j in pages() if j["generation"] == "2-0"), None), timeout=30)
    assert third["targets"] == [{"kind": "person", "id": PEOPLE["carol"]}]
    assert "1-0" not in pages.generations()  # no page to a channel that sends nothing
    [gap] = [p for p in escalation(opened.id).pages if p["generation"] == "1-0"]
    assert gap["targets"] == [] and gap["unusable"] == {ops["id"]: why}
    # And the timeline says why
    [said] = [t.message for t in timeline(opened.id) if t.type == "escalation_paged" and "step 2" in t.message]
    assert (
        said == f"step 2 paged: nobody reachable (channel {ops['id']} reaches nobody: {why}); step 3 is paged at once"
    )


def test_an_approval_nobody_decides_pages_the_next_level(sandbox, scenario, oncall, pages, runtime, monkeypatch):
    from pagerless import settings
    from pagerless.store.escalations import EscalationRepository

    # Given a policy whose first step waits a minute, and an approval that may wait one second
    oncall(delays=(60, 60, 60))
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When nobody decides in time
    wait_for_status(opened.id, "escalated", settled=True, timeout=120)
    # Then the next level (the schedule: bob) is paged at once by a new escalation
    records = wait_for(
        lambda: [r for r in EscalationRepository().for_incident(opened.id) if r.kind == "approval"], timeout=120
    )
    [approval] = records
    paged = wait_for(lambda: next((j for j in pages() if j["generation"].endswith(":1-0")), None), timeout=120)
    assert paged["generation"] == f"{approval.sk}:1-0"
    assert paged["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    assert paged["data"]["kind"] == "approval"
    # and the incident's first escalation was superseded, not left paging alice again
    assert escalation(opened.id).status == "ended"
    assert pages.generations().count("0-0") == 1


def test_a_fix_that_did_not_run_after_its_approval_pages_again(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.store.escalations import EscalationRepository
    from tests.functional.workflow.conftest import store_policy

    # Given alice was paged and approved the proposed fix, which ended the paging (someone is on it)
    oncall(delays=(60, 60, 60))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    wait_for_status(opened.id, "awaiting_approval")
    # And the kill switch was turned on meanwhile, so the fix will not run
    store_policy(kill_switch=True)
    approved = api.post(f"/api/incidents/{opened.id}/approve", headers=auth(operator_key), json={"comment": "go"})
    assert approved.status_code == 200, approved.text
    # When the workflow escalates because nothing ran
    wait_for_status(opened.id, "escalated", settled=True, timeout=120)
    # Then the people are paged again from the policy's first step: the approver went back to bed
    # believing the incident fixed
    again = wait_for(
        lambda: [r for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("e")], timeout=60
    )
    [record] = again
    paged = pages.wait_for(f"{record.sk}:0-0")
    assert paged["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert "kill switch" in record.reason or "escalated" in record.reason


def test_an_incident_its_source_resolves_ends_the_escalation_at_the_next_tick(
    fast_workflow, scenario, oncall, pages, runtime
):
    # Given an escalation that paged its first step and waits 3 seconds for the second
    oncall(delays=(3, 3, 3))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When Alertmanager says the alert is resolved
    post_alert(resolved_payload(scenario["alert"]))
    assert status_of(opened.id) == "resolved"
    # Then the next tick ends the escalation without paging anybody
    assert wait_for(lambda: execution_status(runtime, opened.id) != "RUNNING", timeout=60)
    assert execution_status(runtime, opened.id) == "SUCCEEDED"
    record = escalation(opened.id)
    assert (record.status, record.reason) == ("ended", "the incident was resolved")
    assert pages.generations() == ["0-0"]


def test_a_reopened_incident_starts_a_new_escalation_generation(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an incident that paged, was acknowledged, and was then resolved by its source
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    post_alert(resolved_payload(scenario["alert"]))
    assert status_of(opened.id) == "resolved"
    # When the alert fires again within the reopen window
    assert post_alert(refired_payload(scenario["alert"]))["action"] == "reopened"
    # Then the incident is open and unacknowledged, and a new escalation generation pages step 1 again
    reopened = pages.wait_for(next(g for g in reopen_generations(opened.id)) + ":0-0")
    assert reopened["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    from pagerless.store.incidents import IncidentRepository

    assert IncidentRepository().get(opened.id).acknowledged is False
    assert escalation(opened.id).status == "stopped"  # the first generation stays stopped


def test_a_reopen_before_the_old_escalation_ticked_again_leaves_only_the_new_one_paging(
    fast_workflow, scenario, oncall, pages, runtime
):
    import time as clock

    # Given an escalation that paged alice and waits 3 seconds for bob, nobody having acknowledged
    oncall(delays=(3, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the source resolves the incident and the alert fires again before that next tick
    resolved_and_fired_again(scenario, opened.id)
    [generation] = reopen_generations(opened.id)
    pages.wait_for(f"{generation}:0-0")
    # Then the first escalation ends at its tick instead of paging bob beside the reopen's escalation
    assert wait_for(lambda: escalation(opened.id).status != "running", timeout=60)
    clock.sleep(1)
    assert escalation(opened.id).status == "ended"
    assert "1-0" not in pages.generations()


def test_an_approval_nobody_decides_after_a_reopen_pages_the_level_after_the_reopens_own_pages(
    sandbox, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.store.escalations import EscalationRepository

    # Given an incident whose first run reached carol, the last step, after its approval expired
    oncall(delays=(60, 1, 60))
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    opened = open_incident(scenario)
    wait_for_status(opened.id, "escalated", settled=True, timeout=120)
    wait_for(lambda: next((j for j in pages() if j["generation"].endswith(":2-0")), None), timeout=120)
    # And that was resolved by its source and reopened by the alert firing again
    resolved_and_fired_again(scenario, opened.id)
    [generation] = reopen_generations(opened.id)
    pages.wait_for(f"{generation}:0-0")  # the reopen paged alice, step 1
    before = {r.sk for r in EscalationRepository().for_incident(opened.id)}
    # When the reopen's approval expires too
    second = wait_for(
        lambda: [
            r for r in EscalationRepository().for_incident(opened.id) if r.kind == "approval" and r.sk not in before
        ],
        timeout=120,
    )
    # Then the level after alice is paged (bob, step 2), not the one after the first run's last page
    paged = wait_for(lambda: next((j for j in pages() if j["generation"].startswith(f"{second[0].sk}:")), None))
    assert paged["generation"] == f"{second[0].sk}:1-0"
    assert paged["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]


def test_a_reopens_page_says_it_reopened_and_when_not_only_when_it_first_opened(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.notify import context, render
    from pagerless.outbox.jobs import NotifyJob
    from pagerless.store.incidents import IncidentRepository

    # Given an incident that paged alice, then resolved at its source and fired again: a reopen, paged anew
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    first = pages.wait_for("0-0")
    resolved_and_fired_again(scenario, opened.id)
    [generation] = reopen_generations(opened.id)
    page = pages.wait_for(f"{generation}:0-0")
    reopened_at = IncidentRepository().get(opened.id).reopened_at
    # Then the reopen's page says when it reopened (a page with only the first opening read as the old page again),
    # in English and in Chinese; the first page says only when it opened
    ctx = context.build(NotifyJob(**page))
    assert ctx["reopened_at"] == reopened_at.isoformat()
    for language, reopened in (("en", "Reopened: "), ("zh", "重新打开时间：")):
        shown = context.shown(ctx, language, None)
        title, body = render.render(render.default_template("escalation.page", language), shown, lambda s: s)
        assert ("Reopened" in title or "已重新打开" in title) and reopened in body, (title, body)
    first_ctx = context.build(NotifyJob(**first))
    title, body = render.render(
        render.default_template("escalation.page", "en"), context.shown(first_ctx, "en", None), lambda s: s
    )
    assert "Reopened" not in title + body and "Opened: " in body, (title, body)
