"""Reject, double approve, approving too late or after a reject, and the approval timeout."""

import json

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    incident,
    memory_limit,
    open_incident,
    timeline_types,
    wait_for,
    wait_for_execution_end,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def test_reject_runs_nothing_and_leaves_the_incident_diagnosed(sandbox, scenario, api, operator_key, runtime):
    from pagerless.api.security import key_service

    operator = key_service().authenticate(operator_key).key_id
    # Given an OOM incident waiting for approval
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # When an operator rejects it
    response = api.post(
        f"/api/incidents/{opened.id}/reject", json={"comment": "not during the sale"}, headers=auth(operator_key)
    )
    # Then nothing ran and the incident is diagnosed; approving afterwards is a conflict
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["status"] == "rejected"
    wait_for_status(opened.id, "diagnosed", settled=True)
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"
    assert memory_limit(sandbox) == "256Mi"
    assert incident(opened.id).actions == []
    late = api.post(
        f"/api/incidents/{opened.id}/approve", json={"comment": "changed my mind"}, headers=auth(operator_key)
    )
    assert late.status_code == 409
    assert "already rejected" in late.json()["error"]["message"]
    assert "rejected" in timeline_types(opened.id)
    assert incident(opened.id).approval["status"] == "rejected" and "task_token" not in incident(opened.id).approval
    trace = api.get(f"/api/incidents/{opened.id}/workflow", headers=auth(operator_key)).json()
    assert [s["name"] for s in trace["steps"]][-1] == "Rejected"
    # And the workflow's trace says who rejected it, and why (the rejection's cause, as Step Functions keeps it)
    [asked] = [s for s in trace["steps"] if s["name"] == "RequestApproval"]
    assert (asked["status"], asked["error"]) == ("failed", "ApprovalRejected"), asked
    assert asked["cause"] == f"rejected by {operator}: not during the sale", asked


def test_double_approve_answers_the_first_decision_and_runs_one_remediation(
    sandbox, scenario, api, operator_key, runtime, admin_key
):
    # Given an OOM incident waiting for approval
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # When the approve button is clicked twice (the second time by someone else)
    first = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    second = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go!"}, headers=auth(admin_key))
    # Then both are answered with the first decision, and exactly one remediation runs
    assert first.status_code == second.status_code == 200
    assert first.json()["changed"] is True and second.json()["changed"] is False
    assert second.json()["approval"]["decided_by"] == first.json()["approval"]["decided_by"]
    assert second.json()["approval"]["comment"] == "go"
    wait_for_status(opened.id, "resolved", settled=True)
    assert len(incident(opened.id).actions) == 1
    assert timeline_types(opened.id).count("approved") == 1
    # and the audit log names who decided, and why
    audit = api.get("/api/audit-logs?action=POST /api/incidents", headers=auth(admin_key)).json()["items"]
    decisions = [a["details"] for a in audit if a["details"].get("decision") == "approve"]
    assert {d["changed"] for d in decisions} == {True, False}
    assert {d["comment"] for d in decisions} == {"go", "go!"}


def test_approval_timeout_escalates_and_a_late_approval_is_a_conflict(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless import settings

    # Given an approval that may wait one second
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    opened = open_incident(scenario)
    # When nobody decides in time
    wait_for_status(opened.id, "escalated", settled=True)
    # Then the approval expired, nothing ran, and approving now is a 409 saying so
    assert memory_limit(sandbox) == "256Mi"
    late = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "sorry, late"}, headers=auth(operator_key))
    assert late.status_code == 409
    assert "timed out" in late.json()["error"]["message"]
    expired = api.get("/api/approvals?status=expired", headers=auth(operator_key)).json()["items"]
    assert [a["incident_id"] for a in expired] == [opened.id]
    types = timeline_types(opened.id)
    assert "approval_expired" in types and "escalated" in types
    trace = api.get(f"/api/incidents/{opened.id}/workflow", headers=auth(operator_key)).json()
    request = next(s for s in trace["steps"] if s["name"] == "RequestApproval")
    assert request["error"] == "States.Timeout" and request["status"] == "failed"
    assert trace["steps"][-1]["name"] == "ApprovalTimedOut"


def test_approving_an_incident_without_a_pending_approval_is_not_found(runtime, api, operator_key, scenario):
    # Given an incident with no approval request (no cluster: nothing to approve)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # When an operator approves it
    response = api.post(f"/api/incidents/{opened.id}/approve", json={}, headers=auth(operator_key))
    # Then 404: there is nothing to approve
    assert response.status_code == 404


def test_viewers_cannot_approve(sandbox, scenario, api, viewer_key):
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    response = api.post(f"/api/incidents/{opened.id}/approve", json={}, headers=auth(viewer_key))
    assert response.status_code == 403
    assert wait_for(lambda: incident(opened.id).status == "awaiting_approval")


def test_a_person_resolving_the_incident_stops_the_workflow(sandbox, scenario, api, operator_key, runtime, monkeypatch):
    from pagerless import settings

    # Given an incident waiting (two seconds at most) for approval
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "2")
    settings.reset()
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # When an operator resolves it by hand, then someone approves the stale proposal
    resolved = api.post(
        f"/api/incidents/{opened.id}/resolve", json={"note": "fixed by hand"}, headers=auth(operator_key)
    )
    assert resolved.status_code == 200, resolved.text
    response = api.post(f"/api/incidents/{opened.id}/approve", json={}, headers=auth(operator_key))
    # Then the approval is refused, nothing runs, and the workflow ends without touching the incident
    assert response.status_code == 409
    assert "nothing to decide" in response.json()["error"]["message"]
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"
    assert incident(opened.id).status == "resolved"
    assert memory_limit(sandbox) == "256Mi"


