"""Runbook runs as durable jobs: incident runs with chat-card approvals, policy denials, stop, replay, trace."""

import json
import time

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    NS,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    wait_for,
    wait_for_status,
)
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, events, hungry, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional


def notify_jobs(runtime) -> list[dict]:
    sqs = runtime.client("sqs")
    url = runtime.provisioned.queues["NotifyQueue"]
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]


def notify_job(runtime, generation: str) -> dict:
    """The notification job of ``generation`` (an approval id), once it is on the queue."""
    found: list[dict] = []

    def look():
        found.extend(notify_jobs(runtime))
        return next((j for j in found if j["generation"] == generation), None)

    return wait_for(look)


def test_incident_lists_matching_runbooks_and_a_run_is_approved_from_its_chat_card(
    runs, sandbox, scenario, api, runtime
):
    from pagerless.workflow.approvals import ApprovalService

    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    matched = api.get(f"/api/incidents/{incident.id}/runbooks", headers=auth(key)).json()["items"]
    assert matched[0]["id"] == "oom-recovery" and any("oom_killed" in r for r in matched[0]["reasons"])
    assert "certificate-expiry-check" not in [m["id"] for m in matched]
    notify_jobs(runtime)  # the incident's own notifications
    started = api.post(
        f"/api/incidents/{incident.id}/runbooks/oom-recovery/execute", json={"options": FAST}, headers=auth(key)
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    parked = wait_job(api, key, job_id, "parked")
    # the context came from the incident: its namespace, deployment and its proposal's memory limit
    assert job(api, key, job_id)["input"]["context"]["memory_limit"] == "512Mi"
    # its card's job, once on the queue (the run parks as it asks for it: under load the job can come a moment later)
    card = notify_job(runtime, parked["correlation_key"])
    assert card["event"] == "approval.requested"
    assert card["incident_id"] == incident.id and card["data"]["action"] == "patch_resources"
    # a card's button reaches ApprovalService.decide with the incident id and the approval id
    decided = ApprovalService().decide(
        incident.id,
        "default",
        approve=True,
        actor="lark:ou_oncall",
        role="operator",
        approval_id=parked["correlation_key"],
    )
    assert decided.changed and decided.approval["status"] == "approved"
    done = wait_job(api, key, job_id, "completed", "failed")
    assert done["status"] == "completed", (done["error"], done["steps"])
    assert memory_limit(sandbox) == "512Mi"
    assert timeline_types(incident.id).count("runbook_step") >= 5


def test_a_step_card_shows_the_dry_run_of_the_step_not_the_incidents_proposal(runs, sandbox, scenario, api, runtime):
    from pagerless.notify.context import build, shown
    from pagerless.outbox.jobs import NotifyJob

    # Given an incident whose own proposal (raise the memory limit to 512Mi) waits for approval
    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    notify_jobs(runtime)
    # When a runbook on it asks to approve a different action (a rollout restart)
    started = api.post(
        f"/api/incidents/{incident.id}/runbooks/crashloop-triage/execute", json={"options": FAST}, headers=auth(key)
    ).json()
    parked = wait_job(api, key, started["job_id"], "parked")
    card = notify_job(runtime, parked["correlation_key"])
    approval = next(
        a
        for a in api.get("/api/approvals?status=pending", headers=auth(key)).json()["items"]
        if a["approval_id"] == parked["correlation_key"]
    )
    # Then the card and the approval show the server-side dry run of that restart, not the incident's diff
    ctx = build(NotifyJob(**card))
    assert ctx["action"] == "rollout_restart"
    assert "512Mi" not in (ctx["diff"] or ""), ctx["diff"]
    assert "restartedAt" in (ctx["diff"] or ""), ctx["diff"]
    assert "restartedAt" in approval["proposal"]["dry_run"]["diff"]
    assert approval["proposal"]["dry_run"]["status"] == "would_change"
    # And a Chinese card says the step's reason in Chinese (English cards as before)
    assert ctx["reason"] == "runbook CrashLoopBackOff triage: Rollout restart", ctx["reason"]
    assert shown(ctx, "en")["reason"] == ctx["reason"]
    assert shown(ctx, "zh")["reason"] == "Runbook CrashLoopBackOff triage：步骤 Rollout restart"


def test_a_step_card_once_decided_still_says_the_step_not_the_incidents_proposal(runs, sandbox, scenario, api, runtime):
    from pagerless.notify.context import build, shown
    from pagerless.outbox.jobs import NotifyJob
    from pagerless.workflow.approvals import ApprovalService

    # Given an incident whose own proposal (raise the memory limit) waits, and a runbook run on it parked on its
    # rollout restart, whose card says that restart
    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    notify_jobs(runtime)
    started = api.post(
        f"/api/incidents/{incident.id}/runbooks/crashloop-triage/execute", json={"options": FAST}, headers=auth(key)
    ).json()
    parked = wait_job(api, key, started["job_id"], "parked")
    asked = build(NotifyJob(**notify_job(runtime, parked["correlation_key"])))
    # When an operator approves the step
    ApprovalService().decide(
        incident.id,
        "default",
        approve=True,
        actor="lark:ou_oncall",
        role="operator",
        approval_id=parked["correlation_key"],
    )
    # Then the decision's notice (which updates the card, or is the message of a channel that cannot update one) says
    # the same step: its action, reason and diff, not the incident's patch_resources and its 512Mi
    found: list[dict] = []
    decided = wait_for(
        lambda: (
            found.extend(notify_jobs(runtime))
            or next(
                (j for j in found if j["event"] == "approval.decided" and j["generation"] == parked["correlation_key"]),
                None,
            )
        )
    )
    ctx = build(NotifyJob(**decided))
    assert (ctx["action"], ctx["reason"], ctx["diff"]) == (asked["action"], asked["reason"], asked["diff"])
    assert ctx["action"] == "rollout_restart" and "512Mi" not in (ctx["diff"] or "") and ctx["decision"] == "approved"
    assert shown(ctx, "zh")["reason"] == shown(asked, "zh")["reason"] != ctx["reason"]


def test_a_denied_step_stops_the_run_and_nothing_runs(runs, sandbox, api):
    store_policy(denied_namespaces=[NS])
    key = runs["alice"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "auto_approve": True}, headers=auth(key)
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    assert done["status"] == "failed" and done["result"]["outcome"] == "denied", done
    assert "denied_namespace" in done["error"]
    assert memory_limit(sandbox) == "256Mi"
    names = [e["event"] for e in events(api, key, started["job_id"])]
    assert "StepDenied" in names and "ToolCompleted" not in names and "JobParked" not in names
    assert api.get("/api/approvals?status=pending", headers=auth(key)).json()["items"] == []
    # replay restarts from the recorded input (moto has no RedriveExecution), here once the policy allows it
    store_policy(rate_limit={"max_actions": 50, "window_minutes": 60})
    replayed = api.post(f"/api/jobs/{started['job_id']}/replay", headers=auth(key))
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["mode"] == "restart" and replayed.json()["replay_of"] == started["job_id"]
    again = wait_job(api, key, replayed.json()["job_id"], "completed", "failed")
    assert again["status"] == "completed" and again["replay_of"] == started["job_id"]
    assert again["input"]["context"] == done["input"]["context"]


def test_our_records_decide_a_parked_and_a_stopped_job(runs, sandbox, api, runtime):
    key = runs["alice"]
    started = api.post(
        "/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}, headers=auth(key)
    )
    assert started.status_code == 201, started.text
    job_id = started.json()["job_id"]
    parked = wait_job(api, key, job_id, "parked")
    # parked: the execution is RUNNING, the job says parked and names its wait
    assert parked["execution"]["status"] == "RUNNING" and parked["correlation_key"]
    stopped = api.post(f"/api/jobs/{job_id}/stop", headers=auth(key))
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled"
    # stopped: whatever the execution says, the job is cancelled, its wait expired, a signal refused
    assert job(api, key, job_id)["status"] == "cancelled"
    [approval] = api.get("/api/approvals?status=expired", headers=auth(key)).json()["items"]
    assert approval["approval_id"] == parked["correlation_key"]
    late = api.post(
        f"/api/jobs/{job_id}/signal",
        json={"correlation_key": parked["correlation_key"], "payload": {"approved": True}},
        headers=auth(key),
    )
    assert late.status_code == 400 and late.json()["error"]["code"] == "JOB_NOT_PARKED"
    assert memory_limit(sandbox) == "256Mi"


def test_a_job_whose_execution_is_gone_keeps_its_state_and_trace(runs, sandbox, api):
    """After a `pagerless dev` restart the executions are gone; the job records are what is left."""
    from pagerless.store.jobs import JobRepository

    key = runs["alice"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "dry_run": True}, headers=auth(key)
    ).json()
    wait_job(api, key, started["job_id"], "completed")
    record = JobRepository().get(started["job_id"])
    JobRepository().update(record, execution_arn=record.execution_arn + "-forgotten")
    got = job(api, key, started["job_id"])
    assert got["status"] == "completed" and got["execution"]["status"] == "UNKNOWN"
    trace = api.get(f"/api/jobs/{started['job_id']}/trace", headers=auth(key)).json()["timeline"]
    assert {e["source"] for e in trace} == {"pagerless"}
    assert [e["event"] for e in trace][0] == "JobCreated" and trace[-1]["event"] == "JobCompleted"
    # and the events stream replays them, then ends with the job
    stream = api.get(f"/api/jobs/{started['job_id']}/events", headers=auth(key))
    assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert "event: JobCreated" in stream.text and stream.text.rstrip().endswith('"status": "completed"}')
    resumed = api.get(f"/api/jobs/{started['job_id']}/events", headers={**auth(key), "Last-Event-ID": "3"})
    assert "id: 1\n" not in resumed.text and "id: 4\n" in resumed.text


