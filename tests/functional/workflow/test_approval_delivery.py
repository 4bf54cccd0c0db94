"""A decision recorded whose decider's process died before it sent the decision to Step Functions
(Lambda timeout, crash, OOM), with no RequestApproval retry to hand it over: the scheduled
`approval-sweep` sends it, and the run goes on as the person decided, told once. The real
`incident-response` and `runbook-run` ASL on the embedded AWS, against the sandbox cluster; the
decision goes through the real API and dies right after the approvals table stored it (botocore's
event hooks, as in test_approval_retries.py)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    incident,
    memory_limit,
    open_incident,
    status_of,
    timeline_types,
    wait_for,
    wait_for_status,
)
from tests.functional.workflow.test_approval_retries import _Crash, dies_after_deciding  # noqa: F401
from tests.functional.workflow.test_approval_retries import decision_audit as _decision_audit
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, events, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional


def _grace(monkeypatch, seconds: int) -> None:
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_DELIVERY_GRACE_SECONDS", str(seconds))
    settings.reset()


def _sweep(runtime) -> list[dict]:
    """Fire the template's approval sweep as EventBridge would."""
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-ApprovalSweep"]
    answer = runtime.scheduler.fire(target)
    assert answer["job"] == "approval-sweep", answer
    return answer["result"]["delivered"]


def _cards(runtime, event: str) -> list[dict]:
    """The notification jobs of ``event`` queued so far (what the cards are told), drained."""
    from pagerless import settings

    sqs, url, jobs = runtime.client("sqs"), settings.workflow().notify_queue_url, []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        jobs += [json.loads(m["Body"]) for m in batch]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    return [j for j in jobs if j["event"] == event]


def _undelivered_index() -> list[tuple[str, str]]:
    from pagerless.store.approvals import UNDELIVERED, ApprovalRecord

    return [(e.incident_id, e.approval_id) for e in ApprovalRecord.by_undelivered.query(UNDELIVERED)]


def _decide_and_die(dies, api, key, incident_id: str, verb: str, comment: str = "go") -> None:
    from pagerless.api.security import key_service

    actor = key_service().authenticate(key).key_id
    response = dies(
        actor,
        lambda: api.post(f"/api/incidents/{incident_id}/{verb}", json={"comment": comment}, headers=auth(key)),
    )
    assert response.status_code == 500, response.text


def _approve_and_die_before_the_clear(api, key, incident_id: str) -> None:
    """An operator approves; Step Functions takes the decision, and the deciding request dies right
    before the write that clears its undelivered mark (the workflow goes on and resolves)."""
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.session import dynamodb_events

    def die_before_the_clear(params, **_) -> None:
        if str(params.get("UpdateExpression", "")).startswith("REMOVE") and "undelivered" in json.dumps(params):
            raise _Crash

    client_events = dynamodb_events(ApprovalRecord)
    client_events.register("before-parameter-build.dynamodb.UpdateItem", die_before_the_clear)
    try:
        response = api.post(f"/api/incidents/{incident_id}/approve", json={"comment": "go"}, headers=auth(key))
    finally:
        client_events.unregister("before-parameter-build.dynamodb.UpdateItem", die_before_the_clear)
    assert response.status_code == 500, response.text
    status = wait_for_status(incident_id, "resolved", "escalated", settled=True)
    assert status == "resolved", timeline_types(incident_id)