def test_approving_names_the_approval_reviewed_and_a_wrong_one_changes_nothing(
    sandbox, scenario, api, operator_key, runtime
):
    # Given an OOM incident waiting for approval
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    [pending] = [a for a in api.get("/api/approvals", headers=auth(operator_key)).json()["items"]]
    # When an operator approves naming an approval the incident does not have
    wrong = api.post(
        f"/api/incidents/{opened.id}/approve", json={"approval_id": "no-such-approval"}, headers=auth(operator_key)
    )
    # Then it is refused in the error format and nothing ran
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "NOT_FOUND", wrong.text
    assert incident(opened.id).status == "awaiting_approval" and memory_limit(sandbox) == "256Mi"
    # And naming the one reviewed approves it
    right = api.post(
        f"/api/incidents/{opened.id}/approve",
        json={"approval_id": pending["approval_id"], "comment": "go"},
        headers=auth(operator_key),
    )
    assert right.status_code == 200 and right.json()["approval"]["approval_id"] == pending["approval_id"]
    wait_for_status(opened.id, "resolved", settled=True)


def test_an_approval_of_an_earlier_plan_does_not_approve_the_plan_that_replaced_it(
    sandbox, scenario, api, operator_key, runtime
):
    import copy

    from pagerless.store.incident_updates import set_fields
    from pagerless.workflow.remediate import remediate
    from tests.functional.workflow.conftest import _stop_running_executions

    # Given an approval of the proposal as it was shown: raise the memory limit to 512Mi
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _stop_running_executions(runtime)
    from pagerless.domain.approvals import APPROVED
    from pagerless.store.approvals import ApprovalRepository

    repository = ApprovalRepository()
    assert repository.decide(repository.latest(opened.id), APPROVED, actor="alice", role="operator")
    # And the proposal replaced since by another plan (8Gi) that nobody was shown
    proposal = copy.deepcopy(incident(opened.id).proposal)
    changed = json.dumps(proposal["plan"]).replace("512Mi", "8Gi")
    assert changed != json.dumps(proposal["plan"])
    set_fields(opened.id, proposal={**proposal, "plan": json.loads(changed)})
    # When the Remediate step runs
    result = remediate(opened.id, "default")
    # Then the replaced plan does not run on the earlier approval
    assert result["next"] == "escalate", result
    assert memory_limit(sandbox) == "256Mi"


def test_an_approval_of_an_earlier_proposal_of_the_same_plan_does_not_approve_a_later_one(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless.domain.approvals import APPROVED
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.propose import propose
    from pagerless.workflow.remediate import remediate
    from tests.functional.workflow.conftest import _stop_running_executions

    # Given alice approved the proposal to raise the memory limit to 512Mi
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _stop_running_executions(runtime)
    repository = ApprovalRepository()
    assert repository.decide(repository.latest(opened.id), APPROVED, actor="alice", role="operator")
    # And the incident was proposed the same plan again later (another run of the workflow), which
    # nobody has approved
    propose(opened.id, "default")
    # When the Remediate step runs for that later proposal
    result = remediate(opened.id, "default")
    # Then alice's earlier approval does not run it
    assert result["next"] == "escalate", result
    assert memory_limit(sandbox) == "256Mi"


def test_a_retried_remediate_step_does_not_run_the_fix_again(sandbox, scenario, runtime):
    from pagerless.domain.approvals import APPROVED
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.remediate import remediate
    from tests.functional.workflow.conftest import _stop_running_executions

    # Given an approved fix that the Remediate step ran
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _stop_running_executions(runtime)
    repository = ApprovalRepository()
    assert repository.decide(repository.latest(opened.id), APPROVED, actor="alice", role="operator")
    assert remediate(opened.id, "default")["next"] == "verify"
    patches = [r for r in sandbox.requests() if r[0] == "PATCH"]
    # When Step Functions runs the step again (a Lambda service error after the function had run)
    again = remediate(opened.id, "default")
    # Then the fix is not sent to the cluster a second time, and the workflow goes on to verify it
    assert [r for r in sandbox.requests() if r[0] == "PATCH"] == patches
    assert len(incident(opened.id).actions) == 1
    assert again["next"] == "verify", again
    assert memory_limit(sandbox) == "512Mi"


def test_an_approved_fix_does_not_run_on_a_workload_that_changed_since_the_dry_run(
    sandbox, scenario, api, operator_key, runtime
):
    from pagerless.kube.clients import from_kubeconfig
    from tests.functional.workflow.conftest import CONTAINER, DEPLOYMENT, NS

    # Given a proposal shown to the approver as "limits.memory: 256Mi → 512Mi"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    assert "256Mi → 512Mi" in incident(opened.id).proposal["dry_run"]["diff"]
    # And meanwhile a person raises the limit to 1Gi by hand
    kube = from_kubeconfig(sandbox.kubeconfig_path())
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": CONTAINER, "resources": {"limits": {"memory": "1Gi"}}}]}}
        }
    }
    kube.call(kube.apps.patch_namespaced_deployment, DEPLOYMENT, NS, patch)
    kube.close()
    # When the operator approves what was shown
    response = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    # Then the stale plan does not lower the limit to 512Mi: nothing runs and a human is told why
    wait_for_status(opened.id, "escalated", settled=True)
    assert memory_limit(sandbox) == "1Gi"
    record = incident(opened.id)
    assert record.actions == []
    from pagerless.incidents.timeline import timeline

    [escalation] = [t for t in timeline(opened.id) if t.type == "escalated"]
    assert "changed since the dry run" in escalation.message and "1Gi" in escalation.message, escalation.message