def test_a_page_of_jobs_is_read_from_our_tables_without_a_step_functions_call_per_job(runs, sandbox, api):
    from pagerless import step_functions
    from pagerless.auth.authenticate import user_service
    from tests.functional.console.test_console import sign_in

    key = runs["alice"]
    user_service.cache_clear()
    api.post("/api/auth/register", json={"email": "root@example.com", "password": "password123"})
    assert sign_in(api, "root@example.com").status_code == 303
    # Given three finished dry runs
    started = [
        api.post(
            "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "dry_run": True}, headers=auth(key)
        ).json()["job_id"]
        for _ in range(3)
    ]
    for job_id in started:
        wait_job(api, key, job_id, "completed")
    described: list[str] = []
    events = step_functions.client().meta.events
    count = lambda model, **_: described.append(model.name)  # noqa: E731
    events.register("before-call.sfn.DescribeExecution", count)
    try:
        # When the jobs are listed (the API and the console's page)
        listed = api.get("/api/jobs", headers=auth(key)).json()["items"]
        page = api.get("/console/jobs")
        # Then each shows the status its record says, and Step Functions was not asked about any
        assert [(j["job_id"], j["status"]) for j in listed] == [(j, "completed") for j in reversed(started)]
        assert page.status_code == 200 and all(j in page.text for j in started)
        assert described == [] and "execution" not in listed[0]
        # And a job's own view still puts its execution's status beside it
        assert job(api, key, started[0])["execution"]["status"] == "SUCCEEDED" and len(described) == 1
    finally:
        events.unregister("before-call.sfn.DescribeExecution", count)


