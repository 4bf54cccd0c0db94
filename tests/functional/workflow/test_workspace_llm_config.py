"""The workspace's /api/config reaches the Diagnose step: its model is the one Claude is asked,
and llm_enabled=false leaves the diagnosis to the analyzers."""

import pytest

from tests.fakes.anthropic_api import message, tool_use_block
from tests.functional.workflow.conftest import incident, open_incident, wait_for_status
from tests.functional.workflow.test_claude_diagnosis import OOM_SUBMISSION

pytestmark = pytest.mark.functional


def test_diagnose_asks_the_workspace_model(sandbox, scenario, claude):
    from pagerless.config.service import ConfigService

    # Given the workspace chose its own model
    ConfigService().update("default", {"LLM_MODEL": "claude-workspace-choice"}, actor="test")
    claude.enqueue(message(tool_use_block("submit_diagnosis", OOM_SUBMISSION)))
    # When the workflow diagnoses an incident
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval", timeout=120)
    # Then Claude was asked with that model
    [request] = claude.message_requests
    assert request.body["model"] == "claude-workspace-choice"
    assert incident(opened.id).diagnosis["engine"] == "claude"


def test_a_workspace_can_turn_the_investigator_off(sandbox, scenario, claude):
    from pagerless.config.service import ConfigService

    ConfigService().update("default", {"llm_enabled": False}, actor="test")
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval", timeout=120)
    assert claude.message_requests == []
    assert incident(opened.id).diagnosis["engine"] != "claude"
