"""Escalation on moto's Step Functions with the real escalation ASL and second-long delays; pages
are read back from the NotifyQueue as the notify function would receive them."""

import json
from contextlib import contextmanager
from datetime import date, time

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for, wait_for_status

pytestmark = pytest.mark.functional


class Pages:
    """Every escalation.page job put on the NotifyQueue so far."""

    def __init__(self, runtime) -> None:
        from pagerless import settings

        self.sqs, self.url, self.seen = runtime.client("sqs"), settings.workflow().notify_queue_url, []

    def __call__(self) -> list[dict]:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                self.seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [job for job in self.seen if job["event"] == "escalation.page"]

    def generations(self) -> list[str]:
        return [job["generation"] for job in self()]

    def wait_for(self, generation: str) -> dict:
        return wait_for(lambda: next((j for j in self() if j["generation"] == generation), None), timeout=120)


@pytest.fixture
def pages(runtime) -> Pages:
    return Pages(runtime)


PEOPLE: dict[str, str] = {}  # first name -> person id of the current test


@pytest.fixture
def oncall(runtime):
    """A schedule with bob on call and a policy for payments-api: alice, then the schedule, then carol."""
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService

    def make(delays=(1, 4, 1), repeat=0):
        people = PeopleService()
        ids = {
            n: people.create("default", name=n.title(), email=f"{n}@example.com").id for n in ("alice", "bob", "carol")
        }
        PEOPLE.clear()
        PEOPLE.update(ids)
        service = OncallService()
        schedule = service.create_schedule(
            "default",
            models.ScheduleIn(
                name="payments primary",
                timezone="Europe/Berlin",
                team="payments-team",
                services=["payments-api"],
                layers=[
                    models.LayerIn(
                        name="primary",
                        participants=[ids["bob"]],
                        rotation_start=date(2026, 1, 1),
                        handoff_time=time(9, 0),
                        rrule="FREQ=WEEKLY",
                    )
                ],
            ),
            "test",
        )
        targets = [
            {"kind": "person", "id": ids["alice"]},
            {"kind": "schedule", "id": schedule["id"]},
            {"kind": "person", "id": ids["carol"]},
        ]
        policy = service.create_policy(
            "default",
            models.PolicyIn.model_validate(
                {
                    "name": "payments",
                    "services": ["payments-api"],
                    "repeat": repeat,
                    "steps": [{"delay_seconds": d, "targets": [t]} for d, t in zip(delays, targets, strict=False)],
                }
            ),
            "test",
        )
        return schedule, policy

    return make


def escalation(incident_id: str, generation: str = "1"):
    from pagerless.store.oncall import EscalationRepository

    return EscalationRepository().get(incident_id, generation)


def execution_status(runtime, incident_id: str, generation: str = "1") -> str:
    arn = wait_for(lambda: (r := escalation(incident_id, generation)) and r.execution_arn, timeout=60)
    return runtime.client("stepfunctions").describe_execution(executionArn=arn)["status"]


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
    from pagerless.store.oncall import EscalationRepository
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
    # Given an escalation between its first and second step
    oncall(delays=(3, 3, 3))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When a person resolves the incident
    response = api.post(
        f"/api/incidents/{opened.id}/resolve", json={"note": "rolled back by hand"}, headers=auth(operator_key)
    )
    assert response.status_code == 200, response.text
    # Then the escalation ended and nobody else is paged
    assert wait_for(lambda: execution_status(runtime, opened.id) != "RUNNING", timeout=60)
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