def test_a_running_job_whose_execution_ended_unrecorded_is_failed_when_it_is_read(runs, sandbox, api, runtime):
    """An execution that ends with no step recording it (here: its failure handler failed too) leaves our
    record running; reading the job reconciles it, and the list (our tables only) shows it failed from then on."""
    import json as _json

    from pagerless.store.jobs import JobRecord, JobRepository, new_job_id

    key = runs["alice"]
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["RunbookRunStateMachine"]
    # Given an execution of the runbook run whose every step fails (an input naming no job)
    arn = sfn.start_execution(stateMachineArn=machine, name=f"orphan-{new_job_id()}", input=_json.dumps({}))[
        "executionArn"
    ]
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "FAILED", timeout=60)
    # And a job whose record says it is running on it
    record = JobRecord(
        "job",
        new_job_id(),
        workspace="default",
        workflow_id="runbook:oom-recovery",
        kind="runbook_run",
        status="running",
        current_node="Plan",
        input={"runbook_id": "oom-recovery", "context": CONTEXT, "dry_run": True},
        execution_arn=arn,
    )
    job_id = JobRepository().create(record).job_id
    assert [j["status"] for j in api.get("/api/jobs", headers=auth(key)).json()["items"]] == ["running"]
    # When the job is read
    read = job(api, key, job_id)
    # Then it has failed, saying its execution ended without it, and the list says so too
    assert read["status"] == "failed" and read["execution"]["status"] == "FAILED", read
    assert "ended FAILED" in read["error"] and read["current_node"] is None
    assert [j["status"] for j in api.get("/api/jobs", headers=auth(key)).json()["items"]] == ["failed"]
    assert "JobFailed" in [e["event"] for e in events(api, key, job_id)]


