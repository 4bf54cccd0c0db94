"""A check step gates the run: one that fails stops it before its next step (and rolls back what ran
before it); a check that only records (``on_fail: continue``) does not. A failed job lists the step
it failed on."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import memory_limit
from tests.functional.workflow.test_runbook_runs import (  # noqa: F401
    CONTEXT,
    FAST,
    events,
    hungry,
    replicas,
    runs,
    wait_job,
)

pytestmark = pytest.mark.functional

_HEALTHY = {"check": "workload_healthy", "params": {"namespace": "{namespace}", "deployment": "{deployment}"}}
_SCALE = {
    "name": "Scale out",
    "action": "scale_deployment",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 4},
    "rollback": {
        "action": "scale_deployment",
        "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": "{current_replicas}"},
    },
}
_RAISE = {
    "name": "Raise memory",
    "action": "patch_resources",
    "params": {
        "namespace": "{namespace}",
        "deployment": "{deployment}",
        "container": "{container}",
        "memory_limit": "{memory_limit}",
    },
}


def _run(api, key, body: dict, **extra) -> dict:
    created = api.post("/api/custom-runbooks", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    started = api.post(
        f"/api/workflows/{created.json()['id']}/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST, **extra},
        headers=auth(key),
    )
    assert started.status_code == 202, started.text
    return wait_job(api, key, started.json()["job_id"], "completed", "failed")


def test_a_failed_check_stops_the_run_before_its_next_mutating_step_and_rolls_back(runs, sandbox, api):
    # Given a runbook that scales out, checks the workload is healthy (it is OOMKilled: it is not),
    # then raises the memory limit
    key = runs["alice"]
    before = replicas(sandbox)
    body = {"name": "gated", "steps": [_SCALE, {"name": "Healthy?", "check": _HEALTHY}, _RAISE]}
    # When it runs
    done = _run(api, key, body)
    # Then the run stops at the check: the memory limit is never raised, the scale-out is rolled back
    assert done["status"] == "failed" and done["result"]["outcome"] == "check_failed", done
    assert "Healthy?" in done["error"], done
    assert memory_limit(sandbox) == "256Mi" and replicas(sandbox) == before
    assert [(s["step"], s["status"]) for s in done["steps"]] == [("Scale out", "succeeded"), ("Healthy?", "not_ok")]
    # And the check step records what it does when it fails (the job page says it: "If it fails: Stop the run")
    assert [s.get("on_fail") for s in done["steps"]] == [None, "stop"]
    names = [(e["event"], e.get("node")) for e in events(api, key, done["job_id"])]
    assert ("StepFailed", "Healthy?") in names and ("RollbackStep", "Scale out") in names
    assert not any(node == "Raise memory" for _, node in names), names


def test_a_dry_run_stops_at_a_failed_check_as_a_real_run_would(runs, sandbox, api):
    key = runs["alice"]
    body = {"name": "gated-dry", "steps": [{"name": "Healthy?", "check": _HEALTHY}, _RAISE]}
    done = _run(api, key, body, dry_run=True)
    assert done["status"] == "failed" and done["result"]["outcome"] == "check_failed", done
    assert [s["step"] for s in done["steps"]] == ["Healthy?"]


def test_a_check_that_only_records_does_not_stop_the_run(runs, sandbox, api):
    # Given the built-in OOM recovery, whose first step records the pods (none Ready: they are OOMKilled)
    key = runs["alice"]
    started = api.post(
        "/api/workflows/oom-recovery/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    # When it runs, Then the not-ok record does not stop it: the limit is raised and verified
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    assert done["status"] == "completed", done
    assert [s["status"] for s in done["steps"]][0] == "not_ok"
    assert memory_limit(sandbox) == "512Mi"
    # And what the check recorded reads in Chinese on a Chinese run page, in English as stored on an English one
    from pagerless.console import i18n

    pods = done["steps"][0]
    chinese = i18n.environment("zh").filters["step_message"](pods)
    assert chinese.startswith("0/2 个 Pod 就绪；") and "次）" in chinese and "restarts" not in chinese, chinese
    assert i18n.environment("en").filters["step_message"](pods) == pods["message"]
    assert pods["message"].startswith("0/2 pods Ready; "), pods


def test_a_failed_job_lists_the_step_whose_verify_failed(hungry, runs, sandbox, api):
    # Given a runbook whose step's verify fails (the pods need 2Gi; 512Mi does not settle them)
    key = runs["alice"]
    body = {
        "name": "unverified",
        "steps": [{**_RAISE, "verify": {**_HEALTHY, "max_attempts": 2, "interval_seconds": 0}}],
    }
    # When it runs and fails
    done = _run(api, key, body)
    assert done["status"] == "failed" and done["result"]["outcome"] == "rolled_back", done
    # Then its steps name the step that ran and was not verified
    [step] = done["steps"]
    assert step["step"] == "Raise memory" and step["status"] == "succeeded" and step["verified"] is False, done


def test_a_failed_job_lists_the_action_step_that_did_not_succeed(runs, sandbox, api):
    # Given the built-in rollback of a bad deploy, on a Deployment with no earlier revision to go back to
    key = runs["alice"]
    started = api.post(
        "/api/workflows/bad-deploy-rollback/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    # When it runs and its action does not succeed
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    assert done["status"] == "failed", done
    # Then its steps end with that step and what it was told
    last = done["steps"][-1]
    assert (last["step"], last["kind"], last["status"]) == ("Roll back", "action", "not_found"), done["steps"]
    assert last["message"]
