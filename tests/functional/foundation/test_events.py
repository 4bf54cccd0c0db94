"""Every sample event in events/ is invoked against its real handler by some test."""

import json

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.functional

EVENTS = ROOT / "events"


def _load(relative: str) -> dict:
    return json.loads((EVENTS / relative).read_text("utf-8"))


def _invoke(runtime, logical_id: str, event: dict):
    spec = runtime.lambdas.by_logical_id[logical_id]
    return runtime.lambdas.invoke(spec.name, event)


def test_system_healthz_event_through_mangum(runtime):
    response = _invoke(runtime, "SystemFunction", _load("system/healthz.json"))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["status"] == "ok"


def test_system_head_healthz_event_through_mangum_answers_headers_only(runtime):
    # API Gateway's event for HEAD /healthz (template.yaml declares the route for uptime monitors)
    response = _invoke(runtime, "SystemFunction", _load("system/head_healthz.json"))
    assert response["statusCode"] == 200 and response["body"] == ""
    assert response["headers"]["content-type"] == "application/json"


def test_system_status_event_without_key_is_401(runtime):
    response = _invoke(runtime, "SystemFunction", _load("system/status_without_key.json"))
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "UNAUTHORIZED"


def test_admin_list_keys_event_without_key_is_401(runtime):
    response = _invoke(runtime, "AdminFunction", _load("admin/list_keys_without_key.json"))
    assert response["statusCode"] == 401


def test_workflow_selfcheck_start_event_records_the_start(runtime):
    from pagerless.store.system import SystemRepository

    result = _invoke(runtime, "WorkflowFunction", _load("workflow/selfcheck_start.json"))
    assert "started_at" in result
    assert SystemRepository().get("selfcheck", "0123456789ab") is not None


def test_unknown_workflow_step_fails_with_a_named_error(runtime):
    from pagerless.local.lambdas import FunctionError

    with pytest.raises(FunctionError) as failure:
        _invoke(runtime, "WorkflowFunction", {"step": "no_such_step"})
    assert failure.value.error_type == "UnknownStepError"


def test_scheduled_heartbeat_event_records_a_heartbeat(runtime):
    from pagerless.store.system import SystemRepository

    result = _invoke(runtime, "ScheduledFunction", _load("scheduled/heartbeat.json"))
    assert result["job"] == "heartbeat"
    assert SystemRepository().get("heartbeat", "scheduler") is not None


def test_scheduled_approval_sweep_event_runs_the_sweep(runtime):
    result = _invoke(runtime, "ScheduledFunction", _load("scheduled/approval_sweep.json"))
    assert result["job"] == "approval-sweep"
    assert result["result"] == {
        "delivered": [],
        "lost_waits": [],
    }  # no decision waits for its task token, no run lost its wait


def test_every_event_file_is_used_by_a_test():
    from tests.functional.intake.test_intake_events import FUNCTIONS as RUN_BY_FOLDER

    test_sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "tests").rglob("*.py"))
    unused = [
        str(p.relative_to(EVENTS))
        for p in EVENTS.rglob("*.json")
        if p.parent.name not in RUN_BY_FOLDER
        and str(p.relative_to(EVENTS)) not in test_sources
        and p.name not in test_sources
    ]
    assert not unused, f"events nobody tests: {unused}"