def test_an_approval_nobody_decides_pages_the_next_level(sandbox, scenario, oncall, pages, runtime, monkeypatch):
    from pagerless import settings
    from pagerless.store.oncall import EscalationRepository

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
    from pagerless.store.oncall import EscalationRepository
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
    from tests.functional.workflow.conftest import (
        _SENDER,
        alertmanager_payload,
        status_of,
    )

    # Given an escalation that paged its first step and waits 3 seconds for the second
    oncall(delays=(3, 3, 3))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When Alertmanager says the alert is resolved
    payload = alertmanager_payload(scenario["alert"])
    payload["status"] = payload["alerts"][0]["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2026-03-11T14:40:00Z"
    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager", json=payload, headers={"Authorization": f"Bearer {_SENDER['key']}"}
    )
    assert response.status_code == 200, response.text
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
    from tests.functional.workflow.conftest import _SENDER, alertmanager_payload, status_of

    # Given an incident that paged, was acknowledged, and was then resolved by its source
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    payload = alertmanager_payload(scenario["alert"])
    payload["status"] = payload["alerts"][0]["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2026-03-11T14:40:00Z"
    headers = {"Authorization": f"Bearer {_SENDER['key']}"}
    assert _SENDER["client"].post("/api/webhooks/alertmanager", json=payload, headers=headers).status_code == 200
    assert status_of(opened.id) == "resolved"
    # When the alert fires again within the reopen window
    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager", json=alertmanager_payload(scenario["alert"]), headers=headers
    )
    assert response.status_code == 200 and response.json()["alerts"][0]["action"] == "reopened", response.text
    # Then the incident is open and unacknowledged, and a new escalation generation pages step 1 again
    reopened = pages.wait_for(next(g for g in _reopen_generations(opened.id)) + ":0-0")
    assert reopened["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    from pagerless.store.incidents import IncidentRepository

    assert IncidentRepository().get(opened.id).acknowledged is False
    assert escalation(opened.id).status == "stopped"  # the first generation stays stopped


def _resolved_and_fired_again(scenario: dict, incident_id: str) -> None:
    """Alertmanager resolves the scenario's alert, which resolves the incident, then fires it again,
    which reopens it."""
    from tests.functional.workflow.conftest import _SENDER, alertmanager_payload, status_of

    headers = {"Authorization": f"Bearer {_SENDER['key']}"}
    resolved = alertmanager_payload(scenario["alert"])
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-03-11T14:40:00Z"
    assert _SENDER["client"].post("/api/webhooks/alertmanager", json=resolved, headers=headers).status_code == 200
    assert status_of(incident_id) == "resolved"
    fired = _SENDER["client"].post(
        "/api/webhooks/alertmanager", json=alertmanager_payload(scenario["alert"]), headers=headers
    )
    assert fired.json()["alerts"][0]["action"] == "reopened", fired.text


def _acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, *, settle_seconds: int):
    """An incident that paged alice, who acknowledged it, and whose alert then resolved and fired again:
    a flap (every re-fire counts as one), whose settle period is ``settle_seconds``."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_CYCLES", "1")
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", str(settle_seconds))
    settings.reset()
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    _resolved_and_fired_again(scenario, opened.id)
    return opened


def _reopen_generations(incident_id: str) -> list[str]:
    from pagerless.store.oncall import EscalationRepository

    found = wait_for(
        lambda: [r.sk for r in EscalationRepository().for_incident(incident_id) if r.sk.startswith("r")], timeout=120
    )
    return found


def _restart(runtime) -> list[dict]:
    """A restart of the embedded runtime ends every execution (moto cannot keep them); `pagerless dev`
    runs the reconciler on start."""
    from pagerless.workflow.reconcile import reconcile

    sfn = runtime.client("stepfunctions")
    for machine in runtime.provisioned.state_machines.values():
        for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"])
    return reconcile(sfn)


def test_a_restart_mid_escalation_pages_the_next_step_and_the_ack_still_stops_it(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given an escalation that paged alice, its first step, and waits one second for the next
    oncall(delays=(1, 4, 1))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the runtime restarts (every execution ends)
    done = _restart(runtime)
    # Then the escalation goes on where it was: bob, the second step, is paged when due
    [resumed] = [d for d in done if d.get("escalation") == "1"]
    assert resumed["resume"] == "step 2" and 0 <= resumed["wait_seconds"] <= 1
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    # And an acknowledge stops the new execution: carol is never paged
    response = api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key))
    assert response.status_code == 200, response.text
    assert wait_for(lambda: execution_status(runtime, opened.id) == "ABORTED", timeout=60)
    assert escalation(opened.id).status == "stopped"
    assert pages.generations() == ["0-0", "1-0"]


def test_a_restart_long_after_a_page_pages_the_overdue_step_at_once(fast_workflow, scenario, oncall, pages, runtime):
    from datetime import datetime, timedelta

    from pagerless.oncall.engine import resume

    # Given an escalation that paged alice and waits an hour for the next step
    oncall(delays=(3600, 1, 1))
    open_incident(scenario)
    first = pages.wait_for("0-0")
    record = escalation(first["incident_id"])
    paged_at = datetime.fromisoformat(record.pages[-1]["at"])
    # Resumed 10 minutes after the page, it waits the 50 minutes left; two hours after, not at all
    assert resume(record, now=paged_at + timedelta(minutes=10))["wait_seconds"] == 3000
    assert resume(escalation(first["incident_id"]), now=paged_at + timedelta(hours=2))["wait_seconds"] == 0
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]


def test_a_reopen_interrupted_before_its_workflow_ran_pages_again_after_a_restart(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    from pagerless.intake.service import IntakeService
    from tests.functional.workflow.conftest import alertmanager_payload, status_of

    # Given an incident that paged, was acknowledged and resolved by its source
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    resolved = alertmanager_payload(scenario["alert"])
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-03-11T14:40:00Z"
    intake = IntakeService(start_workflow=lambda *a, **k: None)  # the process dies before any start
    intake.ingest("alertmanager", resolved, "default")
    assert status_of(opened.id) == "resolved"
    # And reopened by its alert firing again, the process dying before the reopen's workflow started
    [result] = intake.ingest("alertmanager", alertmanager_payload(scenario["alert"]), "default")
    assert result.action == "reopened"
    # When the runtime restarts
    _restart(runtime)
    # Then the reopen's run pages its own escalation generation from the first step
    [generation] = _reopen_generations(opened.id)
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]


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


def test_a_restart_right_after_a_step_that_reached_nobody_pages_the_next_step_at_once(
    fast_workflow, scenario, oncall, pages, runtime
):
    from datetime import datetime, timedelta

    from pagerless.oncall.engine import resume
    from pagerless.store.oncall import EscalationRepository

    # Given an escalation that paged alice and then a step that reached nobody (a schedule's gap),
    # whose tick died before the next one ran
    oncall(delays=(3600, 3600, 1))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    record = escalation(opened.id)
    at = datetime.fromisoformat(record.pages[-1]["at"]) + timedelta(minutes=1)
    gap = {"generation": "1-0", "at": at.isoformat(), "targets": [], "held": []}
    assert EscalationRepository().claim_page(record, gap)
    # When the runtime resumes it ten seconds later
    resumed = resume(escalation(opened.id), now=at + timedelta(seconds=10))
    # Then carol, the step after the gap, is paged at once rather than an hour after the gap
    assert resumed["resume"] == "step 3" and resumed["wait_seconds"] == 0
    assert pages.wait_for("2-0")["targets"] == [{"kind": "person", "id": PEOPLE["carol"]}]


def test_a_reopen_before_the_old_escalation_ticked_again_leaves_only_the_new_one_paging(
    fast_workflow, scenario, oncall, pages, runtime
):
    import time as clock

    # Given an escalation that paged alice and waits 3 seconds for bob, nobody having acknowledged
    oncall(delays=(3, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the source resolves the incident and the alert fires again before that next tick
    _resolved_and_fired_again(scenario, opened.id)
    [generation] = _reopen_generations(opened.id)
    pages.wait_for(f"{generation}:0-0")
    # Then the first escalation ends at its tick instead of paging bob beside the reopen's escalation
    assert wait_for(lambda: escalation(opened.id).status != "running", timeout=60)
    clock.sleep(1)
    assert escalation(opened.id).status == "ended"
    assert "1-0" not in pages.generations()


def test_a_flapping_reopen_keeps_the_escalation_it_did_not_replace_paging(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.store.oncall import EscalationRepository

    # Given alerts that count as flapping from their first re-fire (no new workflow, no new escalation)
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_CYCLES", "1")
    settings.reset()
    # And an escalation that paged alice and waits 3 seconds for bob, nobody having acknowledged
    oncall(delays=(3, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the source resolves the incident and the alert fires again before that next tick
    _resolved_and_fired_again(scenario, opened.id)
    # Then the escalation that was running goes on: bob is paged, the incident is not left unescalated
    pages.wait_for("1-0")
    assert escalation(opened.id).status == "running"
    # (flapping: the reopen started no escalation of its own)
    assert [r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")] == []


def test_a_flapping_incident_whose_alert_then_holds_firing_pages_once_it_has_settled(
    fast_workflow, scenario, oncall, pages, api, operator_key, monkeypatch
):
    from tests.functional.workflow.conftest import incident, timeline_types

    # Given alerts that count as flapping from their first re-fire and settle after 2 seconds of firing
    # And an incident that paged alice, who acknowledged it (its escalation stopped)
    # When its source resolves it and the alert fires again (a flap), and then stays firing
    opened = _acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=2)
    assert incident(opened.id).flapping is True
    # Then once it has fired for the settle period it is a real reopen: alice is paged again, once
    [generation] = _reopen_generations(opened.id)
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    settled = incident(opened.id)
    assert (settled.flapping, settled.acknowledged) == (False, False)
    types = timeline_types(opened.id)
    assert types.count("flapping_stopped") == 1
    # (its run says it started when it went on after the settle wait, not when the wait began)
    assert len(types) - types[::-1].index("workflow_started") > types.index("flapping_stopped"), types
    assert [g for g in pages.generations() if g.startswith(f"{generation}:")] == [f"{generation}:0-0"]


def test_flaps_within_the_settle_period_hold_the_page_back_and_the_last_one_pages_once(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):
    from pagerless.store.oncall import EscalationRepository
    from tests.functional.workflow.conftest import incident, timeline_types

    # Given alerts that count as flapping from their first re-fire and settle after 4 seconds of firing
    # And an incident that paged alice, who acknowledged it
    # When the alert resolves and fires again twice within the settle period, then stays firing
    opened = _acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=4)
    first = incident(opened.id).execution_arn
    _resolved_and_fired_again(scenario, opened.id)
    last = incident(opened.id).execution_arn
    assert first != last
    # Then only the last flap's run pages, once, after the settle period; the first one ends quietly
    [generation] = _reopen_generations(opened.id)
    assert last.endswith(f"-{generation}")
    pages.wait_for(f"{generation}:0-0")
    sfn = runtime.client("stepfunctions")
    assert wait_for(lambda: sfn.describe_execution(executionArn=first)["status"] == "SUCCEEDED", timeout=30)
    assert [r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")] == [generation]
    assert timeline_types(opened.id).count("flapping_stopped") == 1


def test_an_approval_nobody_decides_after_a_reopen_pages_the_level_after_the_reopens_own_pages(
    sandbox, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.store.oncall import EscalationRepository

    # Given an incident whose first run reached carol, the last step, after its approval expired
    oncall(delays=(60, 1, 60))
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    opened = open_incident(scenario)
    wait_for_status(opened.id, "escalated", settled=True, timeout=120)
    wait_for(lambda: next((j for j in pages() if j["generation"].endswith(":2-0")), None), timeout=120)
    # And that was resolved by its source and reopened by the alert firing again
    _resolved_and_fired_again(scenario, opened.id)
    [generation] = _reopen_generations(opened.id)
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


def test_a_tick_that_fails_for_longer_than_its_retries_is_tried_again_and_pages(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    import time as clock

    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "3600")
    settings.reset()
    # Given an escalation that paged alice and pages bob two seconds later
    oncall(delays=(2, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the NotifyQueue cannot be reached for longer than the tick's own retries (about a minute)
    sqs, url = runtime.client("sqs"), settings.workflow().notify_queue_url
    sqs.delete_queue(QueueUrl=url)
    wait_for(lambda: len(escalation(opened.id).pages) == 2, timeout=30)  # bob's page claimed, not queued
    clock.sleep(75)
    assert execution_status(runtime, opened.id) == "RUNNING"
    sqs.create_queue(QueueName=url.rsplit("/", 1)[-1])
    # Then the escalation is tried again once the queue is back, and bob is paged
    assert pages.wait_for("1-0")["targets"] == [{"kind": "person", "id": PEOPLE["bob"]}]
    assert escalation(opened.id).status == "running"


def test_an_incident_its_source_raises_to_a_severity_a_policy_covers_is_paged(
    fast_workflow, scenario, oncall, pages, api, operator_key
):
    # Given a payments-api warning: the policy covers critical and high, so nobody was paged when it opened
    oncall(delays=(30, 30, 30))
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    assert escalation(opened.id) is None and pages.generations() == []
    # When its source fires it again as critical (a Warn monitor gone to Alert)
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).severity == "critical"
    # Then the policy's first step is paged, once, as at an opening
    first = pages.wait_for("0-0")
    assert first["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert "severity raised" in escalation(opened.id).reason
    # And the alert firing again at critical starts nothing more
    open_incident(scenario)
    assert pages.generations() == ["0-0"]


def test_a_raised_incident_someone_acknowledged_is_not_paged(fast_workflow, scenario, oncall, pages, api, operator_key):
    # Given a warning someone already acknowledged
    oncall(delays=(30, 30, 30))
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    # When its source raises it to critical
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).severity == "critical"
    # Then nobody is paged: the person who took it has it
    assert escalation(opened.id) is None and pages.generations() == []


def test_a_flapping_incident_its_source_raises_is_paged_only_once_it_has_settled(
    fast_workflow, scenario, oncall, pages, monkeypatch
):
    from pagerless import settings
    from pagerless.store.oncall import EscalationRepository

    # Given a payments-api warning (nobody paged: the policy covers critical and high) that flapped
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_CYCLES", "1")
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", "4")
    settings.reset()
    oncall(delays=(30, 30, 30))
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    _resolved_and_fired_again(scenario, opened.id)
    # When its source fires it again as critical while it still flaps
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).severity == "critical"
    # Then nobody is paged yet: pages are held back while it flaps
    assert EscalationRepository().for_incident(opened.id) == []
    # And once its alert has held firing for the settle period, the policy's first step is paged, once
    [generation] = _reopen_generations(opened.id)
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert pages.generations() == [f"{generation}:0-0"]


class _EscalationStartFailsOnce:
    """The real Step Functions client, whose first StartExecution of an escalation fails: the
    process that raised the incident's severity stops before its page is started."""

    def __init__(self, real) -> None:
        self.real, self.failed = real, False

    def __getattr__(self, name):
        return getattr(self.real, name)

    def start_execution(self, **kwargs):
        if (
            not self.failed
            and ":stateMachine:" in kwargs["stateMachineArn"]
            and "escalation" in kwargs["stateMachineArn"]
        ):
            from botocore.exceptions import ClientError

            self.failed = True
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")
        return self.real.start_execution(**kwargs)


