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
def decides_once_requested(api):
    """``decides_once_requested(key, approve)``: the first runbook step approval the approvals table
    stores is decided by ``key`` through the API at once, before its request goes on (to park the
    job). Returns the API's answers."""
    from pagerless.store.approvals import ApprovalRecord

    client_events = ApprovalRecord._get_connection().connection.client.meta.events
    asked: list[tuple[str, str, int]] = []
    answers: list = []
    armed: list = []

    def note_the_request(params, **_) -> None:
        item = params.get("Item") or {}
        if armed and not asked and "runbook_step" in json.dumps(item.get("proposal", {})):
            asked.append((item["incident_id"]["S"], item["approval_id"]["S"], threading.get_ident()))

    def decide_at_once(**_) -> None:
        if not asked or asked[0][2] != threading.get_ident() or len(armed) > 1:
            return  # another write, or the request's own writes after the decision
        partition, approval_id, _thread = asked[0]
        key, approve = armed[0]
        armed.append("decided")
        verb = "approve" if approve else "reject"
        body = {"approval_id": approval_id, "comment": "decided early"}
        answers.append(api.post(f"/api/incidents/{partition}/{verb}", json=body, headers=auth(key)))

    def arm(key: str, approve: bool) -> list:
        armed.append((key, approve))
        client_events.register("before-parameter-build.dynamodb.PutItem", note_the_request)
        client_events.register("after-call.dynamodb.PutItem", decide_at_once)
        return answers

    yield arm
    client_events.unregister("before-parameter-build.dynamodb.PutItem", note_the_request)
    client_events.unregister("after-call.dynamodb.PutItem", decide_at_once)


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "rejected"])
def test_a_step_decided_before_its_job_was_parked_records_who_decided_once(
    approve, decides_once_requested, runs, sandbox, api
):
    from pagerless.api.security import key_service

    alice, bob = runs["alice"], runs["bob"]
    bob_id = key_service().authenticate(bob).key_id
    # Given Bob decides an OOM recovery run's memory step the moment its approval is stored, before
    # the request parks the job on it
    answers = decides_once_requested(bob, approve)
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
    # And the job's history says who decided, once, after it parked
    history = events(api, alice, started["job_id"])
    signals = [e for e in history if e["event"] == "SignalReceived"]
    assert [s["payload"] for s in signals] == [{"approved": approve, "by": bob_id, "comment": "decided early"}], [
        e["event"] for e in history
    ]
    names = [e["event"] for e in history]
    assert names.index("JobParked") < names.index("SignalReceived"), names
    assert job(api, alice, started["job_id"])["correlation_key"] is None
