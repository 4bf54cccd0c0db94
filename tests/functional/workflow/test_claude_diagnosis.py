"""With an Anthropic key configured, Diagnose hands the analyzers' result to the Claude
investigator (here the real client against a local fake of the Messages API)."""

import pytest

from tests.fakes.anthropic_api import message, tool_use_block
from tests.functional.workflow.conftest import incident, open_incident, wait_for, wait_for_status

pytestmark = pytest.mark.functional

OOM_SUBMISSION = {
    "category": "oom_killed",
    "confidence": 0.9,
    "summary": "payments-api's api container is OOMKilled at its 256Mi limit.",
    "evidence": [{"source": "pod status lastState", "detail": "OOMKilled"}],
    "remediations": ["increase_memory_limit"],
    "ranked_categories": [{"category": "oom_killed", "confidence": 0.9}],
    "target": {"kind": "Deployment", "namespace": "payments", "name": "payments-api", "container": "api"},
}


def test_diagnose_uses_the_investigator_and_records_its_usage(sandbox, scenario, claude, api, admin_key):
    # Given Claude answers with an oom_killed diagnosis
    claude.enqueue(message(tool_use_block("submit_diagnosis", OOM_SUBMISSION), input_tokens=1200, output_tokens=300))
    # When the workflow diagnoses the OOM incident
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # Then the stored diagnosis is Claude's, with its token usage, and the proposal follows from it
    record = incident(opened.id)
    assert record.diagnosis["engine"] == "claude", record.diagnosis.get("notes")
    assert record.diagnosis["category"] == "oom_killed"
    assert record.llm_usage["input_tokens"] == 1200 and record.llm_usage["output_tokens"] == 300
    assert record.proposal["action"] == "patch_resources"
    [request] = claude.message_requests
    assert "PaymentsApiHighErrorRate" in str(request.body)
    tools = {tool["name"] for tool in request.body["tools"]}
    assert {"knowledge_search", "similar_incidents"} <= tools, tools
    # And /api/status says the investigator's last call went well
    status = api.get("/api/status", headers={"Authorization": f"Bearer {admin_key}"}).json()
    last = status["llm"]["last_call"]
    assert status["llm"] == {"configured": True, "last_call": {**last, "ok": True, "stale": False}}
    assert set(last) == {"at", "ok", "age_seconds", "stale"}, last
    assert not any("Claude investigator" in reason for reason in status["reasons"]), status["reasons"]


def test_an_unreadable_key_parameter_leaves_the_analyzers_diagnosis(sandbox, scenario, monkeypatch):
    from pagerless import settings
    from pagerless.diagnosis.llm import get_llm_settings

    # Given the key is to be read from an SSM parameter that does not exist (deleted, misnamed, no access)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("PAGERLESS_LLM_API_KEY", raising=False)
    monkeypatch.setenv("PAGERLESS_ANTHROPIC_KEY_PARAMETER", "/pagerless/anthropic-key-missing")
    settings.reset()
    get_llm_settings.cache_clear()
    # When the workflow diagnoses the OOM incident
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # Then the incident still gets the analyzers' diagnosis and its proposal, with a note saying why
    record = incident(opened.id)
    assert record.diagnosis["engine"] == "analyzers" and record.diagnosis["category"] == "oom_killed"
    assert any("/pagerless/anthropic-key-missing" in note for note in record.diagnosis["notes"]), record.diagnosis
    assert record.proposal["action"] == "patch_resources"


def test_a_replica_count_that_is_not_a_number_leaves_the_incident_to_a_human_with_the_reason(sandbox, scenario, claude):
    # Given Claude asks to scale payments-api to "a few more" replicas
    submission = {
        **OOM_SUBMISSION,
        "remediations": ["scale_deployment"],
        "target": {**OOM_SUBMISSION["target"], "replicas": "a few more"},
    }
    claude.enqueue(message(tool_use_block("submit_diagnosis", submission)))
    # When the workflow diagnoses and proposes
    opened = open_incident(scenario)
    # Then Propose does not fail: nothing is proposed, and the proposal says why
    wait_for_status(opened.id, "diagnosed", "escalated", settled=True)
    record = incident(opened.id)
    assert record.status == "diagnosed", record.proposal
    assert record.diagnosis["target"]["replicas"] == "a few more"
    [skipped] = record.proposal["not_automated"]
    assert "replicas 'a few more' is not a whole number of replicas" in skipped["reason"], skipped


def test_a_wrong_key_shows_in_the_status(sandbox, scenario, claude, api, admin_key):
    from tests.conftest import auth
    from tests.fakes.anthropic_api import unauthorized

    # Given the Anthropic API refuses the configured key (revoked, mistyped)
    claude.enqueue(unauthorized())
    # When the workflow diagnoses an incident
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    assert incident(opened.id).diagnosis["engine"] == "analyzers"
    # Then /api/status says the investigator's last call failed, and why, without the key
    status = api.get("/api/status", headers=auth(admin_key)).json()
    last = status["llm"]["last_call"]
    assert status["llm"]["configured"] is True and last["ok"] is False, status["llm"]
    assert "401" in last["error"] or "authentication" in last["error"].lower(), last
    assert status["status"] == "degraded"
    assert any("Claude investigator" in reason for reason in status["reasons"]), status["reasons"]
    assert "sk-ant-test" not in str(status)


def test_a_rediagnosis_the_api_queues_updates_the_status_last_call(sandbox, scenario, claude, api, admin_key):
    from tests.conftest import auth
    from tests.fakes.anthropic_api import unauthorized

    # Given the workflow diagnosed the OOM incident with Claude, and status says the last call went well
    claude.enqueue(message(tool_use_block("submit_diagnosis", OOM_SUBMISSION)))
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    assert api.get("/api/status", headers=auth(admin_key)).json()["llm"]["last_call"]["ok"] is True
    # When the key is revoked and an operator asks for a re-diagnosis through the API
    claude.enqueue(unauthorized())
    queued = api.post(f"/api/incidents/{opened.id}/diagnose", headers=auth(admin_key))
    assert queued.status_code == 202, queued.text
    wait_for(lambda: len(claude.message_requests) == 2 and incident(opened.id).diagnosis.get("request"))
    # Then /api/status says the re-diagnosis's call failed, and why
    status = api.get("/api/status", headers=auth(admin_key)).json()
    last = status["llm"]["last_call"]
    assert last["ok"] is False, status["llm"]
    assert "401" in last["error"] or "authentication" in last["error"].lower(), last
    assert any("Claude investigator" in reason for reason in status["reasons"]), status["reasons"]