def test_a_raise_whose_page_did_not_start_is_paged_when_its_delivery_is_retried(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless import step_functions
    from tests.functional.workflow.conftest import _SENDER, alertmanager_payload, incident

    # Given a payments-api warning nobody was paged for (the policy covers critical and high)
    oncall(delays=(30, 30, 30))
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    # And Step Functions failing the next escalation start (the raise is written, its page is not started)
    failing = _EscalationStartFailsOnce(step_functions.client())
    monkeypatch.setattr(step_functions, "client", lambda: failing)
    # When its source raises it to critical through the alert queue, whose delivery SQS retries if it fails
    scenario["alert"]["severity"] = "critical"
    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager?sync=false",
        json=alertmanager_payload(scenario["alert"]),
        headers={"Authorization": f"Bearer {_SENDER['key']}"},
    )
    assert response.status_code == 202, response.text
    runtime.poller.drain()
    # Then the raise was written once, and the retried delivery pages the policy's first step, once
    # (read from the escalation: the drain also ran the notify function on its job)
    assert failing.failed and incident(opened.id).severity == "critical"
    paged = wait_for(lambda: (r := escalation(opened.id)) and r.pages and r, timeout=30)
    assert [p["generation"] for p in paged.pages] == ["0-0"]
    assert paged.pages[0]["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert "severity raised" in paged.reason and incident(opened.id).raise_page_due is None


def _post(payload: dict) -> dict:
    from tests.functional.workflow.conftest import _SENDER

    headers = {"Authorization": f"Bearer {_SENDER['key']}"}
    response = _SENDER["client"].post("/api/webhooks/alertmanager", json=payload, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["alerts"][0]


def test_a_flapping_incident_held_open_whose_alert_fires_again_pages_once_it_has_settled(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):
    from pagerless.store.oncall import EscalationRepository
    from tests.functional.workflow.conftest import alertmanager_payload, incident, status_of

    # Given alerts that count as flapping from their first re-fire and settle after 3 seconds of firing
    # And an incident that paged alice, who acknowledged it, and then flapped (its settle run waits)
    opened = _acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=3)
    settle_run = incident(opened.id).execution_arn
    # And a second alert of payments-api firing with it (a correlated child: it holds the incident open)
    child = alertmanager_payload({**scenario["alert"], "title": "PaymentsApiLatency"})
    child["alerts"][0]["fingerprint"] = "ffff000011112222"
    assert _post(child)["group_id"] == opened.id
    # When its own alert resolves (the incident stays open for its child), so its settle run ends quietly
    resolved = alertmanager_payload(scenario["alert"])
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-03-11T14:40:00Z"
    _post(resolved)
    assert status_of(opened.id) == "open"
    sfn = runtime.client("stepfunctions")
    assert wait_for(lambda: sfn.describe_execution(executionArn=settle_run)["status"] == "SUCCEEDED", timeout=30)
    # And its alert fires again and holds firing
    assert _post(alertmanager_payload(scenario["alert"]))["action"] == "refired"
    # Then once it has fired for the settle period it is paged: alice again, under a run of its own
    generation = wait_for(
        lambda: next((r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")), None),
        timeout=30,
    )
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).flapping is False


def test_a_flapping_incident_no_run_holds_gets_its_settle_run_from_the_scheduled_sweep_once(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.oncall import EscalationRepository
    from tests.conftest import ROOT
    from tests.functional.workflow.conftest import incident

    # Given an incident that paged alice, who acknowledged it, and that flapped
    opened = _acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=60)
    # And that a version from before the settle runs reopened an hour ago: open, flapping, no execution
    sfn, settle_run = runtime.client("stepfunctions"), incident(opened.id).execution_arn

    def stopped() -> bool:
        try:  # moto refuses to stop an execution in the moment it starts
            sfn.stop_execution(executionArn=settle_run)
        except Exception:  # noqa: BLE001
            return False
        return sfn.describe_execution(executionArn=settle_run)["status"] != "RUNNING"

    wait_for(stopped, timeout=10)
    IncidentRecord.get(opened.id).update(
        actions=[
            IncidentRecord.execution_arn.remove(),
            IncidentRecord.reopened_at.set(datetime.now(UTC) - timedelta(hours=1)),
            IncidentRecord.flap_fired_at.remove(),  # that version did not record it
        ]
    )
    assert (incident(opened.id).status, incident(opened.id).flapping) == ("open", True)
    # When the template's scheduled sweep fires, and runs again while the run it started goes on
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-FlapSweep"]
    [started] = runtime.scheduler.fire(target)["result"]["started"]
    again = runtime.lambdas.invoke(
        runtime.lambdas.by_logical_id["ScheduledFunction"].name,
        json.loads((ROOT / "events" / "scheduled" / "flap_sweep.json").read_text()),
    )
    # Then one settle run was started, which (the alert having fired for an hour) pages alice again
    assert started["settle_seconds"] == 0 and started["settle"].startswith(f"{opened.id}-r")
    assert again == {"job": "flap-sweep", "result": {"started": []}}
    generation = wait_for(
        lambda: next((r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")), None),
        timeout=30,
    )
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).flapping is False
    # And a sweep after it has settled starts nothing
    assert runtime.scheduler.fire(target)["result"]["started"] == []


def test_a_flapping_incident_from_before_the_settle_runs_is_paged_after_a_restart_once_settled(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.oncall import EscalationRepository
    from tests.functional.workflow.conftest import incident

    # Given an incident that paged alice, who acknowledged it, and that a version from before the
    # settle runs reopened as a flap an hour ago (open, flapping, no execution)
    opened = _acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=60)
    IncidentRecord.get(opened.id).update(
        actions=[
            IncidentRecord.execution_arn.remove(),
            IncidentRecord.reopened_at.set(datetime.now(UTC) - timedelta(hours=1)),
            IncidentRecord.flap_fired_at.remove(),  # that version did not record it
        ]
    )
    # When the runtime restarts (its reconciler resumes the incident)
    _restart(runtime)
    # Then its resumed run settles it and pages alice again, under a generation of its own
    generation = wait_for(
        lambda: next((r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")), None),
        timeout=30,
    )
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).flapping is False


class _Crash(BaseException):
    """The process dies where it stands (a Lambda timeout, an out-of-memory kill): no handler runs."""


@contextmanager
def _before_escalation_starts(act):
    """Call ``act(params)`` before every StartExecution of an escalation, through botocore's event
    system on the real Step Functions client (``act`` may raise, as the call would)."""
    from pagerless import step_functions

    def hook(params, **_):
        if "escalation" in params.get("stateMachineArn", ""):
            act(params)

    events = step_functions.client().meta.events
    events.register("before-parameter-build.sfn.StartExecution", hook)
    try:
        yield
    finally:
        events.unregister("before-parameter-build.sfn.StartExecution", hook)


def test_an_opening_escalation_whose_start_crashed_pages_once_when_its_step_is_retried(
    fast_workflow, scenario, oncall, pages
):
    from pagerless.oncall.starts import start_for_opened

    # Given an incident whose opening step ran before a policy covered payments-api (nobody paged)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    assert escalation(opened.id) is None
    oncall(delays=(30, 30, 30))
    crashed: list[str] = []

    def crash_once(params) -> None:
        if not crashed:
            crashed.append(params["name"])
            raise _Crash

    with _before_escalation_starts(crash_once):
        # When the process running the opening step dies after the escalation's record is written,
        # before its StartExecution
        with pytest.raises(_Crash):
            start_for_opened(opened.id, opened.id)
        assert crashed and escalation(opened.id).execution_arn is None
        # And the step is retried
        retried = start_for_opened(opened.id, opened.id)
    # Then the retry starts the escalation's execution, which pages the first step
    assert retried == {"escalation": f"esc-{opened.id}-1"}
    assert pages.wait_for("0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    # And a further retry starts nothing more: the first step is paged once
    assert start_for_opened(opened.id, opened.id) == {"escalation": None}
    assert pages.generations() == ["0-0"]
    assert escalation(opened.id).execution_arn.endswith(f":esc-{opened.id}-1")


def _raise_through_the_alert_queue(scenario, runtime) -> None:
    """Its source fires the scenario's alert again as critical, through the alert queue (whose
    delivery SQS retries if it fails); the queue is drained."""
    from tests.functional.workflow.conftest import _SENDER, alertmanager_payload

    scenario["alert"]["severity"] = "critical"
    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager?sync=false",
        json=alertmanager_payload(scenario["alert"]),
        headers={"Authorization": f"Bearer {_SENDER['key']}"},
    )
    assert response.status_code == 202, response.text
    runtime.poller.drain()


def test_a_raise_whose_delivery_crashed_before_its_page_started_is_paged_once_when_retried(
    fast_workflow, scenario, oncall, pages, runtime
):
    from botocore.exceptions import ClientError

    from pagerless.store.oncall import EscalationRecord
    from tests.functional.workflow.conftest import incident

    # Given a payments-api warning nobody was paged for (the policy covers critical and high)
    oncall(delays=(30, 30, 30))
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    # And the delivery that raises it dies between the escalation's record and its StartExecution:
    # the call fails, and so does anything the process would have done after it
    failed: list[str] = []

    def fail_once(params) -> None:
        if not failed:
            failed.append(params["name"])
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    def nothing_after(params, **_) -> None:
        if failed and params["Key"]["pk"]["S"].startswith("escalation#") and len(failed) == 1:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "gone"}}, "DeleteItem")

    dynamodb = EscalationRecord._get_connection().connection.client.meta.events
    dynamodb.register("before-parameter-build.dynamodb.DeleteItem", nothing_after)
    try:
        with _before_escalation_starts(fail_once):
            # When its source raises it to critical through the alert queue, which retries the delivery
            _raise_through_the_alert_queue(scenario, runtime)
    finally:
        dynamodb.unregister("before-parameter-build.dynamodb.DeleteItem", nothing_after)
    # Then the retried delivery starts the escalation the crashed one left, which pages the first step once
    assert failed and incident(opened.id).severity == "critical"
    paged = wait_for(lambda: (r := escalation(opened.id)) and r.pages and r, timeout=30)
    assert [p["generation"] for p in paged.pages] == ["0-0"]
    assert paged.pages[0]["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).raise_page_due is None


def test_a_duplicate_delivery_that_lost_the_escalation_race_leaves_the_raise_page_to_a_started_one(
    fast_workflow, scenario, oncall, pages, runtime
):
    from botocore.exceptions import ClientError

    from tests.functional.workflow.conftest import incident

    # Given a payments-api warning nobody was paged for (the policy covers critical and high)
    oncall(delays=(30, 30, 30))
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    starts: list[str] = []

    def duplicate_then_fail(params) -> None:
        starts.append(params["name"])
        if len(starts) == 1:
            # a duplicate of the delivery arrives while this one is about to start the escalation ...
            assert open_incident(scenario).severity == "critical"
            # ... and this one's StartExecution then fails
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    # When its source raises it to critical through the alert queue, and a duplicate delivery races it
    with _before_escalation_starts(duplicate_then_fail):
        _raise_through_the_alert_queue(scenario, runtime)
    # Then the raise is paged: the policy's first step, once
    assert starts and incident(opened.id).severity == "critical"
    paged = wait_for(lambda: (r := escalation(opened.id)) and r.pages and r, timeout=30)
    assert [p["generation"] for p in paged.pages] == ["0-0"]
    assert paged.pages[0]["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).raise_page_due is None


def test_an_opening_escalation_that_did_not_start_does_not_hold_back_the_workflows_own(
    fast_workflow, scenario, oncall, pages, runtime
):
    from botocore.exceptions import ClientError

    from pagerless.incidents.timeline import timeline
    from pagerless.oncall.starts import start_for_workflow_escalation

    # Given an incident whose opening escalation could not start (Step Functions refused it, and
    # every retry of the workflow's step)
    oncall(delays=(30, 30, 30))
    refused: list[str] = []

    def refuse_opening(params) -> None:
        if params["name"].endswith("-1"):
            refused.append(params["name"])
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    with _before_escalation_starts(refuse_opening):
        opened = open_incident(scenario)
        wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)  # handed to humans: no cluster
    assert refused and "escalation_failed" in [e.type for e in timeline(opened.id)]
    assert pages.generations() == []
    # When the workflow hands the incident to humans
    started = start_for_workflow_escalation(opened.id, "nothing to run")
    # Then its escalation pages the policy's first step: the one that never started holds nothing back
    assert started["escalation"] is not None
    assert pages.wait_for(f"{started['escalation'].rsplit('-', 1)[-1]}:0-0")["targets"] == [
        {"kind": "person", "id": PEOPLE["alice"]}
    ]
    assert escalation(opened.id).status == "ended"