def test_a_run_on_an_incident_whose_execution_ended_unrecorded_says_so_on_its_timeline_once(
    runs, sandbox, api, runtime
):
    """Reads of the job at the same moment all reconcile it; only one writes the incident's timeline entry."""
    import json as _json
    from concurrent.futures import ThreadPoolExecutor

    from pagerless.incidents.timeline import timeline
    from pagerless.jobs.service import view
    from pagerless.store.jobs import JobRecord, JobRepository, new_job_id

    key = runs["alice"]
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["RunbookRunStateMachine"]
    # Given an incident, and a run on it whose execution failed with no step recording it
    incident_id = node_incident({"alertname": "KubeNodeNotReady", "instance": "ip-10-0-1-23.ec2.internal:9100"})
    arn = sfn.start_execution(stateMachineArn=machine, name=f"orphan-{new_job_id()}", input=_json.dumps({}))[
        "executionArn"
    ]
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "FAILED", timeout=60)
    record = JobRecord(
        "job",
        new_job_id(),
        workspace="default",
        workflow_id="runbook:oom-recovery",
        kind="runbook_run",
        status="running",
        current_node="Plan",
        incident_id=incident_id,
        input={"runbook_id": "oom-recovery", "context": CONTEXT, "dry_run": True},
        execution_arn=arn,
    )
    job_id = JobRepository().create(record).job_id
    # When four reads of the job reconcile it at once, and one more reads it after
    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(lambda _: view(job_id, "default")["status"], range(4)))
    assert seen == ["failed"] * 4 and job(api, key, job_id)["status"] == "failed"
    # Then the incident's timeline says once that the run ended, and why
    ended = [
        item
        for item in timeline(incident_id)
        if item.type == "runbook_step" and (item.data or {}).get("event") == "JobFailed"
    ]
    assert len(ended) == 1, [e.message for e in ended]
    assert "ended FAILED" in ended[0].message and ended[0].data["job_id"] == job_id
    assert ended[0].data["runbook"] == "oom-recovery"
    # And the entry carries its error's phrase, which the Chinese timeline says it from, as the job page does
    assert ended[0].data["error_phrase"] == job(api, key, job_id)["result"]["error_phrase"]
    # And the job's own trace says it once too
    assert [e["event"] for e in events(api, key, job_id)].count("JobFailed") == 1