def test_an_approval_whose_decider_died_after_recording_it_is_delivered_by_the_sweep(
    dies_after_deciding, sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless.api.security import key_service
    from pagerless.incidents.timeline import timeline
    from pagerless.store.approvals import ApprovalRepository

    operator = key_service().authenticate(operator_key).key_id
    # Given an incident waiting for approval
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    # When an operator approves and her request dies right after the approval was stored
    _decide_and_die(dies_after_deciding, api, operator_key, opened, "approve")
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    assert approval.status == "approved"
    # Then the workflow still waits (nothing delivered the decision), nothing ran
    assert status_of(opened) == "awaiting_approval" and memory_limit(sandbox) == "256Mi"
    _cards(runtime, "approval.decided")
    # When the approval sweep runs past the grace
    _grace(monkeypatch, 0)
    assert _sweep(runtime) == [
        {"incident_id": opened, "approval_id": approval.approval_id, "decision": "approved", "delivered": "sent"}
    ]
    # Then the fix runs once, naming her as its approver, and the incident resolves
    assert wait_for_status(opened, "resolved", "escalated", settled=True) == "resolved", timeline_types(opened)
    assert memory_limit(sandbox) == "512Mi"
    [action] = incident(opened).actions
    assert (action["status"], action["approved_by"]) == ("succeeded", operator)
    # And the timeline and the cards are told once
    [approved] = [item for item in timeline(opened) if item.type == "approved"]
    assert approved.actor == operator and approved.message.endswith(": go"), approved.message
    decided = _cards(runtime, "approval.decided")
    assert [(d["data"]["approval_id"], d["data"]["decision"]) for d in decided] == [(approval.approval_id, "approved")]
    # And the audit log records her decision, as her request would have, saying the sweep delivered it
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["role"], audited["status"]) == (operator, "operator", 200), audited
    assert (audited["action"], audited["target"]) == (
        "POST /api/incidents/{incident_id}/approve",
        f"incident_id={opened}",
    )
    assert audited["details"]["delivered_by"] == "approval-sweep", audited
    assert (audited["details"]["decision"], audited["details"]["comment"]) == ("approve", "go"), audited
    assert audited["at"] == approval.decided_at.isoformat()
    # And the decision is no longer undelivered: a later sweep sends nothing, and records nothing more
    assert _undelivered_index() == [] and _sweep(runtime) == []
    assert _decision_audit(approval.approval_id) == [audited]


def test_a_decider_that_died_after_its_send_is_told_by_the_sweep_once(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository

    operator = key_service().authenticate(operator_key).key_id
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _cards(runtime, "approval.decided")

    # Given an approval Step Functions took, whose decider died before it said so (before the write
    # that marks the decision delivered)
    _approve_and_die_before_the_clear(api, operator_key, opened)
    # When the approval sweep runs past the grace, Step Functions refuses the token (the task is done)
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    assert (swept["decision"], swept["delivered"]) == ("approved", "refused")
    # Then the decision stands, told once: the timeline's entry, the cards and the audit log's record
    assert incident(opened).approval["status"] == "approved"
    assert timeline_types(opened).count("approved") == 1
    assert [d["data"]["decision"] for d in _cards(runtime, "approval.decided")] == ["approved"]
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["details"]["decision"]) == (operator, "approve"), audited
    assert audited["details"]["delivered_by"] == "approval-sweep", audited
    assert _undelivered_index() == [] and _sweep(runtime) == []
    assert len(_decision_audit(approval.approval_id)) == 1


