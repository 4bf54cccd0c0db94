"""Runbook runs: the real `runbook-run` ASL on the embedded AWS, against the sandbox cluster."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import CONTAINER, DEPLOYMENT, NS, memory_limit, store_policy, wait_for

pytestmark = pytest.mark.functional

CONTEXT = {"namespace": NS, "deployment": DEPLOYMENT, "container": CONTAINER, "memory_limit": "512Mi"}
FAST = {"verify_interval_seconds": 0}


@pytest.fixture
def runs(sandbox, runtime):
    """Operator keys and a policy that lets the tests' actions run; runs still waiting are stopped after."""
    from pagerless.api.security import key_service

    store_policy(rate_limit={"max_actions": 50, "window_minutes": 60})
    keys = {
        name: key_service().create(workspace="default", role="operator", name=name).secret for name in ("alice", "bob")
    }
    yield keys
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["RunbookRunStateMachine"]
    for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        sfn.stop_execution(executionArn=execution["executionArn"])


def job(api, key, job_id) -> dict:
    response = api.get(f"/api/jobs/{job_id}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def wait_job(api, key, job_id, *statuses) -> dict:
    """The job once it has one of ``statuses``; a final one once its run has ended too: the step that ends a job
    sets its status, then writes its JobCompleted/JobFailed event, then the execution ends (a test that read the
    events or the execution at the status raced them)."""
    try:
        done = wait_for(lambda: (j := job(api, key, job_id))["status"] in statuses and j, timeout=60)
        if done["status"] in ("completed", "failed", "cancelled"):
            wait_for(lambda: run_ended(job_id), timeout=60)
        return done
    except AssertionError:
        raise AssertionError(
            f"{job(api, key, job_id)}\n{api.get(f'/api/jobs/{job_id}/trace', headers=auth(key)).json()}"
        ) from None


def run_ended(job_id: str) -> bool:
    """The job's execution (named by the job's id) is no longer running, or never started."""
    import boto3

    from pagerless import settings

    machine = settings.workflow().runbook_state_machine_arn
    running = boto3.client("stepfunctions").list_executions(stateMachineArn=machine, statusFilter="RUNNING")
    return all(execution["name"] != job_id for execution in running["executions"])


def events(api, key, job_id) -> list[dict]:
    return [
        e
        for e in api.get(f"/api/jobs/{job_id}/trace", headers=auth(key)).json()["timeline"]
        if e["source"] == "pagerless"
    ]


def replicas(cluster) -> int:
    return cluster.deployment(NS, DEPLOYMENT)["spec"]["replicas"]


def test_dry_run_changes_nothing_and_records_each_step(runs, sandbox, api):
    key = runs["alice"]
    started = api.post(
        "/api/workflows/oom_recovery/execute", json={"context": CONTEXT, "dry_run": True}, headers=auth(key)
    )
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    assert done["status"] == "completed", done
    assert [s["status"] for s in done["steps"]] == ["not_ok", "would_change"]  # the pods are OOMKilled
    assert "0/" in done["steps"][0]["message"]
    assert "256Mi → 512Mi" in done["steps"][1]["diff"]
    assert done["steps"][1]["rule"] == "autonomy:approve"
    assert memory_limit(sandbox) == "256Mi"


def test_a_dry_run_is_not_held_back_by_the_rate_limit_and_says_which_steps_a_real_run_would_be_refused(
    runs, sandbox, api
):
    # Given payments-api has had its 3 actions of the hour: an operator restarted 3 of its pods
    store_policy(rate_limit={"max_actions": 3, "window_minutes": 60})
    key = runs["alice"]
    for _ in range(3):
        pod = next(p["metadata"]["name"] for p in sandbox.pods(NS) if p["metadata"]["labels"].get("app") == DEPLOYMENT)
        restart = {"action": {"action": "restart_pod", "namespace": NS, "pod": pod}, "dry_run": False}
        assert api.post("/api/actions/execute", json=restart, headers=auth(key)).json()["result"]["status"] == (
            "succeeded"
        )
    # When the OOM runbook is dry-run on it
    started = api.post(
        "/api/workflows/oom_recovery/execute", json={"context": CONTEXT, "dry_run": True}, headers=auth(key)
    )
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then the dry run completes with the step's diff, and the step says a real run would be blocked now
    assert done["status"] == "completed", done
    step = done["steps"][1]
    assert step["status"] == "would_change" and "256Mi → 512Mi" in step["diff"], step
    assert step["rule"] == "rate_limit" and step["allowed"] is False
    assert "a real run now would be blocked by policy rule rate_limit" in step["message"]
    assert memory_limit(sandbox) == "256Mi"


def test_each_step_waits_for_its_approval_then_runs_and_verifies(runs, sandbox, api, runtime):
    alice, bob = runs["alice"], runs["bob"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    parked = wait_job(api, alice, started["job_id"], "parked")
    assert parked["current_node"] == "Raise the memory limit" and parked["correlation_key"]
    assert memory_limit(sandbox) == "256Mi", "nothing mutating runs before the approval"
    # the step's approval is an approval like any other
    pending = api.get("/api/approvals?status=pending", headers=auth(alice)).json()["items"]
    assert [a["proposal"]["step"] for a in pending] == ["Raise the memory limit"]
    assert "task_token" not in str(pending)
    # a wrong key and a missing decision are refused, in the API's error format
    wrong = api.post(
        f"/api/jobs/{started['job_id']}/signal",
        json={"correlation_key": "nope", "payload": {"approved": True}},
        headers=auth(bob),
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "INVALID_SIGNAL_KEY"
    signal = api.post(
        f"/api/jobs/{started['job_id']}/signal",
        json={"correlation_key": parked["correlation_key"], "payload": {"approved": True, "reason": "ok"}},
        headers=auth(bob),
    )
    assert signal.status_code == 200, signal.text
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    assert done["status"] == "completed", done
    assert memory_limit(sandbox) == "512Mi"
    assert done["steps"][1]["approved_by"] and done["steps"][1]["verified"] is True
    names = [e["event"] for e in events(api, alice, started["job_id"])]
    for expected in (
        "JobCreated",
        "JobStarted",
        "JobParked",
        "SignalReceived",
        "ToolCompleted",
        "StepVerified",
        "JobCompleted",
    ):
        assert expected in names, names
    again = api.post(
        f"/api/jobs/{started['job_id']}/signal",
        json={"correlation_key": parked["correlation_key"], "payload": {"approved": True}},
        headers=auth(bob),
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "JOB_NOT_PARKED"


def test_a_step_decision_step_functions_did_not_take_can_be_sent_again(runs, sandbox, api, monkeypatch):
    from botocore.exceptions import ClientError

    from pagerless import step_functions

    real = step_functions.client()

    class _ThrottledOnce:
        """The real Step Functions client, whose first SendTaskSuccess is throttled."""

        throttled = False

        def __getattr__(self, name):
            return getattr(real, name)

        def send_task_success(self, **kwargs):
            if not _ThrottledOnce.throttled:
                _ThrottledOnce.throttled = True
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess"
                )
            return real.send_task_success(**kwargs)

    alice, bob = runs["alice"], runs["bob"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    parked = wait_job(api, alice, started["job_id"], "parked")
    monkeypatch.setattr(step_functions, "client", lambda: _ThrottledOnce())
    signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
    # When Bob approves the step while Step Functions throttles
    first = api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(bob))
    # Then he is told to try again, in the API's error format, and the step still waits for him
    assert first.status_code == 503 and "try again" in first.json()["error"]["message"], first.text
    assert job(api, alice, started["job_id"])["status"] == "parked"
    assert [a["proposal"]["step"] for a in api.get("/api/approvals", headers=auth(alice)).json()["items"]] == [
        "Raise the memory limit"
    ]
    # and his second try runs the step
    again = api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(bob))
    assert again.status_code == 200, again.text
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    assert done["status"] == "completed" and memory_limit(sandbox) == "512Mi", done


@pytest.fixture
def hungry(scenario):
    """The pods need 2Gi: raising the limit to 512Mi does not fix them."""
    scenario["sandbox"] = {
        "failures": {f"{NS}/{DEPLOYMENT}": {"kind": "oom", "container": CONTAINER, "memory_needed": "2Gi"}}
    }


def test_a_failing_verify_rolls_back_in_reverse(hungry, runs, sandbox, api):
    key = runs["alice"]
    body = {
        "name": "scale then raise",
        "risk_level": "auto",
        "match_alert_types": ["oom_killed"],
        "steps": [
            {
                "name": "Scale out",
                "action": "scale_deployment",
                "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 4},
                "rollback": {
                    "action": "scale_deployment",
                    "params": {
                        "namespace": "{namespace}",
                        "deployment": "{deployment}",
                        "replicas": "{current_replicas}",
                    },
                },
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
                "verify": {
                    "check": "workload_healthy",
                    "max_attempts": 2,
                    "interval_seconds": 0,
                    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
                },
                "rollback": {
                    "action": "rollback_deployment",
                    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
                },
            },
        ],
    }
    created = api.post("/api/custom-runbooks", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    cluster = sandbox
    before = replicas(cluster)
    started = api.post(
        "/api/workflows/scale-then-raise/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    assert done["status"] == "failed" and done["result"]["outcome"] == "rolled_back", done
    rolled = [(e["node"], e["action"]) for e in events(api, key, started["job_id"]) if e["event"] == "RollbackStep"]
    assert rolled == [("Raise memory", "rollback_deployment"), ("Scale out", "scale_deployment")]
    assert memory_limit(cluster) == "256Mi" and replicas(cluster) == before


@pytest.mark.parametrize(
    "runbook, extra, statuses",
    [
        ("crashloop-triage", {}, ["not_ok", "ok", "would_change"]),
        ("bad-deploy-rollback", {}, ["ok", "not_found"]),  # the scenario has no earlier revision to go back to
        ("scale-out", {"replicas": 4}, ["not_ok", "would_change"]),
        # coredns (kube-system, denied by default) runs on the node: the drain is refused per pod
        ("node-drain", {"node": "ip-10-0-1-23.ec2.internal"}, ["ok", "refused"]),
        # the sandbox serves no secrets: the check says so, and a failed check ends the run (checks gate)
        ("certificate-expiry-check", {}, ["not_ok"]),
    ],
)
def test_every_builtin_dry_runs_against_the_sandbox(runs, sandbox, api, runbook, extra, statuses):
    store_policy(max_blast_radius="cluster", rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    started = api.post(
        f"/api/workflows/{runbook}/execute",
        json={"context": {"namespace": NS, "deployment": DEPLOYMENT, **extra}, "dry_run": True},
        headers=auth(key),
    )
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    gated = runbook == "certificate-expiry-check"  # its one check fails; the others' failing checks only record
    assert done["status"] == ("failed" if gated else "completed"), done
    assert [s["status"] for s in done["steps"]] == statuses, done["steps"]
    assert all(s["diff"] for s in done["steps"] if s["status"] == "would_change")


def test_a_rejected_step_ends_the_run_and_a_step_nobody_decides_times_out(runs, sandbox, api, monkeypatch):
    from pagerless import settings

    key, bob = runs["alice"], runs["bob"]
    first = api.post(
        "/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}, headers=auth(key)
    ).json()
    parked = wait_job(api, key, first["job_id"], "parked")
    rejected = api.post(
        f"/api/jobs/{first['job_id']}/signal",
        headers=auth(bob),
        json={
            "correlation_key": parked["correlation_key"],
            "payload": {"approved": False, "reason": "not during the sale"},
        },
    )
    assert rejected.status_code == 200 and rejected.json()["approval"]["status"] == "rejected"
    assert rejected.json()["approval"]["decided_by_label"].startswith("bob (key_")  # name and id
    done = wait_job(api, key, first["job_id"], "failed", "completed")
    assert done["status"] == "failed" and done["result"]["outcome"] == "rejected"
    assert "not during the sale" in done["error"]
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    second = api.post(
        "/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}, headers=auth(key)
    ).json()
    timed_out = wait_job(api, key, second["job_id"], "failed", "completed")
    assert timed_out["result"]["outcome"] == "timed_out"
    expired = api.get("/api/approvals?status=expired", headers=auth(key)).json()["items"]
    assert [a["proposal"]["job_id"] for a in expired] == [second["job_id"]]
    assert memory_limit(sandbox) == "256Mi"


DRAINED = "ip-10-0-1-23.ec2.internal"


def test_the_node_drain_runbook_drains_the_node_and_verifies_it(runs, sandbox, api):
    # Given a policy that allows cluster-wide actions in every namespace
    store_policy(max_blast_radius="cluster", denied_namespaces=[], rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    # When the node-drain runbook runs (its operator approves every step up front)
    started = api.post(
        "/api/workflows/node-drain/execute",
        json={"context": {"node": DRAINED}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    )
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then the drain ran and its verify passed: only the DaemonSet pod is left on the cordoned node
    assert done["status"] == "completed", done
    assert [s["status"] for s in done["steps"]] == ["ok", "succeeded"]
    assert done["steps"][1]["verified"] is True and done["steps"][1]["action"] == "drain_node"
    assert sandbox.node(DRAINED)["spec"]["unschedulable"] is True
    assert [p["metadata"]["name"] for p in sandbox.pods() if p["spec"].get("nodeName") == DRAINED] == [
        "kube-proxy-6s5gz"
    ]
    assert any(
        e["event"] == "StepVerified" and "drained" in e["message"] for e in events(api, key, started.json()["job_id"])
    )
    # And the check's message is kept with its phrases: a Chinese run page says what it found in Chinese
    from pagerless.console import i18n

    check = done["steps"][0]
    assert i18n.environment("zh").filters["step_message"](check) == f"节点 {DRAINED} 已就绪", check
    assert i18n.environment("en").filters["step_message"](check) == check["message"] == f"node {DRAINED} is Ready"


def test_a_drain_the_deny_list_refuses_changes_nothing(runs, sandbox, api):
    # Given the default deny list (kube-system) and a coredns pod on the node
    store_policy(max_blast_radius="cluster", rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    # When the node-drain runbook runs
    started = api.post(
        "/api/workflows/node-drain/execute",
        json={"context": {"node": DRAINED}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    )
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then the drain step is refused naming the pod, and the node and its pods are as they were
    assert done["status"] == "failed", done
    drained = [e for e in events(api, key, started.json()["job_id"]) if e.get("action") == "drain_node"]
    assert drained and "coredns-jr5gpjptcj-p5sxm: policy denied_namespace" in drained[0]["message"]
    assert not sandbox.node(DRAINED)["spec"].get("unschedulable")
    assert sandbox.pod("payments", "payments-api-4x6gmfs98g-gwkjg") is not None


def test_a_step_nobody_decides_on_an_incident_updates_its_cards_to_expired(
    runs, sandbox, scenario, api, runtime, monkeypatch
):
    import json

    from pagerless import settings
    from pagerless.intake.service import IntakeService
    from tests.functional.workflow.conftest import alertmanager_payload

    # Given a run on an incident whose step waits one second for an approval
    [opened] = IntakeService(start_workflow=lambda *a, **k: None).ingest(
        "alertmanager", alertmanager_payload(scenario["alert"]), "default"
    )
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    key = runs["alice"]
    body = {"workflow_id": "oom-recovery", "input": {"context": CONTEXT, "incident_id": opened.incident_id}}
    started = api.post("/api/runs", json=body, headers=auth(key))
    assert started.status_code in (200, 201, 202), started.text
    # When nobody decides it
    done = wait_job(api, key, started.json()["job_id"], "failed", "completed")
    assert done["result"]["outcome"] == "timed_out"
    # Then its cards are told it expired (the notify function removes their buttons)
    sqs, url, jobs = runtime.client("sqs"), settings.workflow().notify_queue_url, []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        jobs += [json.loads(m["Body"]) for m in batch]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    requested = [j for j in jobs if j["event"] == "approval.requested"]
    decided = [j for j in jobs if j["event"] == "approval.decided"]
    assert requested and [d["data"]["approval_id"] for d in decided] == [requested[-1]["data"]["approval_id"]]
    assert decided[0]["data"]["decision"] == "expired"


@pytest.fixture
def with_older_release(scenario):
    """payments-api has an earlier release (revision 6, image v2.2.9) next to the current one (revision 7)."""
    import copy

    replicasets = scenario["cluster"]["replicasets"]["items"]
    current = next(rs for rs in replicasets if rs["metadata"]["name"].startswith("payments-api-"))
    older = copy.deepcopy(current)
    older["metadata"].update(name="payments-api-6b7c8d9f5a", uid="5e0f6a8c-older-release", resourceVersion="31000001")
    older["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "6"
    for labels in (older["metadata"]["labels"], older["spec"]["selector"]["matchLabels"]):
        labels["pod-template-hash"] = "6b7c8d9f5a"
    older["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = "6b7c8d9f5a"
    older["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.com/payments/payments-api:v2.2.9"
    older["spec"]["replicas"] = 0
    older["status"] = {"replicas": 0, "observedGeneration": 1}
    replicasets.append(older)


def image(cluster) -> str:
    return cluster.deployment(NS, DEPLOYMENT)["spec"]["template"]["spec"]["containers"][0]["image"]


def test_a_step_that_changed_nothing_is_not_rolled_back_to_an_earlier_release(with_older_release, runs, sandbox, api):
    # Given a Deployment whose memory limit already is 256Mi, with an earlier release (v2.2.9) in its history
    key = runs["alice"]
    assert image(sandbox).endswith(":v2.3.0") and memory_limit(sandbox) == "256Mi"
    # When oom-recovery "raises" the limit to the value it already has, and its verify fails (still OOMKilled)
    started = api.post(
        "/api/workflows/oom-recovery/execute",
        json={"context": {**CONTEXT, "memory_limit": "256Mi"}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    # Then the run fails, but its rollback does not undo a release the run never made
    assert done["status"] == "failed", done
    trail = events(api, key, started["job_id"])
    assert image(sandbox).endswith(":v2.3.0"), [e.get("message") for e in trail]
    assert memory_limit(sandbox) == "256Mi"
    assert not [e for e in trail if e["event"] == "RollbackStep"], trail
    raised = next(e for e in trail if e["event"] == "ToolCompleted")
    assert raised["status"] == "no_change", raised


def test_a_rollback_the_policy_wants_approved_does_not_run_on_nobodys_approval(runs, sandbox, api):
    # Given auto-safe: a rollout restart runs at once, a rollback_deployment (medium risk) needs a human
    store_policy(autonomy="auto-safe", rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    body = {
        "name": "restart or undo",
        "risk_level": "auto",
        "steps": [
            {
                "name": "Restart",
                "action": "rollout_restart",
                "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
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
        ],
    }
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    # When it runs (nobody approves anything) and the restart does not fix the OOMKilled pods
    started = api.post(
        "/api/workflows/restart-or-undo/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(key)
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    restarted = sandbox.deployment(NS, DEPLOYMENT)["spec"]["template"]["metadata"].get("annotations") or {}
    # Then the restart ran, but the rollback the policy wants approved was refused, not run
    assert done["status"] == "failed", done
    [rolled] = [e for e in events(api, key, started["job_id"]) if e["event"] == "RollbackStep"]
    assert rolled["status"] == "refused", rolled
    assert "kubectl.kubernetes.io/restartedAt" in restarted, "the rollback ran without an approval"


SCALE_OUT = {
    "name": "Scale out",
    "action": "scale_deployment",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": 4},
    "rollback": {
        "action": "scale_deployment",
        "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": "{current_replicas}"},
    },
}
RAISE_MEMORY = {
    "name": "Raise memory",
    "action": "patch_resources",
    "params": {
        "namespace": "{namespace}",
        "deployment": "{deployment}",
        "container": "{container}",
        "memory_limit": "{memory_limit}",
    },
}


def test_a_step_rejected_mid_run_rolls_back_the_steps_that_changed_the_deployment(runs, sandbox, api):
    # Given a confirm runbook: scale out, then raise the memory limit
    alice, bob = runs["alice"], runs["bob"]
    body = {"name": "scale then patch", "risk_level": "confirm", "steps": [SCALE_OUT, RAISE_MEMORY]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(alice)).status_code == 201
    before = replicas(sandbox)
    started = api.post(
        "/api/workflows/scale-then-patch/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    job_id = started["job_id"]
    first = wait_job(api, alice, job_id, "parked")
    approve = {"correlation_key": first["correlation_key"], "payload": {"approved": True}}
    assert api.post(f"/api/jobs/{job_id}/signal", json=approve, headers=auth(bob)).status_code == 200
    # When Bob approves step 1 (it scales the Deployment out) and rejects step 2
    second = wait_for(
        lambda: (j := job(api, alice, job_id))["status"] == "parked" and j["current_node"] == "Raise memory" and j,
        timeout=60,
    )
    assert replicas(sandbox) == 4
    reject = {"correlation_key": second["correlation_key"], "payload": {"approved": False, "reason": "not now"}}
    assert api.post(f"/api/jobs/{job_id}/signal", json=reject, headers=auth(bob)).status_code == 200
    done = wait_job(api, alice, job_id, "failed", "completed")
    # Then the run ends rejected, with step 1 rolled back on Bob's approval, and says so
    assert done["status"] == "failed" and done["result"]["outcome"] == "rejected", done
    assert done["result"]["rolled_back"] == [{"step": "Scale out", "status": "succeeded"}], done["result"]
    assert replicas(sandbox) == before and memory_limit(sandbox) == "256Mi"
    trail = events(api, alice, job_id)
    assert [(e["node"], e["status"]) for e in trail if e["event"] == "RollbackStep"] == [("Scale out", "succeeded")]
    [ended] = [e for e in trail if e["event"] == "JobFailed"]
    assert "rejected" in ended["message"], ended
    assert "earlier steps rolled back: Scale out (succeeded)" in ended["message"], ended


def test_a_step_the_policy_denies_mid_run_rolls_back_the_earlier_steps(runs, sandbox, api):
    # Given a runbook whose second step (a cordon, cluster-wide) the default policy denies
    key = runs["alice"]
    cordon = {"name": "Cordon", "action": "cordon_node", "params": {"node": "{node}"}}
    body = {"name": "scale then cordon", "risk_level": "auto", "steps": [SCALE_OUT, cordon]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    before = replicas(sandbox)
    # When it runs (its operator approves every step up front)
    started = api.post(
        "/api/workflows/scale-then-cordon/execute",
        json={"context": {**CONTEXT, "node": DRAINED}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the cordon is denied, nothing after it runs, and the scale-out it followed is undone
    assert done["status"] == "failed" and done["result"]["outcome"] == "denied", (done["error"], done["result"])
    assert "max_blast_radius" in done["error"], done
    assert done["result"]["rolled_back"] == [{"step": "Scale out", "status": "succeeded"}], done["result"]
    assert replicas(sandbox) == before
    assert not sandbox.node(DRAINED)["spec"].get("unschedulable")
    [ended] = [e for e in events(api, key, started["job_id"]) if e["event"] == "JobFailed"]
    assert "denied" in ended["message"], ended
    assert "earlier steps rolled back: Scale out (succeeded)" in ended["message"], ended
    assert ended["error_phrase"] == done["result"]["error_phrase"], ended  # why, for the Chinese timeline to say
    # And the Chinese line (the job's page and the incident's timeline) says what was rolled back in Chinese
    from pagerless.reports.timeline_phrases import say

    entry = {"type": "runbook_step", "message": ended["message"], "data": dict(ended, runbook="scale then cordon")}
    said = say(entry, "zh", str)
    assert said.endswith("；此前的步骤已回滚：Scale out（成功）"), said
    assert "rolled back" not in said, said


def test_a_step_denied_before_anything_changed_rolls_nothing_back(runs, sandbox, api):
    # Given a runbook whose first step the default policy denies
    key = runs["alice"]
    cordon = {"name": "Cordon", "action": "cordon_node", "params": {"node": "{node}"}}
    body = {"name": "cordon first", "risk_level": "auto", "steps": [cordon, SCALE_OUT]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    before = replicas(sandbox)
    # When it runs
    started = api.post(
        "/api/workflows/cordon-first/execute",
        json={"context": {**CONTEXT, "node": DRAINED}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the run ends denied with nothing to roll back, and nothing changed
    assert done["result"]["outcome"] == "denied" and done["result"]["rolled_back"] == [], done
    assert replicas(sandbox) == before
    trail = events(api, key, started["job_id"])
    assert not [e for e in trail if e["event"].startswith("Rollback")], trail
    [ended] = [e for e in trail if e["event"] == "JobFailed"]
    assert "rolled back" not in ended["message"], ended


@pytest.fixture
def payments_budget(scenario):
    """A PodDisruptionBudget that lets no payments-api pod go (both must stay)."""
    scenario["cluster"]["pdbs"] = {
        "items": [
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "payments-api", "namespace": NS},
                "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": DEPLOYMENT}}},
            }
        ]
    }


def test_a_drain_a_disruption_budget_blocks_gives_the_node_back(payments_budget, runs, sandbox, api):
    # Given a drain runbook, and a disruption budget that protects the payments-api pod on the node
    store_policy(max_blast_radius="cluster", denied_namespaces=[], rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    body = {
        "name": "drain once",
        "risk_level": "auto",
        "steps": [{"name": "Drain", "action": "drain_node", "params": {"node": "{node}", "eviction_attempts": 1}}],
    }
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    # When it runs and the budget refuses the eviction
    started = api.post(
        "/api/workflows/drain-once/execute",
        json={"context": {"node": DRAINED}, "auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the run fails, the node it cordoned is schedulable again, and the step's result says so
    assert done["status"] == "failed", done
    [drained] = [e for e in events(api, key, started["job_id"]) if e.get("action") == "drain_node"]
    assert drained["status"] == "blocked_by_pdb", drained
    assert "the node was uncordoned" in drained["message"], drained["message"]
    assert not sandbox.node(DRAINED)["spec"].get("unschedulable")
    assert sandbox.pod(NS, "payments-api-4x6gmfs98g-gwkjg") is not None


def test_a_runbook_step_past_the_policys_action_limits_is_denied_naming_the_bound(runs, sandbox, scenario, api):
    from pagerless.intake.service import IntakeService
    from tests.functional.workflow.conftest import alertmanager_payload

    # Given full autonomy, an incident, and a runbook that scales to 1000 replicas (the default bound is 20)
    [opened] = IntakeService(start_workflow=lambda *a, **k: None).ingest(
        "alertmanager", alertmanager_payload(scenario["alert"]), "default"
    )
    key = runs["alice"]
    store_policy(autonomy="auto", rate_limit={"max_actions": 50, "window_minutes": 60})
    huge = {**SCALE_OUT, "params": {**SCALE_OUT["params"], "replicas": 1000}}
    body = {"name": "scale huge", "risk_level": "auto", "steps": [huge]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    before = replicas(sandbox)
    # When it runs, every step approved up front
    started = api.post(
        "/api/workflows/scale-huge/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST, "incident_id": opened.incident_id},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the step is denied by the action_limits rule, naming the bound, and nothing changed
    assert done["result"]["outcome"] == "denied", done
    [step] = done["steps"]
    assert step["rule"] == "action_limits", step
    assert "exceeds action_limits.max_replicas 20" in step["message"], step
    assert replicas(sandbox) == before
    # And the step keeps its message's phrase, so a Chinese run page says why in Chinese (an English one as stored)
    from pagerless.console import i18n

    assert i18n.environment("zh").filters["step_message"](step) == (
        "Scale out：被策略规则 action_limits 阻止：超出操作上限：副本数 1000 超过上限 20（action_limits.max_replicas）；"
        "未执行任何操作"
    )
    assert i18n.environment("en").filters["step_message"](step) == step["message"]
    # And the incident's timeline line of the denial names the rule and says the policy's reason, in Chinese too
    from pagerless.incidents.timeline import timeline
    from pagerless.reports.timeline_phrases import say

    [denied] = [e.to_dict() for e in timeline(opened.incident_id) if (e.data or {}).get("event") == "StepDenied"]
    assert say(denied, "zh", str) == (
        "Runbook scale huge：步骤 Scale out 未执行，策略规则 action_limits 不允许："
        "超出操作上限：副本数 1000 超过上限 20（action_limits.max_replicas）"
    )
    assert "exceeds action_limits.max_replicas 20" in say(denied, "en", str)


@pytest.mark.parametrize(
    ("context", "field", "said"),
    [
        ({"replicas": "lots"}, "steps.1.action.params.replicas", "Scale out: replicas input should be a valid integer"),
        ({"namespace": "Payments Prod"}, "steps.1.action.params.namespace", "(got 'Payments Prod')"),
    ],
    ids=["replicas-no-number", "namespace-no-name"],
)
def test_a_context_value_a_step_cannot_use_is_refused_before_the_run_starts(runs, sandbox, api, context, field, said):
    # Given the scale-out runbook and a context whose value its scale step refuses
    key = runs["alice"]
    body = {"context": {"namespace": NS, "deployment": DEPLOYMENT, "replicas": 3, **context}, "dry_run": True}
    # When it is asked to run
    started = api.post("/api/workflows/scale-out/execute", json=body, headers=auth(key))
    # Then it is a 400 naming the step and the value, and no job was started
    assert started.status_code == 400, started.text
    error = started.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and said in error["message"], error
    assert [d["field"] for d in error["details"]] == [field], error["details"]
    assert "pydantic" not in error["message"] and "tagged-union" not in error["message"]
    assert api.get("/api/jobs", headers=auth(key)).json()["items"] == []


def test_a_run_on_a_deployment_the_cluster_does_not_have_fails_saying_so(runs, sandbox, api):
    # Given the scale-out runbook, which reads the Deployment's replica count when it starts
    key = runs["alice"]
    body = {"context": {"namespace": NS, "deployment": "no-such-app", "replicas": 3}, "dry_run": True}
    # When it is asked to run on a Deployment the cluster does not have
    started = api.post("/api/workflows/scale-out/execute", json=body, headers=auth(key))
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then the job fails naming the Deployment, in words, not as the Kubernetes client's dump
    assert done["status"] == "failed" and done["result"]["outcome"] == "error", done
    assert f"deployment {NS}/no-such-app not found in the cluster; nothing ran" in done["error"], done["error"]
    assert "HTTP response" not in done["error"] and "errorMessage" not in done["error"], done["error"]


def test_a_runbook_step_on_an_incident_outside_its_services_namespace_is_denied(runs, sandbox, scenario, api):
    from pagerless.intake.service import IntakeService
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment
    from tests.functional.workflow.conftest import alertmanager_payload

    # Given an incident of payments-api, whose alert names the payments namespace, and a catalog that puts
    # payments-api in payments-prod
    [opened] = IntakeService(start_workflow=lambda *a, **k: None).ingest(
        "alertmanager", alertmanager_payload(scenario["alert"]), "default"
    )
    put_environment(
        "default", EnvironmentContext(services=[ServiceEntry(name="payments-api", namespace="payments-prod")])
    )
    key = runs["alice"]
    store_policy(autonomy="auto", rate_limit={"max_actions": 50, "window_minutes": 60})
    body = {"name": "scale scoped", "risk_level": "auto", "steps": [SCALE_OUT]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    before = replicas(sandbox)
    # When a runbook scales the alert's deployment, every step approved up front
    started = api.post(
        "/api/workflows/scale-scoped/execute",
        json={"context": CONTEXT, "auto_approve": True, "options": FAST, "incident_id": opened.incident_id},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the step is denied by the service scope, saying why, and nothing changed
    assert done["result"]["outcome"] == "denied", done
    [step] = done["steps"]
    assert step["rule"] == "service_scope", step
    assert "namespace payments is not service payments-api's" in step["message"], step
    assert replicas(sandbox) == before


def test_a_step_approval_previews_a_fix_the_service_scope_now_refuses_saying_so_up_front(runs, sandbox, scenario, api):
    from pagerless.intake.service import IntakeService
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment
    from pagerless.remediation.policy_phrases import decision_reason
    from pagerless.remediation.reasons import render
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.session import dynamodb_events
    from tests.functional.workflow.conftest import alertmanager_payload
    from tests.iam.calls import as_the_test

    # Given an incident of payments-api, whose alert names the payments namespace, the catalog agreeing
    [opened] = IntakeService(start_workflow=lambda *a, **k: None).ingest(
        "alertmanager", alertmanager_payload(scenario["alert"]), "default"
    )
    put_environment("default", EnvironmentContext(services=[ServiceEntry(name="payments-api", namespace=NS)]))
    key = runs["alice"]
    body = {"name": "scale confirmed", "risk_level": "confirm", "steps": [SCALE_OUT]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    before = replicas(sandbox)
    # ... and the catalog moving payments-api to payments-prod once the step is planned, as its approval is asked
    events = dynamodb_events(ApprovalRecord)
    moved = []

    def move_the_service(params, **_):
        if not moved and params.get("TableName") == ApprovalRecord.Meta.table_name:
            moved.append(True)
            with as_the_test():
                services = [ServiceEntry(name="payments-api", namespace="payments-prod")]
                put_environment("default", EnvironmentContext(services=services))

    events.register("before-parameter-build.dynamodb.Query", move_the_service)
    try:
        # When the runbook runs on the incident
        started = api.post(
            "/api/workflows/scale-confirmed/execute",
            json={"context": CONTEXT, "options": FAST, "incident_id": opened.incident_id},
            headers=auth(key),
        ).json()
        wait_job(api, key, started["job_id"], "parked")
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", move_the_service)
    assert moved
    # Then the approver's preview says the scope refuses the step, with its reason (in Chinese too), and the cluster
    # was not asked
    [pending] = api.get("/api/approvals?status=pending", headers=auth(key)).json()["items"]
    preview = pending["proposal"]["dry_run"]
    assert preview["status"] == "denied" and preview["rule"] == "service_scope", preview
    assert "namespace payments is not service payments-api's" in preview["message"], preview
    assert preview["diff"] is None
    chinese = decision_reason(preview, "zh")
    assert chinese != preview["reason"] and "payments-prod" in chinese, chinese
    # ... and its cards' reason says the step is denied, in English and in Chinese
    assert "denied by policy rule service_scope" in pending["proposal"]["card_reason"], pending["proposal"]
    card_zh = render(pending["proposal"]["card_reason_phrase"], "zh")
    assert "被策略规则 service_scope 阻止" in card_zh and "payments-prod" in card_zh, card_zh
    assert replicas(sandbox) == before


def test_a_runbook_step_on_an_incident_restarting_another_workloads_pod_is_denied(runs, sandbox, scenario, api):
    from pagerless.intake.service import IntakeService
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment
    from tests.functional.workflow.conftest import alertmanager_payload

    # Given an incident of payments-api, the catalog agreeing that payments-api lives in payments, which ledger-worker
    # shares
    [opened] = IntakeService(start_workflow=lambda *a, **k: None).ingest(
        "alertmanager", alertmanager_payload(scenario["alert"]), "default"
    )
    put_environment("default", EnvironmentContext(services=[ServiceEntry(name="payments-api", namespace=NS)]))
    key = runs["alice"]
    store_policy(autonomy="auto", rate_limit={"max_actions": 50, "window_minutes": 60})
    step = {
        "name": "Restart the pod",
        "action": "restart_pod",
        "params": {"namespace": "{namespace}", "pod": "{pod}", "deployment": "{deployment}"},
    }
    body = {"name": "restart scoped", "risk_level": "auto", "steps": [step]}
    assert api.post("/api/custom-runbooks", json=body, headers=auth(key)).status_code == 201
    # When a runbook restarts the pod its context names: ledger-worker's, said to be payments-api's
    pod = "ledger-worker-llsgxvlmjd-h6s2c"
    started = api.post(
        "/api/workflows/restart-scoped/execute",
        json={
            "context": {**CONTEXT, "pod": pod},
            "auto_approve": True,
            "options": FAST,
            "incident_id": opened.incident_id,
        },
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "failed", "completed")
    # Then the step is denied by the service scope, naming the pod's owner as the cluster has it, and the pod stays
    assert done["result"]["outcome"] == "denied", done
    [denied] = done["steps"]
    assert denied["rule"] == "service_scope", denied
    assert f"pod {pod} belongs to Deployment ledger-worker, not to service payments-api's workload" in denied["message"]
    assert sandbox.pod(NS, pod) is not None
