"""A runbook step Step Functions invokes again: Lambda answered an error after the step ran (its
Retry on Lambda.ServiceException), and the step must not change the cluster twice. The real
`runbook-run` ASL on the embedded AWS, against the sandbox cluster."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import DEPLOYMENT, memory_limit, wait_for
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, events, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional

RESTART = {
    "name": "Restart",
    "action": "rollout_restart",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
}
PODS = {  # it records the pods (none Ready in the crash loop): it does not gate the run
    "name": "Inspect the pods",
    "check": "pods_running",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
    "on_fail": "continue",
}
SETTLED = {
    "check": "deployment_revision",
    "max_attempts": 1,
    "interval_seconds": 0,
    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
}


@pytest.fixture
def lambda_fails_after(runtime, monkeypatch):
    """Lambda answers ``Lambda.ServiceException`` once, after the named workflow step ran (the
    invocation's response was lost): Step Functions retries the step."""
    from pagerless.local.lambdas import FunctionError

    steps: list[str] = []
    failed: list[str] = []
    real = runtime.lambdas.invoke

    def invoke(function_name, event):
        result = real(function_name, event)
        step = (event or {}).get("step") if isinstance(event, dict) else None
        if step in steps and step not in failed:
            failed.append(step)
            raise FunctionError("Lambda.ServiceException", "Lambda was unable to return the response")
        return result

    monkeypatch.setattr(runtime.lambdas, "invoke", invoke)
    return steps, failed


def restarts(sandbox) -> int:
    return sum(1 for method, path in sandbox.requests() if method == "PATCH" and path.endswith(f"/{DEPLOYMENT}"))


@pytest.mark.parametrize("verify", [None, SETTLED], ids=["without_verify", "with_verify"])
def test_a_step_step_functions_retries_runs_once(lambda_fails_after, runs, sandbox, api, verify):
    # Given a runbook that restarts the Deployment, then reads its pods (they crash loop: not_ok)
    key = runs["alice"]
    restart = {**RESTART, **({"verify": verify} if verify else {})}
    body = {"name": "restart then look", "risk_level": "auto", "steps": [restart, PODS]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    steps, failed = lambda_fails_after
    steps.append("runbook_execute")
    before = restarts(sandbox)
    # When the restart ran but Lambda's answer was lost, so Step Functions invokes the step again
    started = api.post(
        "/api/workflows/restart-then-look/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    # Then the Deployment was restarted once, and the run completed with the restart as it happened
    assert failed == ["runbook_execute"], "the step was retried"
    assert done["status"] == "completed", done["error"]
    assert restarts(sandbox) - before == 1
    assert [(s["step"], s["status"]) for s in done["steps"]] == [
        ("Restart", "succeeded"),
        ("Inspect the pods", "not_ok"),
    ]
    ran = [e for e in events(api, key, started["job_id"]) if e["event"] == "ToolCompleted"]
    assert len(ran) == 1, ran


def test_a_step_whose_earlier_attempt_was_cut_short_is_not_run_again_and_is_named(runs, sandbox, api):
    from pagerless.store.jobs import JobRepository
    from tests.functional.workflow.conftest import memory_limit

    # Given an OOM recovery run waiting for the approval of its memory step
    alice, bob = runs["alice"], runs["bob"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    parked = wait_job(api, alice, started["job_id"], "parked")
    # and the record an attempt of the step leaves when its Lambda is cut short mid-action
    repo = JobRepository()
    record = repo.get(started["job_id"])
    repo.update(record, state={**record.state, "executing": {"index": 1, "step": "Raise the memory limit"}})
    # When Bob approves and Step Functions invokes the step
    signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
    assert api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(bob)).status_code == 200
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    # Then it does not run a second time, and the run says the step may be applied
    assert memory_limit(sandbox) == "256Mi"
    assert done["status"] == "failed", done
    assert done["result"]["not_rolled_back"] == [
        {"step": "Raise the memory limit", "reason": "it was interrupted while it ran; it may have changed the cluster"}
    ], done["result"]
    assert "not run twice" in done["error"] and "not rolled back: Raise the memory limit" in done["error"]


def test_a_verify_step_functions_retries_after_it_passed_lets_the_run_go_on(lambda_fails_after, runs, sandbox, api):
    # Given a runbook that restarts the Deployment, verifies it, then reads its pods
    key = runs["alice"]
    body = {"name": "restart then look", "risk_level": "auto", "steps": [{**RESTART, "verify": SETTLED}, PODS]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    steps, failed = lambda_fails_after
    steps.append("runbook_verify")
    # When the verify passed but Lambda's answer was lost, so Step Functions invokes it again
    started = api.post(
        "/api/workflows/restart-then-look/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    # Then the run goes on to its next step and completes, the restart verified once
    assert failed == ["runbook_verify"], "the verify was retried"
    assert done["status"] == "completed", done["error"]
    assert [(s["step"], s.get("verified")) for s in done["steps"]] == [("Restart", True), ("Inspect the pods", None)]
    assert [e["event"] for e in events(api, key, started["job_id"])].count("StepVerified") == 1


def states_entered(runtime, execution_arn: str) -> list[str]:
    sfn = runtime.client("stepfunctions")
    history = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def answers(runtime, monkeypatch) -> list[str]:
    """The workflow steps whose Lambda invocation has returned (or failed), in order."""
    done: list[str] = []
    real = runtime.lambdas.invoke

    def invoke(function_name, event):
        try:
            return real(function_name, event)
        finally:
            done.append((event or {}).get("step") if isinstance(event, dict) else None)

    monkeypatch.setattr(runtime.lambdas, "invoke", invoke)
    return done


def test_a_wait_step_step_functions_retries_still_waits(lambda_fails_after, runs, sandbox, api, runtime):
    # Given a runbook that pauses, then reads the pods
    key = runs["alice"]
    body = {"name": "pause then look", "risk_level": "auto", "steps": [{"name": "Pause", "seconds": 1}, PODS]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    steps, failed = lambda_fails_after
    steps.append("runbook_plan")
    # When the Plan of the pause ran but Lambda's answer was lost, so Step Functions invokes it again
    started = api.post(
        "/api/workflows/pause-then-look/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    # Then the run still paused (its Wait state ran), and every step ran once, in order
    assert failed == ["runbook_plan"], "the plan was retried"
    assert done["status"] == "completed", done["error"]
    assert "WaitStep" in states_entered(runtime, done["execution_arn"])
    assert [(s["step"], s["status"]) for s in done["steps"]] == [("Pause", "waited"), ("Inspect the pods", "not_ok")]


def test_an_approval_step_functions_retries_is_asked_once(lambda_fails_after, runs, sandbox, api, runtime, monkeypatch):
    from pagerless.store.approvals import ApprovalRepository

    # Given an OOM recovery run whose memory step needs an approval
    alice, bob = runs["alice"], runs["bob"]
    steps, failed = lambda_fails_after
    steps.append("runbook_request_approval")
    answered = answers(runtime, monkeypatch)
    # When the approval was requested but Lambda's answer was lost, so Step Functions asks again
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    parked = wait_job(api, alice, started["job_id"], "parked")
    wait_for(lambda: answered.count("runbook_request_approval") == 2, timeout=30)
    # Then the step has one approval, and approving it runs the step on the retried wait's token
    assert failed == ["runbook_request_approval"], "the request was retried"
    mine = ApprovalRepository().for_incident(started["job_id"])
    assert [(a.status, a.proposal["step"]) for a in mine] == [("pending", "Raise the memory limit")], mine
    assert job(api, alice, started["job_id"])["correlation_key"] == parked["correlation_key"] == mine[0].approval_id
    signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
    assert api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(bob)).status_code == 200
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    assert done["status"] == "completed", done
    assert memory_limit(sandbox) == "512Mi"