def test_a_decider_that_recorded_its_decision_leaves_the_sweep_nothing_to_record(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless.store.approvals import ApprovalRepository

    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    # Given an operator's approval whose request went all the way (sent, told, recorded in the audit
    # log) but left its undelivered mark (the write that clears it was lost)
    with monkeypatch.context() as lost:
        lost.setattr(ApprovalRepository, "delivered", lambda self, approval: True)
        response = api.post(f"/api/incidents/{opened}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    assert approval.undelivered_since is not None
    [audited] = _decision_audit(approval.approval_id)
    assert "delivered_by" not in audited["details"] and audited["request_id"], audited
    # When the approval sweep runs past the grace (Step Functions refuses the token her send used)
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    assert (swept["decision"], swept["delivered"]) == ("approved", "refused")
    # Then the audit log holds her own record of the decision, and no second one
    assert _decision_audit(approval.approval_id) == [audited]
    assert timeline_types(opened).count("approved") == 1


def test_a_rejection_whose_decider_died_is_delivered_as_a_rejection(
    dies_after_deciding, sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    # Given an incident waiting for approval, whose rejection was stored before its request died
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _decide_and_die(dies_after_deciding, api, operator_key, opened, "reject", comment="not now")
    # When the approval sweep runs past the grace
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    assert (swept["decision"], swept["delivered"]) == ("rejected", "sent")
    # Then the workflow takes the rejection: nothing runs, the incident is back to diagnosed
    assert wait_for_status(opened, "diagnosed", "escalated", "resolved", settled=True) == "diagnosed"
    assert memory_limit(sandbox) == "256Mi" and not incident(opened).actions
    assert incident(opened).approval["status"] == "rejected"
    assert timeline_types(opened).count("rejected") == 1
    # And the audit log records the rejection, with its comment, saying the sweep delivered it
    [audited] = _decision_audit(incident(opened).approval["approval_id"])
    assert audited["action"] == "POST /api/incidents/{incident_id}/reject", audited
    assert (audited["details"]["decision"], audited["details"]["comment"]) == ("reject", "not now"), audited
    assert audited["details"]["delivered_by"] == "approval-sweep", audited


def test_a_decision_left_undelivered_until_the_approval_timed_out_is_marked_expired(
    dies_after_deciding, sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository

    operator = key_service().authenticate(operator_key).key_id
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "5")
    settings.reset()
    # Given an approval stored before its request died, and the approval's wait timing out meanwhile
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _decide_and_die(dies_after_deciding, api, operator_key, opened, "approve")
    assert wait_for_status(opened, "escalated", "resolved", timeout=60, settled=True) == "escalated"
    # When the approval sweep runs past the grace
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    # Then Step Functions refused the late decision: the approval is expired, saying who tried, nothing ran
    assert (swept["decision"], swept["delivered"]) == ("approved", "expired")
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    assert (approval.status, approval.decided_by) == ("expired", operator)
    assert incident(opened).approval["status"] == "expired"
    assert "approval_expired" in timeline_types(opened) and "approved" not in timeline_types(opened)
    assert memory_limit(sandbox) == "256Mi" and not incident(opened).actions
    assert _undelivered_index() == [] and _sweep(runtime) == []
    # And the audit log says, once, that the sweep found her decision undelivered and the approval expired
    [audited] = _decision_audit(approval.approval_id)
    assert (audited["actor"], audited["role"], audited["status"]) == ("approval-sweep", "system", 409), audited
    assert (audited["action"], audited["target"]) == ("SWEEP expire undelivered decision", f"incident_id={opened}")
    details = audited["details"]
    assert (details["decided_by"], details["decision"], details["outcome"]) == (
        operator,
        "approve",
        "expired undelivered",
    ), details
    assert details["decided_at"] == approval.decided_at.isoformat(), details
    assert audited["at"] == approval.expires_at.isoformat()


def test_a_decision_younger_than_the_grace_is_left_to_its_decider(
    dies_after_deciding, sandbox, scenario, api, operator_key, runtime
):
    from pagerless.store.approvals import ApprovalRepository

    # Given an approval stored a moment ago, its request dead
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _decide_and_die(dies_after_deciding, api, operator_key, opened, "approve")
    # When the approval sweep runs within the grace (the default: longer than any decider may run)
    swept = _sweep(runtime)
    # Then it leaves the decision alone: still undelivered, the workflow still waiting
    assert swept == []
    [approval] = ApprovalRepository().for_incident(opened, consistent=True)
    assert approval.status == "approved" and approval.undelivered_since is not None
    assert _undelivered_index() == [(opened, approval.approval_id)]
    assert status_of(opened) == "awaiting_approval" and memory_limit(sandbox) == "256Mi"


def test_a_slow_decider_and_the_sweep_deliver_the_decision_once(
    sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.session import dynamodb_events

    operator = key_service().authenticate(operator_key).key_id
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    _cards(runtime, "approval.decided")
    _grace(monkeypatch, 0)
    # Given an operator's approval is stored, and her request is slow: the sweep runs before it sends
    swept: list = []
    noted: list[bool] = []

    def note_the_decision(params, **_) -> None:
        written = json.dumps(params, default=str)
        if operator in written and "decided_by" in written:  # the approvals table takes her decision
            noted.append(True)

    def sweep_meanwhile(**_) -> None:
        if noted and len(noted) == 1:
            noted.append(True)  # once (the sweep writes too)
            swept.append(_sweep(runtime))

    client_events = dynamodb_events(ApprovalRecord)
    client_events.register("before-parameter-build.dynamodb.UpdateItem", note_the_decision)
    client_events.register("after-call.dynamodb.UpdateItem", sweep_meanwhile)
    try:
        response = api.post(f"/api/incidents/{opened}/approve", json={"comment": "go"}, headers=auth(operator_key))
    finally:
        client_events.unregister("before-parameter-build.dynamodb.UpdateItem", note_the_decision)
        client_events.unregister("after-call.dynamodb.UpdateItem", sweep_meanwhile)
    # Then the sweep delivered it, and the decider, whose send Step Functions refused, still says approved
    assert [s["delivered"] for s in swept[0]] == ["sent"]
    assert response.status_code == 200, response.text
    assert response.json()["approval"]["status"] == "approved"
    # And the fix runs once, the timeline and the cards are told once
    assert wait_for_status(opened, "resolved", "escalated", settled=True) == "resolved", timeline_types(opened)
    assert [a["status"] for a in incident(opened).actions] == ["succeeded"]
    assert incident(opened).approval["status"] == "approved"
    assert timeline_types(opened).count("approved") == 1
    assert len(_cards(runtime, "approval.decided")) == 1
    assert _undelivered_index() == []
    # And the audit log records her decision once: the sweep wrote it first, her request's write added nothing
    [audited] = _decision_audit(response.json()["approval"]["approval_id"])
    assert (audited["actor"], audited["details"]["delivered_by"]) == (operator, "approval-sweep"), audited


def _run_and_die(dies, api, runs, *, approve: bool) -> str:
    """An OOM recovery run whose memory step's approval Bob decides; his request dies once it is stored."""
    from pagerless.api.security import key_service

    alice, bob = runs["alice"], runs["bob"]
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    parked = wait_for(lambda: (j := job(api, alice, started["job_id"]))["status"] == "parked" and j, timeout=60)
    payload = {"approved": True} if approve else {"approved": False, "reason": "not now"}
    signal = {"correlation_key": parked["correlation_key"], "payload": payload}
    response = dies(
        key_service().authenticate(bob).key_id,
        lambda: api.post(f"/api/jobs/{started['job_id']}/signal", json=signal, headers=auth(bob)),
    )
    assert response.status_code == 500, response.text
    return started["job_id"]


def test_a_runbook_step_whose_approver_died_after_recording_it_runs_when_the_sweep_delivers_it(
    dies_after_deciding, runs, sandbox, api, runtime, monkeypatch
):
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository

    alice = runs["alice"]
    bob_id = key_service().authenticate(runs["bob"]).key_id
    # Given a run parked on its memory step, whose approval Bob's dying request stored
    job_id = _run_and_die(dies_after_deciding, api, runs, approve=True)
    assert job(api, alice, job_id)["status"] == "parked" and memory_limit(sandbox) == "256Mi"
    # When the approval sweep runs past the grace
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    assert (swept["decision"], swept["delivered"]) == ("approved", "sent")
    # Then the step runs and the run completes, naming Bob as the approver; the job is woken once
    done = wait_job(api, alice, job_id, "completed", "failed")
    assert done["status"] == "completed", (done["error"], done["steps"])
    assert memory_limit(sandbox) == "512Mi"
    assert done["steps"][1]["approved_by"] == bob_id, done["steps"]
    [woken] = [e for e in events(api, alice, job_id) if e["event"] == "SignalReceived"]
    assert woken["payload"] == {"approved": True, "by": bob_id, "comment": None}, woken
    # And the audit log records Bob's approval of the step, as his signal would have, saying the sweep delivered it
    [step] = ApprovalRepository().for_incident(job_id, consistent=True)
    [audited] = _decision_audit(step.approval_id)
    assert (audited["actor"], audited["action"], audited["target"]) == (
        bob_id,
        "POST /api/jobs/{job_id}/signal",
        f"job_id={job_id}",
    ), audited
    assert (audited["details"]["approved"], audited["details"]["delivered_by"]) == (True, "approval-sweep"), audited
    assert _sweep(runtime) == []


def test_the_sweep_reads_only_the_undelivered_decisions(
    dies_after_deciding, runs, sandbox, scenario, api, operator_key, runtime, monkeypatch
):
    from pagerless.store.approvals import ApprovalRecord, ApprovalRepository
    from pagerless.store.session import dynamodb_events

    # Given an incident approved and delivered as usual
    opened = open_incident(scenario).id
    wait_for_status(opened, "awaiting_approval")
    response = api.post(f"/api/incidents/{opened}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    wait_for_status(opened, "resolved", "escalated", settled=True)
    # And a runbook step whose approver died after recording the approval
    job_id = _run_and_die(dies_after_deciding, api, runs, approve=True)
    [step] = ApprovalRepository().for_incident(job_id, consistent=True)
    # Then the undelivered index holds only that one
    assert _undelivered_index() == [(job_id, step.approval_id)]
    # When the sweep runs, it reads that one entry and that one approval, nothing else
    read: list[tuple[str, int]] = []

    def count(parsed, model, **_) -> None:
        if model.name == "Query":
            read.append((parsed.get("ScannedCount", 0), parsed.get("Count", 0)))
        if model.name == "BatchGetItem":
            read.append(("batch", sum(len(items) for items in parsed.get("Responses", {}).values())))

    client_events = dynamodb_events(ApprovalRecord)
    client_events.register("after-call.dynamodb.Query", count)
    client_events.register("after-call.dynamodb.BatchGetItem", count)
    _grace(monkeypatch, 0)
    try:
        from pagerless.workflow.approval_delivery import sweep

        swept = sweep()
    finally:
        client_events.unregister("after-call.dynamodb.Query", count)
        client_events.unregister("after-call.dynamodb.BatchGetItem", count)
    assert [(s["approval_id"], s["delivered"]) for s in swept] == [(step.approval_id, "sent")]
    assert read[:2] == [(1, 1), ("batch", 1)], read
    wait_job(api, runs["alice"], job_id, "completed", "failed")


def test_a_runbook_step_decision_left_undelivered_until_its_approval_timed_out_is_audited_as_expired(
    dies_after_deciding, runs, sandbox, api, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository

    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "5")
    settings.reset()
    alice = runs["alice"]
    bob_id = key_service().authenticate(runs["bob"]).key_id
    # Given a run's memory step whose approval Bob's dying request stored, and the step's wait timing out meanwhile
    job_id = _run_and_die(dies_after_deciding, api, runs, approve=True)
    timed_out = wait_job(api, alice, job_id, "failed", "completed")
    assert timed_out["result"]["outcome"] == "timed_out", timed_out
    # When the approval sweep runs past the grace
    _grace(monkeypatch, 0)
    [swept] = _sweep(runtime)
    # Then Step Functions refused the late decision: the step's approval is expired, saying who tried; nothing ran
    assert (swept["decision"], swept["delivered"]) == ("approved", "expired")
    [step] = ApprovalRepository().for_incident(job_id, consistent=True)
    assert (step.status, step.decided_by) == ("expired", bob_id)
    assert memory_limit(sandbox) == "256Mi"
    assert _undelivered_index() == [] and _sweep(runtime) == []
    # And the audit log says, once, on the job, that the sweep found Bob's decision undelivered and the approval expired
    [audited] = _decision_audit(step.approval_id)
    assert (audited["actor"], audited["role"], audited["status"]) == ("approval-sweep", "system", 409), audited
    assert (audited["action"], audited["target"]) == ("SWEEP expire undelivered decision", f"job_id={job_id}")
    details = audited["details"]
    assert (details["decided_by"], details["decision"], details["outcome"]) == (
        bob_id,
        "approve",
        "expired undelivered",
    )
    assert details["decided_at"] == step.decided_at.isoformat(), details
    assert audited["at"] == step.expires_at.isoformat()
