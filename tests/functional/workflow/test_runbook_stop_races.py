"""A runbook run stopped while one of its steps runs: the step's Lambda goes on after StopExecution,
so what it does after the stop is decided by the job record, not by the execution.

Each test holds one request of the step at the sandbox cluster (the real `kubernetes` client
waits for its answer), stops the job through the jobs API, then lets the request go on."""

import threading

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import DEPLOYMENT, NS, memory_limit, wait_for
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, events, job, runs  # noqa: F401

pytestmark = pytest.mark.functional

DEPLOYMENT_PATH = f"/apis/apps/v1/namespaces/{NS}/deployments/{DEPLOYMENT}"


def _patch(method: str, path: str) -> bool:
    return method == "PATCH" and path.startswith(DEPLOYMENT_PATH)


def _read(method: str, path: str) -> bool:
    return method == "GET" and path.split("?")[0] == DEPLOYMENT_PATH


def check_reads(seen) -> bool:
    """The first step's check (Inspect the pods) reading the Deployment."""
    return _read(*seen[-1]) and sum(_read(*r) for r in seen) == 1


def execute_reads(seen) -> bool:
    """The Execute step's read of the Deployment (an auto-approved step has no dry run before it)."""
    return _read(*seen[-1]) and sum(_read(*r) for r in seen) == 2 and not any(_patch(*r) for r in seen)


def execute_writes(seen) -> bool:
    return _patch(*seen[-1])


def verify_reads(seen) -> bool:
    return _read(*seen[-1]) and any(_patch(*r) for r in seen)


class Held:
    """Holds the first request ``matches`` picks (given every request so far) until ``release``."""

    def __init__(self, matches) -> None:
        self.matches, self.seen = matches, []
        self.arrived, self.release = threading.Event(), threading.Event()

    def __call__(self, method: str, path: str) -> None:
        self.seen.append((method, path))
        if not self.arrived.is_set() and self.matches(self.seen):
            self.arrived.set()
            self.release.wait(30)


@pytest.fixture
def in_flight(runtime, monkeypatch) -> list[str]:
    """The in-process Lambda invocations running now (a step's among them), by function name."""
    running: list[str] = []
    invoke = runtime.lambdas.invoke

    def counted(function_name, event):
        running.append(function_name)
        try:
            return invoke(function_name, event)
        finally:
            running.remove(function_name)

    monkeypatch.setattr(runtime.lambdas, "invoke", counted)
    return running


@pytest.fixture
def start_and_hold(runs, sandbox, api, in_flight):
    """Start an auto-approved OOM recovery run and hold the request ``matches`` picks; returns the
    job id and the hold (every hold is let go when the test ends)."""
    holds: list[Held] = []

    def start(matches) -> tuple[str, Held]:
        held = Held(matches)
        holds.append(held)
        sandbox.on_request(held)
        body = {"context": CONTEXT, "auto_approve": True, "options": FAST}
        started = api.post("/api/workflows/oom-recovery/execute", json=body, headers=auth(runs["alice"]))
        assert started.status_code == 202, started.text
        assert held.arrived.wait(30), "\n".join(f"{m} {p}" for m, p in held.seen)
        return started.json()["job_id"], held

    yield start
    for held in holds:
        held.release.set()


def step_settled(in_flight: list[str]) -> None:
    """Wait until the held step's Lambda has returned. (The execution's history cannot say: it ends
    with the stop's ExecutionAborted, and a task that ends after it is not recorded, as on AWS.)"""
    wait_for(lambda: not in_flight, timeout=30, interval=0.1)


def after_stop(api, key, job_id) -> list[str]:
    names = [e["event"] for e in events(api, key, job_id)]
    return names[names.index("JobCancelled") + 1 :]


def test_a_job_stopped_before_its_action_writes_applies_nothing(runs, sandbox, api, start_and_hold, in_flight):
    key = runs["alice"]
    # Given an auto-approved run whose Execute step has read the Deployment and not yet patched it
    job_id, held = start_and_hold(execute_reads)
    # When the job is stopped, and the step's read is answered after the stop
    stopped = api.post(f"/api/jobs/{job_id}/stop", headers=auth(key))
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled", stopped.text
    held.release.set()
    step_settled(in_flight)
    # Then nothing was applied after the stop was answered, and the job stays cancelled
    assert not [r for r in sandbox.requests() if _patch(*r)], sandbox.requests()
    assert memory_limit(sandbox) == "256Mi"
    assert job(api, key, job_id)["status"] == "cancelled"
    assert after_stop(api, key, job_id) == []


def test_an_action_in_flight_at_the_stop_is_said_and_recorded_as_applied_after_it(
    runs, sandbox, api, start_and_hold, in_flight
):
    key = runs["alice"]
    # Given an auto-approved run whose Execute step has sent its patch to the cluster
    job_id, held = start_and_hold(execute_writes)
    # When the job is stopped before the cluster answers
    stopped = api.post(f"/api/jobs/{job_id}/stop", headers=auth(key))
    # Then the stop says the job is cancelled and that the step's action was in flight
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled", stopped.text
    assert "Raise the memory limit" in stopped.json()["error"] and "in flight" in stopped.json()["error"], (
        stopped.json()
    )
    cancelled = next(e for e in events(api, key, job_id) if e["event"] == "JobCancelled")
    assert cancelled["in_flight"] == "Raise the memory limit", cancelled
    # And once the cluster applies it, the job stays cancelled and says the change was applied after the stop
    held.release.set()
    step_settled(in_flight)
    assert memory_limit(sandbox) == "512Mi"
    after = job(api, key, job_id)
    assert after["status"] == "cancelled", after
    assert after["result"]["applied_after_stop"] == [
        {"step": "Raise the memory limit", "action": "patch_resources", "status": "succeeded"}
    ], after["result"]
    assert after_stop(api, key, job_id) == ["ToolCompleted"]
    [completed] = [e for e in events(api, key, job_id) if e["event"] == "ToolCompleted"]
    assert completed["after_stop"] is True and "after the job was stopped" in completed["message"], completed


@pytest.mark.parametrize("held_step", [check_reads, verify_reads], ids=["check", "verify"])
def test_a_read_only_step_finishing_after_the_stop_records_nothing_after_it(
    runs, sandbox, api, start_and_hold, in_flight, held_step
):
    key = runs["alice"]
    # Given an auto-approved run whose check (or verify) is reading the cluster
    job_id, held = start_and_hold(held_step)
    before = job(api, key, job_id)["steps"]
    # When the job is stopped, and the read is answered after the stop
    stopped = api.post(f"/api/jobs/{job_id}/stop", headers=auth(key))
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled", stopped.text
    held.release.set()
    step_settled(in_flight)
    # Then the job stays cancelled: no step result, no event after the stop, no further step
    after = job(api, key, job_id)
    assert after["status"] == "cancelled" and after["steps"] == before, after
    assert after_stop(api, key, job_id) == []
    assert memory_limit(sandbox) == ("256Mi" if held_step is check_reads else "512Mi")