def test_an_incident_workflow_is_a_job(runs, sandbox, scenario, api):
    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    got = job(api, key, incident.id)
    assert got["kind"] == "incident_workflow" and got["status"] == "parked" and got["correlation_key"]
    trace = api.get(f"/api/jobs/{incident.id}/trace", headers=auth(key)).json()["timeline"]
    assert {"pagerless", "stepfunctions"} == {e["source"] for e in trace}
    signal = api.post(
        f"/api/jobs/{incident.id}/signal",
        json={"correlation_key": got["correlation_key"], "payload": {"approved": False, "reason": "not now"}},
        headers=auth(key),
    )
    assert signal.status_code == 200, signal.text
    assert signal.json()["approval"]["status"] == "rejected"
    missing = api.get("/api/jobs/job-doesnotexist", headers=auth(key))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "JOB_NOT_FOUND"


def test_a_job_whose_execution_cannot_start_fails_and_is_not_left_pending(runs, sandbox, api, monkeypatch):
    from botocore.exceptions import ClientError

    from pagerless import step_functions

    real = step_functions.client()

    class _Throttled:
        """The real Step Functions client, whose StartExecution is throttled."""

        def __getattr__(self, name):
            return getattr(real, name)

        def start_execution(self, **kwargs):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution")

    key = runs["alice"]
    monkeypatch.setattr(step_functions, "client", lambda: _Throttled())
    # When a run is submitted while Step Functions refuses to start its execution
    started = api.post(
        "/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}, headers=auth(key)
    )
    # Then the caller gets an error in the API's format, not a job id
    assert started.status_code == 503, started.text
    assert "error" in started.json()
    # And the job it recorded is failed, saying why, rather than pending forever
    [listed] = api.get("/api/jobs", headers=auth(key)).json()["items"]
    assert listed["status"] == "failed" and "ThrottlingException" in listed["error"], listed
    assert [e["event"] for e in events(api, key, listed["job_id"])] == ["JobCreated", "JobFailed"]


