"""Runbook runs under a real `pagerless dev --sandbox`: their jobs and traces survive a restart."""

import json
import time

import pytest

from tests.e2e.harness import ROOT, DevServer

pytestmark = pytest.mark.e2e

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
ADMIN_KEY = "pl_e2e-runbook-jobs-admin-key-0123456789"
CONTEXT = {"namespace": "payments", "deployment": "payments-api", "container": "api", "memory_limit": "512Mi"}


def _wait_for(read, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = read()
        if predicate(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"condition not met in time; last value: {json.dumps(value)[:3000]}")


def test_jobs_and_traces_survive_a_restart_and_a_lost_run_is_replayed(tmp_path):
    state = tmp_path / "state"
    server = DevServer(state, admin_key=ADMIN_KEY, extra_args=["--sandbox", str(SCENARIO)])
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            dry = api.post("/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "dry_run": True}).json()
            parked = api.post("/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}).json()
            done = _wait_for(lambda: api.get(f"/api/jobs/{dry['job_id']}").json(), lambda j: j["status"] == "completed")
            _wait_for(lambda: api.get(f"/api/jobs/{parked['job_id']}").json(), lambda j: j["status"] == "parked")
            before = api.get(f"/api/jobs/{dry['job_id']}/trace").json()["timeline"]
    finally:
        server.stop()
    server = DevServer(state, admin_key=ADMIN_KEY, extra_args=["--sandbox", str(SCENARIO)])
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # the finished job and its trace are still there, though the execution is gone
            after = api.get(f"/api/jobs/{dry['job_id']}").json()
            assert after["status"] == "completed" and after["steps"] == done["steps"]
            assert after["execution"]["status"] == "UNKNOWN"
            trace = api.get(f"/api/jobs/{dry['job_id']}/trace").json()["timeline"]
            assert [e["event"] for e in trace] == [e["event"] for e in before if e["source"] == "pagerless"]
            # the parked job's execution was lost: it is replayed from its recorded input
            lost = api.get(f"/api/jobs/{parked['job_id']}").json()
            assert lost["status"] == "parked" and lost["execution"]["status"] == "UNKNOWN"
            replayed = api.post(f"/api/jobs/{parked['job_id']}/replay")
            assert replayed.status_code == 202, replayed.text
            assert api.get(f"/api/jobs/{parked['job_id']}").json()["status"] == "failed"
            again = _wait_for(
                lambda: api.get(f"/api/jobs/{replayed.json()['job_id']}").json(), lambda j: j["status"] == "parked"
            )
            assert again["replay_of"] == parked["job_id"] and again["input"]["context"] == lost["input"]["context"]
    finally:
        server.stop()
