"""Escalations of flapping incidents and of incidents whose source raises their severity: a flap
holds its page back until the alert has settled, and a raise to a severity a policy covers pages
as an opening would."""

import json

import pytest

from tests.conftest import ROOT, auth
from tests.functional.workflow.conftest import (
    alertmanager_payload,
    incident,
    open_incident,
    status_of,
    timeline_types,
    wait_for,
)
from tests.functional.workflow.escalations import (
    PEOPLE,
    acknowledged_flap,
    escalation,
    flapping_from_the_first_refire,
    post_alert,
    refired_payload,
    reopen_generations,
    resolved_and_fired_again,
    resolved_payload,
    ticked,
    unpaged_warning,
)

pytestmark = pytest.mark.functional


def test_a_flapping_reopen_keeps_the_escalation_it_did_not_replace_paging(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless.store.escalations import EscalationRepository

    # Given alerts that count as flapping from their first re-fire (no new workflow, no new escalation)
    flapping_from_the_first_refire(monkeypatch)
    # And an escalation that paged alice and waits 3 seconds for bob, nobody having acknowledged
    oncall(delays=(3, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    # When the source resolves the incident and the alert fires again before that next tick
    resolved_and_fired_again(scenario, opened.id)
    # Then the escalation that was running goes on: bob is paged, the incident is not left unescalated
    pages.wait_for("1-0")
    assert escalation(opened.id).status == "running"
    # (flapping: the reopen started no escalation of its own)
    assert [r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")] == []


def test_a_flapping_incident_whose_alert_then_holds_firing_pages_once_it_has_settled(
    fast_workflow, scenario, oncall, pages, api, operator_key, monkeypatch
):
    # Given alerts that count as flapping from their first re-fire and settle after 2 seconds of firing
    # And an incident that paged alice, who acknowledged it (its escalation stopped)
    # When its source resolves it and the alert fires again (a flap), and then stays firing
    opened = acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=2)
    assert incident(opened.id).flapping is True
    # Then once it has fired for the settle period it is a real reopen: alice is paged again, once
    [generation] = reopen_generations(opened.id)
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
    from pagerless.store.escalations import EscalationRepository

    # Given alerts that count as flapping from their first re-fire and settle after 4 seconds of firing
    # And an incident that paged alice, who acknowledged it
    # When the alert resolves and fires again twice within the settle period, then stays firing
    opened = acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=4)
    first = incident(opened.id).execution_arn
    resolved_and_fired_again(scenario, opened.id)
    last = incident(opened.id).execution_arn
    assert first != last
    # Then only the last flap's run pages, once, after the settle period; the first one ends quietly
    [generation] = reopen_generations(opened.id)
    assert last.endswith(f"-{generation}")
    pages.wait_for(f"{generation}:0-0")
    sfn = runtime.client("stepfunctions")
    assert wait_for(lambda: sfn.describe_execution(executionArn=first)["status"] == "SUCCEEDED", timeout=30)
    assert [r.sk for r in EscalationRepository().for_incident(opened.id) if r.sk.startswith("r")] == [generation]
    assert timeline_types(opened.id).count("flapping_stopped") == 1


def test_a_flapping_incident_held_open_whose_alert_fires_again_pages_once_it_has_settled(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):

    # Given alerts that count as flapping from their first re-fire and settle after 3 seconds of firing
    # And an incident that paged alice, who acknowledged it, and then flapped (its settle run waits)
    opened = acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=3)
    settle_run = incident(opened.id).execution_arn
    # And a second alert of payments-api firing with it (a correlated child: it holds the incident open)
    child = alertmanager_payload({**scenario["alert"], "title": "PaymentsApiLatency"})
    child["alerts"][0]["fingerprint"] = "ffff000011112222"
    assert post_alert(child)["group_id"] == opened.id
    # When its own alert resolves (the incident stays open for its child), so its settle run ends quietly
    post_alert(resolved_payload(scenario["alert"]))
    assert status_of(opened.id) == "open"
    sfn = runtime.client("stepfunctions")
    assert wait_for(lambda: sfn.describe_execution(executionArn=settle_run)["status"] == "SUCCEEDED", timeout=30)
    # And its alert fires again and holds firing
    assert post_alert(refired_payload(scenario["alert"]))["action"] == "refired"
    # Then once it has fired for the settle period it is paged: alice again, under a run of its own
    generation = reopen_generations(opened.id, timeout=30)[0]
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).flapping is False


def test_a_flapping_incident_no_run_holds_gets_its_settle_run_from_the_scheduled_sweep_once(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from pagerless.store.incidents import IncidentRecord

    # Given an incident that paged alice, who acknowledged it, and that flapped
    opened = acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, settle_seconds=60)
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
    generation = reopen_generations(opened.id, timeout=30)[0]
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert incident(opened.id).flapping is False
    # And a sweep after it has settled starts nothing
    assert runtime.scheduler.fire(target)["result"]["started"] == []


def test_an_incident_its_source_raises_to_a_severity_a_policy_covers_is_paged(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given a payments-api warning: the policy covers critical and high, so nobody was paged when it opened
    oncall(delays=(30, 30, 30))
    opened = unpaged_warning(scenario)
    assert escalation(opened.id) is None and pages.generations() == []
    # When its source fires it again as critical (a Warn monitor gone to Alert)
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).severity == "critical"
    # Then the policy's first step is paged, once, as at an opening
    first = pages.wait_for("0-0")
    assert first["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    assert "severity raised" in escalation(opened.id).reason
    # And the alert firing again at critical starts nothing more (once whatever it started has ticked)
    open_incident(scenario)
    ticked(runtime, opened.id)
    assert pages.generations() == ["0-0"]


def test_a_raised_incident_someone_acknowledged_is_not_paged(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime
):
    # Given a warning someone already acknowledged
    oncall(delays=(30, 30, 30))
    opened = unpaged_warning(scenario)
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    # When its source raises it to critical
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).severity == "critical"
    # Then nobody is paged: the person who took it has it (once whatever the raise started has ticked)
    ticked(runtime, opened.id)
    assert escalation(opened.id) is None and pages.generations() == []


def test_a_flapping_incident_its_source_raises_is_paged_only_once_it_has_settled(
    fast_workflow, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless.store.escalations import EscalationRepository

    # Given a payments-api warning (nobody paged: the policy covers critical and high) that flapped
    flapping_from_the_first_refire(monkeypatch, settle_seconds=4)
    oncall(delays=(30, 30, 30))
    opened = unpaged_warning(scenario)
    resolved_and_fired_again(scenario, opened.id)
    # When its source fires it again as critical while it still flaps
    scenario["alert"]["severity"] = "critical"
    assert open_incident(scenario).severity == "critical"
    # Then nobody is paged yet: pages are held back while it flaps
    assert EscalationRepository().for_incident(opened.id) == []
    # And once its alert has held firing for the settle period, the policy's first step is paged, once
    [generation] = reopen_generations(opened.id)
    assert pages.wait_for(f"{generation}:0-0")["targets"] == [{"kind": "person", "id": PEOPLE["alice"]}]
    # (once every execution of the incident has ticked: a duplicate page would be on its way by then)
    ticked(runtime, opened.id)
    assert pages.generations() == [f"{generation}:0-0"]
