"""A runbook run parked on a step's approval whose execution was lost (a restart of `pagerless dev`, a
stop in the console) before its approval timed out: nothing else ends the wait, so the approval sweep
ends it timed out, as the run's own timeout would have, naming what it leaves applied."""

from datetime import timedelta

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import NS, memory_limit
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional


def _sweep(runtime) -> dict:
    """Fire the template's approval sweep as EventBridge would."""
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-ApprovalSweep"]
    answer = runtime.scheduler.fire(target)
    assert answer["job"] == "approval-sweep", answer
    return answer["result"]


@pytest.fixture(autouse=True)
def no_grace(monkeypatch):
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_DELIVERY_GRACE_SECONDS", "0")
    settings.reset()


def _past_deadline(parked: dict) -> None:
    """The step's approval deadline passes (as the approval and the parked job record it)."""
    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.jobs import JobRecord

    past = utcnow() - timedelta(minutes=5)
    ApprovalRecord.get(parked["job_id"], parked["correlation_key"]).update(
        actions=[ApprovalRecord.expires_at.set(past)]
    )
    JobRecord.get("job", parked["job_id"]).update(actions=[JobRecord.sweep_since.set(past)])


def _lose(runtime, parked: dict, *, expired: bool) -> None:
    """The run's execution ends outside Pagerless; with ``expired`` its approval's deadline then passes."""
    runtime.client("stepfunctions").stop_execution(executionArn=parked["execution_arn"])
    if expired:
        _past_deadline(parked)


def test_a_lost_runs_wait_past_its_approvals_timeout_ends_timed_out_by_itself(runs, sandbox, api, runtime):
    # Given a run that scaled out (auto-approved step), then parks on the memory raise's approval
    key = runs["alice"]
    body = {
        "name": "scale then ask",
        "risk_level": "confirm",
        "steps": [
            {
                "name": "Scale out",
                "action": "scale_deployment",
                "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 3},
            },
            {
                "name": "Raise memory",
                "action": "patch_resources",
                "params": {
                    "namespace": "{namespace}",
                    "deployment": "{deployment}",
                    "container": "{container}",
                    "memory_limit": "{memory_limit}",
                },
            },
        ],
    }
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    started = api.post(
        "/api/runs",
        json={"workflow_id": "scale-then-ask", "input": {"context": CONTEXT, "options": FAST}},
        headers=auth(key),
    ).json()
    parked = wait_job(api, key, started["job_id"], "parked")
    assert parked["current_node"] == "Scale out", parked
    # (approve the first step so the second parks)
    signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
    assert api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(runs["bob"])).status_code == 200
    second = wait_for_node(api, key, started["job_id"], "Raise memory")
    # When its execution is lost and its approval's deadline then passes
    _lose(runtime, second, expired=True)
    assert job(api, key, started["job_id"])["status"] == "parked"
    swept = _sweep(runtime)
    # Then the sweep ends it timed out: the job failed, its approval expired, nothing more ran
    assert [(s["job_id"], s["wait"]) for s in swept["lost_waits"]] == [(started["job_id"], "ended")], swept
    ended = job(api, key, started["job_id"])
    assert ended["status"] == "failed" and ended["result"]["outcome"] == "timed_out", ended
    assert "Raise memory: nobody approved it in time" in ended["error"], ended
    # And what it leaves applied is named (no execution rolls it back), and nothing was patched
    assert [m["step"] for m in ended["result"]["not_rolled_back"]] == ["Scale out"], ended["result"]
    assert "not rolled back: Scale out" in ended["error"]
    from pagerless.runbooks.error_phrases import shown  # (said in Chinese on the job's page)

    assert shown(ended, "zh") == (
        "Raise memory：无人及时审批；其执行已不再运行，没有任何东西结束这次等待；未回滚：Scale out（其执行已不再运行，无法回滚它）"
    ), shown(ended, "zh")
    assert sandbox.deployment(NS, "payments-api")["spec"]["replicas"] == 3 and memory_limit(sandbox) == "256Mi"
    assert api.get("/api/approvals?status=pending", headers=auth(key)).json()["items"] == []
    expired = api.get("/api/approvals?status=expired", headers=auth(key)).json()["items"]
    assert [a["approval_id"] for a in expired] == [second["correlation_key"]]
    # And a later sweep finds nothing left to do
    assert _sweep(runtime)["lost_waits"] == []


def wait_for_node(api, key, job_id, node) -> dict:
    from tests.functional.workflow.conftest import wait_for

    return wait_for(lambda: (j := job(api, key, job_id))["status"] == "parked" and j["current_node"] == node and j)


def test_a_lost_run_waits_on_until_its_deadline_and_a_live_one_is_left_to_its_own_timeout(runs, sandbox, api, runtime):
    key = runs["alice"]
    body = {"workflow_id": "scale-out", "input": {"context": {**CONTEXT, "replicas": 3}, "options": FAST}}
    # Given a parked run whose execution still runs, with its approval's deadline passed
    live = api.post("/api/runs", json=body, headers=auth(key)).json()
    live_parked = wait_job(api, key, live["job_id"], "parked")
    _past_deadline(live_parked)
    # And a parked run whose execution was lost, its approval not timed out yet
    lost = api.post("/api/runs", json=body, headers=auth(key)).json()
    lost_parked = wait_job(api, key, lost["job_id"], "parked")
    _lose(runtime, lost_parked, expired=False)
    # When the sweep runs
    swept = {s["job_id"]: s["wait"] for s in _sweep(runtime)["lost_waits"]}
    # Then neither is ended: the live one's execution ends its own wait, the lost one may still be decided
    assert swept.get(live["job_id"]) == "running", swept
    assert job(api, key, live["job_id"])["status"] == "parked"
    assert job(api, key, lost["job_id"])["status"] == "parked"
