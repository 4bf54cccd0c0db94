"""Plugins switched off in /api/plugins change what the incident workflow does."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import incident, memory_limit, open_incident, timeline_types, wait_for_status

pytestmark = pytest.mark.functional


def test_a_disabled_action_is_denied_by_the_policy_with_its_rule(sandbox, scenario, api, admin_key):
    # Given the action the OOM incident needs is switched off
    assert api.post("/api/plugins/patch_resources/disable", headers=auth(admin_key)).status_code == 200
    # When the OOM incident runs through the workflow
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then the proposal is blocked by the named rule, nothing asks for approval and the cluster is untouched
    proposal = incident(opened.id).proposal
    assert proposal["status"] == "blocked"
    assert proposal["decision"]["rule"] == "action_disabled"
    assert memory_limit(sandbox) == "256Mi"
    assert "approval_requested" not in timeline_types(opened.id)


def test_a_disabled_analyzer_is_skipped_for_the_workspace(sandbox, scenario, api, admin_key):
    # Given the container-state analyzer (which reads OOMKilled from the pod) is switched off
    assert api.post("/api/plugins/container_state/disable", headers=auth(admin_key)).status_code == 200
    # When the OOM incident is diagnosed
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", "awaiting_approval", settled=False)
    diagnosis = incident(opened.id).diagnosis
    # Then the diagnosis says the analyzer was skipped
    assert "analyzer container_state skipped: disabled in this workspace" in diagnosis["notes"]
