"""The OOMKilled incident from alert to resolution through a human approval."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    memory_limit,
    open_incident,
    timeline_types,
    wait_for_execution_end,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def test_oom_incident_is_diagnosed_approved_fixed_verified_and_resolved(sandbox, scenario, api, operator_key, runtime):
    # Given the OOMKilled payments-api scenario running in the sandbox with a 256Mi limit
    assert memory_limit(sandbox) == "256Mi"
    incident = open_incident(scenario)
    # When the workflow has diagnosed and proposed
    wait_for_status(incident.id, "awaiting_approval")
    got = api.get(f"/api/incidents/{incident.id}/workflow", headers=auth(operator_key)).json()
    from pagerless.store.incidents import IncidentRepository

    record = IncidentRepository().get(incident.id)
    # Then the diagnosis is oom_killed and the proposal raises the memory limit, dry-run shown, rule named
    assert record.diagnosis["category"] == "oom_killed"
    assert record.proposal["action"] == "patch_resources"
    assert "256Mi → 512Mi" in record.proposal["dry_run"]["diff"]
    assert record.proposal["decision"]["rule"] == "autonomy:approve"
    assert memory_limit(sandbox) == "256Mi", "nothing runs before the approval"
    pending = api.get("/api/approvals?status=pending", headers=auth(operator_key)).json()["items"]
    assert [a["incident_id"] for a in pending] == [incident.id]
    assert "task_token" not in str(pending) and "token" not in str(got)
    # When an operator approves over the API
    response = api.post(f"/api/incidents/{incident.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["status"] == "approved"
    # Then the limit is raised in the cluster, verification passes and the incident is resolved
    wait_for_status(incident.id, "resolved")
    assert wait_for_execution_end(runtime, incident) == "SUCCEEDED"
    assert memory_limit(sandbox) == "512Mi"
    record = IncidentRepository().get(incident.id)
    assert record.metrics["time_to_resolve_seconds"] > 0 and "time_to_diagnose_seconds" in record.metrics
    assert [a["status"] for a in record.actions] == ["succeeded"]
    assert record.verification["checks"][-1]["healthy"] is True
    types = timeline_types(incident.id)
    for expected in (
        "context_gathered",
        "diagnosed",
        "proposal",
        "approval_requested",
        "approved",
        "action_executed",
        "verification_check",
        "status_changed",
    ):
        assert expected in types, expected
    trace = api.get(f"/api/incidents/{incident.id}/workflow", headers=auth(operator_key)).json()
    assert trace["status"] == "SUCCEEDED"
    names = [s["name"] for s in trace["steps"]]
    assert names[:4] == ["IncidentOpened", "GatherContext", "Diagnose", "Propose"]
    assert {"RequestApproval", "Remediate", "WaitForRollout", "Verify", "Resolve"} <= set(names)
    assert all(s["duration_ms"] is not None for s in trace["steps"])
