"""The policy decides: denied namespaces, the kill switch, autonomy and no cluster at all."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    incident,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    wait_for_execution_end,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def test_denied_namespace_blocks_the_proposal_with_the_rule_named(sandbox, scenario, runtime):
    # Given a policy that denies the payments namespace
    store_policy(denied_namespaces=["kube-system", "payments"])
    # When the OOM incident runs through the workflow
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then the proposal is blocked by the rule, no approval is asked and nothing ran
    proposal = incident(opened.id).proposal
    assert proposal["status"] == "blocked"
    assert proposal["decision"]["rule"] == "denied_namespace"
    assert "denied_namespace" in proposal["message"]
    assert memory_limit(sandbox) == "256Mi"
    assert incident(opened.id).actions == []
    assert "approval_requested" not in timeline_types(opened.id)
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"


def test_kill_switch_on_means_nothing_runs(sandbox, scenario):
    # Given the kill switch is on
    store_policy(kill_switch=True)
    # When the OOM incident runs through the workflow
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then the proposal names the kill switch and the cluster is untouched
    assert incident(opened.id).proposal["decision"]["rule"] == "kill_switch"
    assert memory_limit(sandbox) == "256Mi"


def test_kill_switch_turned_on_while_waiting_stops_the_approved_action(sandbox, scenario, api, operator_key):
    # Given an incident waiting for approval
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # When the kill switch goes on and then someone approves
    store_policy(kill_switch=True)
    assert api.post(f"/api/incidents/{opened.id}/approve", json={}, headers=auth(operator_key)).status_code == 200
    # Then the action is refused at run time, and the incident is escalated with the rule
    wait_for_status(opened.id, "escalated", settled=True)
    assert memory_limit(sandbox) == "256Mi"
    assert "action_refused" in timeline_types(opened.id)


def test_autonomy_auto_remediates_without_asking(sandbox, scenario):
    # Given a workspace whose policy lets Pagerless act on its own
    store_policy(autonomy="auto")
    # When the OOM incident runs through the workflow
    opened = open_incident(scenario)
    # Then it is fixed and resolved with no approval requested
    wait_for_status(opened.id, "resolved", settled=True)
    assert memory_limit(sandbox) == "512Mi"
    assert incident(opened.id).proposal["decision"]["rule"] == "autonomy:auto"
    assert "approval_requested" not in timeline_types(opened.id)


def test_no_cluster_configured_the_proposal_says_so_and_nothing_pretends_to_run(
    fast_workflow, scenario, api, admin_key
):
    # Given no cluster is configured
    opened = open_incident(scenario)
    # When the workflow runs
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then the context is the alert alone and the proposal says no cluster is configured
    record = incident(opened.id)
    assert record.proposal["status"] == "no_cluster"
    assert "no cluster configured" in record.proposal["message"]
    assert "dry_run" not in record.proposal and record.actions == []
    assert record.diagnosis is not None
    trace = api.get(f"/api/incidents/{opened.id}/workflow", headers=auth(admin_key)).json()
    assert [s["name"] for s in trace["steps"]] == [
        "IncidentOpened",
        "GatherContext",
        "Diagnose",
        "Propose",
        "RouteProposal",
        "Notify",
    ]
