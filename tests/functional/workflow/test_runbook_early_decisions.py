"""A runbook step's approval decided before its request parked the job: the approval record is
stored (its id is on the approvals list and the step's card) a moment before the job waits on it,
and a person who decides in that moment finds no parked job to wake. The run still goes on as they
decided, and the job's history says who decided, once. The real `runbook-run` ASL on the embedded
AWS, against the sandbox cluster; the decision goes through the real API, made right after the
approvals table stored the request (botocore's event hooks)."""

import json
import threading

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import memory_limit
from tests.functional.workflow.test_runbook_runs import CONTEXT, FAST, events, job, runs, wait_job  # noqa: F401

pytestmark = pytest.mark.functional


@pytest.fixture
def decides_early(api):
    """``decides_early(key, approve, moment)``: the first runbook step approval the approvals table
    stores is decided by ``key`` through the API within its request: right after the approval was
    stored (``"stored"``: before the job is parked on it) or right after the job was parked on it
    (``"parked"``: before the request goes on). Returns the API's answers."""
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.jobs import JobRecord
    from pagerless.store.session import dynamodb_events

    hooked = {
        dynamodb_events(ApprovalRecord),
        dynamodb_events(JobRecord),
    }
    asked: list[tuple[str, str, int]] = []
    answers: list = []
    armed: list = []
    due: list[str] = []  # the operation after which the decision is made, once it is due

    def note(params, model, **_) -> None:
        if not armed or len(armed) > 1 or due:
            return
        moment = armed[0][2]
        item = params.get("Item") or {}
        if not asked and "runbook_step" in json.dumps(item.get("proposal", {})):
            asked.append((item["incident_id"]["S"], item["approval_id"]["S"], threading.get_ident()))
            if moment == "stored":
                due.append(model.name)
        elif asked and moment == "parked" and model.name == "UpdateItem":
            written = json.dumps(params.get("ExpressionAttributeValues", {}))
            if '"parked"' in written and asked[0][1] in written:
                due.append(model.name)

    def decide(model, **_) -> None:
        if not due or due[0] != model.name or asked[0][2] != threading.get_ident() or len(armed) > 1:
            return  # another write, another thread, or the request's own writes after the decision
        partition, approval_id, _thread = asked[0]
        key, approve, _moment = armed[0]
        armed.append("decided")
        verb = "approve" if approve else "reject"
        body = {"approval_id": approval_id, "comment": "decided early"}
        answers.append(api.post(f"/api/incidents/{partition}/{verb}", json=body, headers=auth(key)))

    def arm(key: str, approve: bool, moment: str) -> list:
        armed.append((key, approve, moment))
        for emitter in hooked:
            for operation in ("PutItem", "UpdateItem"):
                emitter.register(f"before-parameter-build.dynamodb.{operation}", note)
                emitter.register(f"after-call.dynamodb.{operation}", decide)
        return answers

    yield arm
    for emitter in hooked:
        for operation in ("PutItem", "UpdateItem"):
            emitter.unregister(f"before-parameter-build.dynamodb.{operation}", note)
            emitter.unregister(f"after-call.dynamodb.{operation}", decide)


@pytest.mark.parametrize("moment", ["stored", "parked"], ids=["before-the-park", "after-the-park"])
@pytest.mark.parametrize("approve", [True, False], ids=["approved", "rejected"])
def test_a_step_decided_while_its_job_is_being_parked_records_who_decided_once(
    approve, moment, decides_early, runs, sandbox, api
):
    from pagerless.api.security import key_service

    alice, bob = runs["alice"], runs["bob"]
    bob_id = key_service().authenticate(bob).key_id
    # Given Bob decides an OOM recovery run's memory step within its approval request: the moment its
    # approval is stored (before the request parks the job on it), or the moment the job is parked
    answers = decides_early(bob, approve, moment)
    started = api.post(
        "/api/workflows/oom-recovery/execute", json={"context": CONTEXT, "options": FAST}, headers=auth(alice)
    ).json()
    # When the run goes on
    done = wait_job(api, alice, started["job_id"], "completed", "failed")
    # Then his decision was taken, and the run went as he decided
    [answer] = answers
    assert answer.status_code == 200, answer.text
    assert answer.json()["approval"]["status"] == ("approved" if approve else "rejected")
    if approve:
        assert done["status"] == "completed", (done["error"], done["steps"])
        assert done["steps"][1]["approved_by"] == bob_id and memory_limit(sandbox) == "512Mi", done["steps"]
    else:
        assert done["status"] == "failed" and f"rejected by {bob_id}" in done["error"], done["error"]
        assert memory_limit(sandbox) == "256Mi"
    # And the job's history says who decided, once
    history = events(api, alice, started["job_id"])
    signals = [e for e in history if e["event"] == "SignalReceived"]
    assert [s["payload"] for s in signals] == [{"approved": approve, "by": bob_id, "comment": "decided early"}], [
        e["event"] for e in history
    ]
    if moment == "stored":  # told by the request, after it parked the job
        names = [e["event"] for e in history]
        assert names.index("JobParked") < names.index("SignalReceived"), names
    assert job(api, alice, started["job_id"])["correlation_key"] is None
