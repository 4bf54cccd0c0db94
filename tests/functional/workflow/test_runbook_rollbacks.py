"""A runbook run that stops mid-way undoes the steps before it: an approval that times out, an
unexpected error, and the node-drain runbook on a node a person had cordoned. The real
`runbook-run` ASL on the embedded AWS, against the sandbox cluster."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import NS, memory_limit, store_policy, wait_for
from tests.functional.workflow.test_runbook_runs import (  # noqa: F401
    CONTEXT,
    DRAINED,
    FAST,
    RAISE_MEMORY,
    SCALE_OUT,
    events,
    hungry,
    job,
    replicas,
    runs,
    wait_job,
)

pytestmark = pytest.mark.functional


def execution_status(runtime, job_id: str) -> str:
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["RunbookRunStateMachine"]
    [execution] = [e for e in sfn.list_executions(stateMachineArn=machine)["executions"] if e["name"] == job_id]
    return execution["status"]


def test_a_step_whose_approval_times_out_mid_run_rolls_back_the_steps_before_it(runs, sandbox, api, monkeypatch):
    from pagerless import settings

    # Given a confirm runbook: scale out, then raise the memory limit
    alice, bob = runs["alice"], runs["bob"]
    body = {"name": "scale then wait", "risk_level": "confirm", "steps": [SCALE_OUT, RAISE_MEMORY]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(alice)).status_code == 201
    before = replicas(sandbox)
    started = api.post(
        "/api/workflows/scale-then-wait/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    job_id = started["job_id"]
    first = wait_job(api, alice, job_id, "parked")
    # When Bob approves step 1 (it scales the Deployment out) and nobody decides step 2 in time
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    approve = {"correlation_key": first["correlation_key"], "payload": {"approved": True}}
    assert api.post(f"/api/jobs/{job_id}/signal", json=approve, headers=auth(bob)).status_code == 200
    done = wait_job(api, alice, job_id, "failed", "completed")
    # Then the run ends timed_out, with step 1 rolled back on Bob's approval, and says so
    assert done["status"] == "failed" and done["result"]["outcome"] == "timed_out", done
    assert done["result"]["rolled_back"] == [{"step": "Scale out", "status": "succeeded"}], done["result"]
    assert replicas(sandbox) == before and memory_limit(sandbox) == "256Mi"
    trail = events(api, alice, job_id)
    assert [(e["node"], e["status"]) for e in trail if e["event"] == "RollbackStep"] == [("Scale out", "succeeded")]
    [ended] = [e for e in trail if e["event"] == "JobFailed"]
    assert "timed_out" in ended["message"] and "Raise memory" in ended["message"], ended
    assert "earlier steps rolled back: Scale out (succeeded)" in ended["message"], ended
    # And the step's approval is expired, not left pending
    expired = api.get("/api/approvals?status=expired", headers=auth(alice)).json()["items"]
    assert [a["proposal"]["step"] for a in expired if a["proposal"]["job_id"] == job_id] == ["Raise memory"]
    # (the job's page says why in Chinese)
    from pagerless.runbooks.error_phrases import shown

    assert done["error"] == "Raise memory: nobody approved it in time", done["error"]
    assert shown(done, "zh") == "Raise memory：无人及时审批", shown(done, "zh")


PODS = {
    "name": "Inspect the pods",
    "check": "pods_running",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
}


def test_an_unexpected_error_mid_run_rolls_back_the_steps_before_it(runs, sandbox, api, runtime):
    # Given a runbook that scales out, then reads the pods, and a network that drops every pod read
    key = runs["alice"]
    body = {"name": "scale then look", "risk_level": "auto", "steps": [SCALE_OUT, PODS]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    before = replicas(sandbox)
    sandbox.drop_connection("pods")
    # When it runs: step 1 scales the Deployment out, step 2 fails with a connection error
    started = api.post(
        "/api/workflows/scale-then-look/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the run ends in error, and the scale-out is undone and named
    assert done["status"] == "failed" and done["result"]["outcome"] == "error", done
    assert done["result"]["rolled_back"] == [{"step": "Scale out", "status": "succeeded"}], done["result"]
    assert replicas(sandbox) == before
    [ended] = [e for e in events(api, key, started["job_id"]) if e["event"] == "JobFailed"]
    assert "earlier steps rolled back: Scale out (succeeded)" in ended["message"], ended
    assert execution_status(runtime, started["job_id"]) == "FAILED"
    # (the job's page names the error and quotes what it said, in a Chinese line)
    from pagerless.runbooks.error_phrases import shown

    name, said = done["error"].split(": ", 1)
    assert shown(done, "zh") == f"{name}：{said}", (done["error"], shown(done, "zh"))


def parked_at(api, key, job_id, step: str) -> dict:
    """The job once it waits for the approval of ``step``."""
    return wait_for(lambda: (j := job(api, key, job_id))["status"] == "parked" and j["current_node"] == step and j)


def signal(api, key, parked: dict, approved: bool) -> None:
    decision = {"correlation_key": parked["correlation_key"], "payload": {"approved": approved}}
    assert api.post(f"/api/jobs/{parked['job_id']}/signal", json=decision, headers=auth(key)).status_code == 200


def test_a_rollback_that_fails_is_not_run_again_and_the_run_says_what_is_still_applied(runs, sandbox, api, runtime):
    # Given a confirm runbook: scale out (its rollback restarts a pod named without its Deployment,
    # so planning it reads the pod's owner from the cluster), raise the memory limit, scale out more
    alice, bob = runs["alice"], runs["bob"]
    scale = {**SCALE_OUT, "rollback": {"action": "restart_pod", "params": {"namespace": "{namespace}", "pod": "{pod}"}}}
    raise_memory = {
        **RAISE_MEMORY,
        "rollback": {
            "action": "rollback_deployment",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
    }
    more = {**SCALE_OUT, "name": "Scale out more", "params": {**SCALE_OUT["params"], "replicas": 5}}
    body = {"name": "scale raise scale", "risk_level": "confirm", "steps": [scale, raise_memory, more]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(alice)).status_code == 201
    context = {**CONTEXT, "pod": "payments-api-4x6gmfs98g-gwkjg"}
    started = api.post(
        "/api/workflows/scale-raise-scale/execute", json={"context": context, "options": FAST}, headers=auth(alice)
    ).json()
    job_id = started["job_id"]
    signal(api, bob, parked_at(api, alice, job_id, "Scale out"), approved=True)
    signal(api, bob, parked_at(api, alice, job_id, "Raise memory"), approved=True)
    last = parked_at(api, alice, job_id, "Scale out more")
    # When the connection to the cluster drops for pods, and Bob rejects step 3: the rollback undoes
    # step 2, then fails planning step 1's rollback
    sandbox.drop_connection("pods")
    signal(api, bob, last, approved=False)
    done = wait_job(api, alice, job_id, "failed", "completed")
    # Then the failure path does not roll back again (step 2 is undone once), the execution ends,
    # and the run names the step still applied
    assert done["status"] == "failed" and done["result"]["outcome"] == "error", done
    trail = events(api, alice, job_id)
    assert [(e["node"], e["action"]) for e in trail if e["event"] == "RollbackStep"] == [
        ("Raise memory", "rollback_deployment")
    ]
    assert memory_limit(sandbox) == "256Mi" and replicas(sandbox) == 4
    assert "still applied: Scale out" in done["error"], done["error"]
    wait_for(lambda: execution_status(runtime, job_id) == "FAILED", timeout=30)


def test_a_rollback_that_cannot_be_built_is_noted_and_the_other_steps_are_still_rolled_back(hungry, runs, sandbox, api):
    # Given a runbook: scale out, then raise the memory limit with a verify that fails (the pods
    # need 2Gi) and a rollback that cannot be built from the run's context (there is no revision 0;
    # written as a literal 0, it would be refused when the runbook is written)
    key = runs["alice"]
    before = replicas(sandbox)
    unbuildable = {
        **RAISE_MEMORY,
        "verify": {
            "check": "workload_healthy",
            "max_attempts": 1,
            "interval_seconds": 0,
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
        "rollback": {
            "action": "rollback_deployment",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}", "to_revision": "{days}"},
        },
    }
    body = {"name": "scale then raise for good", "risk_level": "auto", "steps": [SCALE_OUT, unbuildable]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    # When step 2's verify fails and the run rolls back
    started = api.post(
        "/api/workflows/scale-then-raise-for-good/execute",
        json={"context": {**CONTEXT, "days": 0}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then step 2's rollback is noted with why it could not run, step 1 is still rolled back, and
    # the run ends saying its rollback is incomplete
    assert done["status"] == "failed" and done["result"]["outcome"] == "rollback_incomplete", done["error"]
    assert done["result"]["rolled_back"] == [{"step": "Scale out", "status": "succeeded"}], done["result"]
    [missed] = done["result"]["not_rolled_back"]
    assert missed["step"] == "Raise memory" and "to_revision" in missed["reason"], missed
    assert replicas(sandbox) == before and memory_limit(sandbox) == "512Mi"
    trail = events(api, key, started["job_id"])
    rolled = [(e["event"], e["node"]) for e in trail if e["event"].startswith("Rollback")]
    assert rolled == [("RollbackFailed", "Raise memory"), ("RollbackStep", "Scale out")], rolled
    [failed] = [e for e in trail if e["event"] == "RollbackFailed"]
    assert "cannot be built" in failed["message"] and "to_revision" in failed["message"], failed
    [ended] = [e for e in trail if e["event"] == "JobFailed"]
    assert "not rolled back: Raise memory" in ended["message"], ended


@pytest.mark.parametrize("cordoned_before", [True, False], ids=["cordoned-by-a-person", "schedulable"])
def test_the_node_drain_rollback_gives_the_node_back_as_the_drain_found_it(runs, sandbox, api, cordoned_before):
    from pagerless.kube.clients import from_kubeconfig

    # Given a policy that allows the drain, a node (cordoned by a person, or schedulable), and a pod
    # on it that its eviction does not remove (it stays Terminating), so the drain's verify fails
    store_policy(max_blast_radius="cluster", denied_namespaces=[], rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    if cordoned_before:  # kubectl cordon
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        kube.call(kube.core.patch_node, DRAINED, {"spec": {"unschedulable": True}})
        kube.close()
    sandbox.keep_terminating(NS, "payments-api-4x6gmfs98g-gwkjg")
    # When the built-in node-drain runbook runs (its operator approves every step up front)
    started = api.post(
        "/api/workflows/node-drain/execute",
        json={"context": {"node": DRAINED}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the drain ran, its verify failed, and its rollback left the node as the drain found it
    assert done["status"] == "failed" and done["result"]["outcome"] == "rolled_back", done
    trail = events(api, key, started["job_id"])
    assert any(e["event"] == "VerifyFailed" and "still on it" in e["message"] for e in trail), trail
    assert bool(sandbox.node(DRAINED)["spec"].get("unschedulable")) is cordoned_before
    rolled = [(e["event"], e["node"]) for e in trail if e["event"].startswith("Rollback")]
    if cordoned_before:
        assert rolled == [("RollbackSkipped", "Drain the node")], rolled
        assert done["result"]["rolled_back"] == [], done["result"]
    else:
        assert rolled == [("RollbackStep", "Drain the node")], rolled
        assert done["result"]["rolled_back"] == [{"step": "Drain the node", "status": "succeeded"}], done["result"]


def test_a_rollback_whose_kubernetes_call_fails_leaves_the_step_applied_and_the_run_says_so(hungry, runs, sandbox, api):
    # Given a confirm runbook: scale out, then raise the memory limit with a verify that fails (the
    # pods need 2Gi) and a rollback to the previous release
    alice, bob = runs["alice"], runs["bob"]
    raise_memory = {
        **RAISE_MEMORY,
        "verify": {
            "check": "workload_healthy",
            "max_attempts": 1,
            "interval_seconds": 0,
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
        "rollback": {
            "action": "rollback_deployment",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
    }
    body = {"name": "scale then raise or undo", "risk_level": "confirm", "steps": [SCALE_OUT, raise_memory]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(alice)).status_code == 201
    before = replicas(sandbox)
    started = api.post(
        "/api/workflows/scale-then-raise-or-undo/execute",
        json={"context": CONTEXT, "options": FAST},
        headers=auth(alice),
    ).json()
    job_id = started["job_id"]
    signal(api, bob, parked_at(api, alice, job_id, "Scale out"), approved=True)
    last = parked_at(api, alice, job_id, "Raise memory")
    # When the connection drops for every call to the Deployment's scale (the scale-out's rollback
    # needs it, step 2 does not), Bob approves step 2 and its verify fails
    sandbox.drop_connection("deployments", "scale")
    signal(api, bob, last, approved=True)
    done = wait_job(api, alice, job_id, "failed", "completed")
    # Then step 2 is rolled back, the scale-out is still applied, and the run does not claim it rolled back
    assert replicas(sandbox) != before and memory_limit(sandbox) == "256Mi"
    assert done["status"] == "failed" and done["result"]["outcome"] == "rollback_incomplete", done["error"]
    assert done["result"]["rolled_back"] == [{"step": "Raise memory", "status": "succeeded"}], done["result"]
    [missed] = done["result"]["not_rolled_back"]
    assert missed["step"] == "Scale out" and "failed" in missed["reason"], missed
    assert "not rolled back: Scale out (" in done["error"], done["error"]
    # (the job's page says it in Chinese from the phrase kept beside the error)
    from pagerless.runbooks.error_phrases import shown

    assert "未回滚：Scale out（它的回滚失败：" in shown(done, "zh"), shown(done, "zh")
    assert done["error"].startswith("Raise memory failed its verify: "), done["error"]
    assert shown(done, "zh").startswith("步骤 Raise memory 未通过验证："), shown(done, "zh")
    assert "failed its verify" not in shown(done, "zh")
    trail = events(api, alice, job_id)
    rolled = [(e["node"], e["status"]) for e in trail if e["event"] == "RollbackStep"]
    assert rolled == [("Raise memory", "succeeded"), ("Scale out", "failed")], rolled
    [failed] = [e for e in trail if e["event"] == "RollbackStep" and e["status"] == "failed"]
    assert "still applied" in failed["message"], failed
    [ended] = [e for e in trail if e["event"] == "JobFailed"]
    assert "not rolled back: Scale out (" in ended["message"], ended
    assert "rollback_incomplete" in ended["message"], ended


def test_a_rollback_the_policy_denies_leaves_the_step_applied_and_the_run_says_so(runs, sandbox, api):
    # Given a confirm runbook whose step 1 (scale out) ran on Bob's approval
    alice, bob = runs["alice"], runs["bob"]
    body = {"name": "scale then raise frozen", "risk_level": "confirm", "steps": [SCALE_OUT, RAISE_MEMORY]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(alice)).status_code == 201
    before = replicas(sandbox)
    started = api.post(
        "/api/workflows/scale-then-raise-frozen/execute",
        json={"context": CONTEXT, "options": FAST},
        headers=auth(alice),
    ).json()
    job_id = started["job_id"]
    signal(api, bob, parked_at(api, alice, job_id, "Scale out"), approved=True)
    last = parked_at(api, alice, job_id, "Raise memory")
    # When the kill switch goes on before step 2 runs: step 2 is denied, and so is step 1's rollback
    store_policy(kill_switch=True)
    signal(api, bob, last, approved=True)
    done = wait_job(api, alice, job_id, "failed", "completed")
    # Then the scale-out is still applied, and the run says so instead of ending as if nothing were
    assert replicas(sandbox) != before
    assert done["result"]["outcome"] == "denied" and done["result"]["rolled_back"] == [], done["result"]
    [missed] = done["result"]["not_rolled_back"]
    assert missed["step"] == "Scale out" and "kill_switch" in missed["reason"], missed
    [ended] = [e for e in events(api, alice, job_id) if e["event"] == "JobFailed"]
    assert "not rolled back: Scale out (" in ended["message"], ended


def test_a_scale_rollback_puts_back_the_count_the_step_found_not_the_count_at_the_start(hungry, runs, sandbox, api):
    from pagerless.kube.clients import from_kubeconfig
    from tests.functional.workflow.conftest import DEPLOYMENT

    # Given a confirm runbook that scales out to 4 (its rollback: the count read when the run
    # started) and verifies the pods (they keep crashing: the verify fails)
    alice, bob = runs["alice"], runs["bob"]
    verified = {
        **SCALE_OUT,
        "verify": {
            "check": "workload_healthy",
            "max_attempts": 1,
            "interval_seconds": 0,
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
    }
    body = {"name": "scale and check", "risk_level": "confirm", "steps": [verified]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(alice)).status_code == 201
    started = api.post(
        "/api/workflows/scale-and-check/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    job_id = started["job_id"]
    parked = parked_at(api, alice, job_id, "Scale out")
    # When, while the step waits for its approval, a person scales the Deployment to 6 (kubectl scale)
    kube = from_kubeconfig(sandbox.kubeconfig_path())
    kube.call(kube.apps.patch_namespaced_deployment_scale, DEPLOYMENT, NS, {"spec": {"replicas": 6}})
    kube.close()
    signal(api, bob, parked, approved=True)
    done = wait_job(api, alice, job_id, "failed", "completed")
    # Then the failed step's rollback puts back the 6 the step found, not the count of the run's start
    assert done["result"]["outcome"] == "rolled_back", done
    assert replicas(sandbox) == 6