@pytest.fixture
def shanghai_time(monkeypatch):
    """The process runs in UTC+8, as `pagerless dev` does on a laptop in China."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_jobs_trace_is_in_time_order_whatever_the_local_time_zone(shanghai_time, runs, sandbox, api):
    from pagerless.clock import parse_time

    key = runs["alice"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "dry_run": True}, headers=auth(key)
    ).json()
    wait_job(api, key, started["job_id"], "completed")
    # When the trace merges our events with the execution's history
    trace = api.get(f"/api/jobs/{started['job_id']}/trace", headers=auth(key)).json()["timeline"]
    # Then both sources are there, in the order they happened, every time in UTC
    assert {e["source"] for e in trace} == {"pagerless", "stepfunctions"}
    times = [parse_time(e["time"]) for e in trace]
    assert times == sorted(times), [(e["time"], e["source"], e["event"]) for e in trace]
    assert all(t.utcoffset().total_seconds() == 0 for t in times)
    # And the job's view gives its execution's times in UTC too
    execution = job(api, key, started["job_id"])["execution"]
    assert all(parse_time(execution[k]).utcoffset().total_seconds() == 0 for k in ("started_at", "stopped_at"))


def test_a_job_stopped_while_its_approval_is_being_requested_stays_cancelled(runs, sandbox, api):
    key = runs["alice"]
    # Given a run whose approval request is slow (its step's dry run reads a slow Deployment)
    sandbox.slow_down("deployments", 3.0)
    started = api.post(
        "/api/runs", json={"workflow_id": "oom-recovery", "input": {"context": CONTEXT}}, headers=auth(key)
    ).json()
    wait_for(
        lambda: any(
            e["event"] == "StepStarted" and e.get("node") == "Raise the memory limit"
            for e in events(api, key, started["job_id"])
        )
    )
    time.sleep(1.0)
    # When the job is stopped while the approval is being requested
    stopped = api.post(f"/api/jobs/{started['job_id']}/stop", headers=auth(key))
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled", stopped.text
    # Then once the approval request is done (the job parked again, or its approval expired at once)
    wait_for(
        lambda: (
            job(api, key, started["job_id"])["status"] == "parked"
            or api.get("/api/approvals?status=expired", headers=auth(key)).json()["items"]
        )
    )
    # the job stays cancelled, and no approval waits for it
    after = job(api, key, started["job_id"])
    assert after["status"] == "cancelled" and after["correlation_key"] is None, after
    assert api.get("/api/approvals?status=pending", headers=auth(key)).json()["items"] == []


def test_a_job_stopped_while_it_starts_stays_cancelled_and_runs_no_step(runs, sandbox, api):
    import threading

    from tests.functional.workflow.test_runbook_runs import run_ended

    key = runs["alice"]
    # Given a dry run of scale-out, whose start reads the Deployment's replica count (slowly)
    sandbox.slow_down("deployments", 3.0)
    reading = threading.Event()
    sandbox.on_request(lambda method, path: "/deployments" in path and reading.set())
    body = {"workflow_id": "scale-out", "input": {"context": {**CONTEXT, "replicas": 3}, "dry_run": True}}
    started = api.post("/api/runs", json=body, headers=auth(key)).json()
    wait_for(lambda: events(api, key, started["job_id"]))
    assert reading.wait(30), "the run's start never read the Deployment"
    # When the job is stopped while it starts (its read of the Deployment under way)
    stopped = api.post(f"/api/jobs/{started['job_id']}/stop", headers=auth(key))
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled", stopped.text
    wait_for(lambda: run_ended(started["job_id"]), timeout=60)  # its start has read the Deployment, and its run ended
    # Then it stays cancelled: it is not running again, and no step ran
    after = job(api, key, started["job_id"])
    assert after["status"] == "cancelled", after
    assert [e["event"] for e in events(api, key, started["job_id"])] == ["JobCreated", "JobCancelled"]


def test_a_run_on_an_incident_puts_what_it_changed_and_undid_on_the_incidents_actions(
    hungry, runs, sandbox, scenario, api
):
    # Given an OOM incident whose pods need more memory than the runbook gives them
    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    # When the OOM recovery runbook runs on it: the memory step runs, fails its verify and is rolled back
    started = api.post(
        f"/api/incidents/{incident.id}/runbooks/oom-recovery/execute",
        json={"auto_approve": True, "options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    assert done["result"]["outcome"] == "rolled_back", done
    # Then the incident's actions say what changed production, and what undid it
    actions = api.get(f"/api/incidents/{incident.id}/actions", headers=auth(key)).json()["actions"]
    assert [(a["action"], a["status"], a["rollback"], a["source"], a["dry_run"]) for a in actions] == [
        ("patch_resources", "succeeded", False, "runbook", False),
        ("rollback_deployment", "succeeded", True, "runbook", False),
    ], actions
    assert all(a["namespace"] == NS and a["approved_by"] for a in actions), actions


def test_a_dry_run_on_an_incident_ends_on_its_timeline_as_a_dry_run(runs, sandbox, scenario, api):
    from pagerless.incidents.timeline import timeline

    # Given an OOM incident
    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    # When the OOM recovery runbook dry-runs on it
    started = api.post(
        f"/api/incidents/{incident.id}/runbooks/oom-recovery/execute?dry_run=true",
        json={"options": FAST},
        headers=auth(key),
    ).json()
    done = wait_job(api, key, started["job_id"], "completed", "failed")
    assert done["status"] == "completed" and memory_limit(sandbox) == "256Mi", done
    # Then the run's last word on the incident's timeline says nothing was changed
    [ended] = [
        item.message
        for item in timeline(incident.id)
        if item.type == "runbook_step" and (item.data or {}).get("event") == "JobCompleted"
    ]
    assert "dry run" in ended and "nothing changed" in ended, ended


def node_incident(labels: dict) -> str:
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    now = datetime.now(UTC)
    number = int(now.timestamp() * 1000) % 10000
    incident_id = f"INC-{now:%Y%m%d}-{number:04d}"
    IncidentRecord(
        incident_id,
        workspace="default",
        created_key=f"{now.isoformat()}#{number}",
        service_key="default#-#node-exporter",
        title="node not ready",
        severity="critical",
        status="diagnosed",
        labels=labels,
    ).save()
    return incident_id


@pytest.mark.parametrize(
    "labels",
    [
        {"alertname": "KubeNodeNotReady", "instance": "ip-10-0-1-23.ec2.internal:9100"},
        {"alertname": "KubeNodeNotReady", "instance": "10.0.1.23:9100", "kubernetes_node": "ip-10-0-1-23.ec2.internal"},
    ],
    ids=["instance_with_port", "kubernetes_node_label"],
)
def test_a_run_on_a_node_alert_targets_the_node_its_labels_name(runs, sandbox, api, labels):
    # Given a node alert whose Prometheus instance label is host:port, and a policy that allows a drain
    store_policy(max_blast_radius="cluster", rate_limit={"max_actions": 50, "window_minutes": 60})
    key = runs["alice"]
    incident_id = node_incident(labels)
    # When the node-drain runbook dry-runs on it
    started = api.post(
        f"/api/incidents/{incident_id}/runbooks/node-drain/execute?dry_run=true",
        json={"options": FAST},
        headers=auth(key),
    )
    assert started.status_code == 202, started.text
    done = wait_job(api, key, started.json()["job_id"], "completed", "failed")
    # Then its steps act on the node, not on the exporter's address
    assert done["status"] == "completed", (done["error"], done["steps"])
    assert [s["status"] for s in done["steps"]] == ["ok", "refused"], done["steps"]
    assert done["steps"][1]["action"]["node"] == "ip-10-0-1-23.ec2.internal"


def test_a_run_on_a_node_alert_whose_instance_is_no_node_name_asks_for_the_node(runs, sandbox, api):
    # Given a node alert whose instance label is an address that cannot be a node's name
    key = runs["alice"]
    incident_id = node_incident({"alertname": "KubeNodeNotReady", "instance": "[fd00::17]:9100"})
    # When the node-drain runbook is asked to run on it
    started = api.post(
        f"/api/incidents/{incident_id}/runbooks/node-drain/execute?dry_run=true",
        json={"options": FAST},
        headers=auth(key),
    )
    # Then it is refused before it starts, asking for the node, in the API's error format
    assert started.status_code == 400, started.text
    assert started.json()["error"]["details"] == [{"field": "context.node", "message": "required by a step"}]


def test_a_job_stopped_while_its_step_is_verified_says_the_step_stays_applied(hungry, runs, sandbox, scenario, api):
    from pagerless.incidents.timeline import timeline
    from pagerless.store.jobs import JobRepository

    # Given an OOM incident whose pods need more memory than the runbook gives them, and the OOM
    # recovery runbook run on it, auto-approved, its verify rechecking once a minute
    key = runs["alice"]
    incident = open_incident(scenario)
    wait_for_status(incident.id, "awaiting_approval")
    started = api.post(
        f"/api/incidents/{incident.id}/runbooks/oom-recovery/execute?auto_approve=true",
        json={"options": {"verify_interval_seconds": 60}},
        headers=auth(key),
    ).json()

    def told(event: str) -> list:
        return [t for t in timeline(incident.id) if t.type == "runbook_step" and t.data.get("event") == event]

    wait_for(lambda: "verify" in JobRepository().get(started["job_id"]).state, timeout=60)  # its verify waits
    running = job(api, key, started["job_id"])
    assert running["steps"][-1]["verified"] is False, running["steps"]
    assert running["status"] == "running" and running["steps"][-1]["step"] == "Raise the memory limit", running
    # When the job is stopped while the raised limit waits for its verify
    stopped = api.post(f"/api/jobs/{started['job_id']}/stop", headers=auth(key)).json()
    # Then the job says the step ran, was not verified and stays applied (a stop rolls nothing back)
    assert stopped["status"] == "cancelled", stopped
    assert "Raise the memory limit was applied and not yet verified: it stays applied" in stopped["error"], stopped
    applied = stopped["steps"][-1]
    assert applied["step"] == "Raise the memory limit" and applied["status"] == "succeeded", stopped["steps"]
    assert applied["verified"] is False
    assert memory_limit(sandbox) == "512Mi"
    # And the incident's timeline says the run was stopped, and what it left applied
    [cancelled] = told("JobCancelled")
    assert "run stopped by" in cancelled.message and "stays applied" in cancelled.message, cancelled.message


@pytest.mark.parametrize("timed_out", [False, True], ids=["in-time", "after-its-timeout"])
def test_approving_a_step_whose_run_no_longer_runs_says_so_and_fails_the_job_for_a_replay(
    runs, sandbox, api, runtime, timed_out
):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRecord

    # Given a scale-out run waiting for its step's approval, whose execution then ends outside
    # Pagerless (a restart of pagerless dev forgets it; on AWS, someone stops it in the console),
    # decided in time or after the approval's timeout (which nothing in the lost run will act on)
    key = runs["alice"]
    body = {"workflow_id": "scale-out", "input": {"context": {**CONTEXT, "replicas": 3}, "options": FAST}}
    started = api.post("/api/runs", json=body, headers=auth(key)).json()
    parked = wait_job(api, key, started["job_id"], "parked")
    before = sandbox.deployment(NS, "payments-api")["spec"]["replicas"]
    runtime.client("stepfunctions").stop_execution(executionArn=parked["execution_arn"])
    if timed_out:
        record = ApprovalRecord.get(started["job_id"], parked["correlation_key"])
        record.update(actions=[ApprovalRecord.expires_at.set(utcnow() - timedelta(minutes=1))])
    # When a person approves the step
    signal = {"correlation_key": parked["correlation_key"], "payload": {"approved": True}}
    answer = api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(runs["bob"]))
    # Then they are told nothing ran and how to go on, not that the decision was taken
    assert answer.status_code == 409, answer.text
    assert "replay" in answer.json()["error"]["message"].lower() and "nothing ran" in answer.json()["error"]["message"]
    # And the job has failed (it does not run on forever), its approval expired, nothing was scaled
    after = job(api, key, started["job_id"])
    assert after["status"] == "failed" and "replay it" in after["error"], after
    # And its error, in English as it always was, is said in Chinese on the job page from its phrase
    from pagerless.runbooks.error_phrases import shown

    assert after["error"] == (
        "its execution is no longer running (a restart of pagerless dev ends every execution); replay it"
    )
    assert shown(after, "zh") == "它的执行已不再运行（重启 pagerless dev 会结束所有执行）；请重放它", after
    assert api.get("/api/approvals?status=pending", headers=auth(key)).json()["items"] == []
    assert sandbox.deployment(NS, "payments-api")["spec"]["replicas"] == before
    # And a replay starts the run again
    replayed = api.post(f"/api/jobs/{started['job_id']}/replay", headers=auth(key))
    assert replayed.status_code == 202, replayed.text
    assert wait_job(api, key, replayed.json()["job_id"], "parked")["current_node"] == "Scale out"


def test_a_job_of_a_runbook_deleted_since_is_not_replayed(runs, sandbox, api):
    # Given a dry run of a custom runbook that completed, and the runbook deleted afterwards
    key = runs["alice"]
    restart = {
        "name": "Restart",
        "action": "rollout_restart",
        "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
    }
    assert (
        api.post("/api/custom-runbooks", json={"name": "restart-it", "steps": [restart]}, headers=auth(key)).status_code
        == 201
    )
    started = api.post(
        "/api/workflows/restart-it/execute", json={"context": CONTEXT, "dry_run": True}, headers=auth(key)
    ).json()
    assert wait_job(api, key, started["job_id"], "completed", "failed")["status"] == "completed"
    assert api.delete("/api/custom-runbooks/restart-it", headers=auth(key)).status_code == 204
    # When its job is replayed
    replayed = api.post(f"/api/jobs/{started['job_id']}/replay", headers=auth(key))
    # Then it is a 409 saying the runbook was deleted, and no new job runs it
    assert replayed.status_code == 409, replayed.text
    assert "runbook restart-it was deleted" in replayed.json()["error"]["message"]
    assert [j["job_id"] for j in api.get("/api/jobs", headers=auth(key)).json()["items"]] == [started["job_id"]]
