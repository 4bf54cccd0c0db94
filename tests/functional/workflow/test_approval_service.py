"""The approval service on the embedded DynamoDB with a fake Step Functions client: the token goes
back at most once, and a token Step Functions already timed out becomes a conflict."""

import json

import pytest
from botocore.exceptions import ClientError

from tests.functional.workflow.conftest import incident

pytestmark = pytest.mark.functional

TOKEN = "AQCEAAAA-fake-task-token"


class FakeStepFunctions:
    """Records every call; optionally answers like Step Functions does for a timed-out token."""

    def __init__(self, error_code: str | None = None, *, fail_first: int = 0) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.error_code = error_code
        self.fail_first = fail_first  # that many calls fail with error_code, the later ones succeed

    def _call(self, name: str, **kwargs) -> dict:
        self.calls.append((name, kwargs))
        if self.error_code and (not self.fail_first or len(self.calls) <= self.fail_first):
            raise ClientError({"Error": {"Code": self.error_code, "Message": "Task Timed Out"}}, name)
        return {}

    def send_task_success(self, **kwargs) -> dict:
        return self._call("send_task_success", **kwargs)

    def send_task_failure(self, **kwargs) -> dict:
        return self._call("send_task_failure", **kwargs)


@pytest.fixture
def waiting(runtime, oom_scenario):
    """An incident awaiting approval, its token stored by the RequestApproval step."""
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow.approvals import ApprovalService

    record = IncidentRecord(
        "INC-20260311-0007",
        workspace="default",
        created_key="x",
        service_key="x",
        title="PaymentsApiHighErrorRate",
        severity="critical",
        status="diagnosing",
        proposal={"action": "patch_resources", "dry_run": {"diff": "memory: 256Mi → 512Mi"}},
    )
    record.save()
    ApprovalService(sfn=FakeStepFunctions()).request(
        record.id, "default", task_token=TOKEN, execution_arn="arn:x", timeout_seconds=600
    )
    return record


def test_a_repeated_decision_sends_the_token_once(waiting):
    from pagerless.workflow.approvals import ApprovalService

    sfn = FakeStepFunctions()
    service = ApprovalService(sfn=sfn)
    # When the same approval is approved twice and then rejected
    first = service.decide(waiting.id, "default", approve=True, actor="key_a", comment="go")
    second = service.decide(waiting.id, "default", approve=True, actor="key_b", comment="go!")
    # Then one SendTaskSuccess went out, the second answer is the first decision
    assert [name for name, _ in sfn.calls] == ["send_task_success"]
    assert sfn.calls[0][1]["taskToken"] == TOKEN
    assert first.changed and not second.changed and second.approval["decided_by"] == "key_a"
    from pagerless.domain.errors import ConflictError

    with pytest.raises(ConflictError):
        service.decide(waiting.id, "default", approve=False, actor="key_c")
    assert len(sfn.calls) == 1


def test_a_token_step_functions_timed_out_turns_the_decision_into_a_conflict(waiting):
    from pagerless.domain.errors import ConflictError
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    # Given Step Functions already timed the task out, its deadline seconds away by our clock (its
    # timer started before the request stored the deadline; the workflow has not marked it yet)
    _deadline_in(waiting.id, seconds=5)
    sfn = FakeStepFunctions(error_code="TaskTimedOut")
    # When an operator approves
    with pytest.raises(ConflictError) as refused:
        ApprovalService(sfn=sfn).decide(waiting.id, "default", approve=True, actor="key_a")
    # Then the approval is expired with the reason, and the incident still awaits the workflow's timeout path
    assert "timed out" in refused.value.message
    approval = ApprovalRepository().latest(waiting.id)
    assert approval.status == "expired" and "TaskTimedOut" in approval.note
    assert incident(waiting.id).status == "awaiting_approval"
    assert len(sfn.calls) == 1


def test_a_decision_step_functions_did_not_take_can_be_made_again(waiting):
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    # Given Step Functions fails the first SendTaskSuccess (throttled, or briefly unavailable)
    sfn = FakeStepFunctions(error_code="ThrottlingException", fail_first=1)
    service = ApprovalService(sfn=sfn)
    # When an operator approves
    with pytest.raises(ServiceUnavailableError) as failed:
        service.decide(waiting.id, "default", approve=True, actor="key_a", comment="go")
    # Then she is told to try again, and the approval still waits (it is not "approved" with no token sent)
    assert "try again" in failed.value.message
    approval = ApprovalRepository().latest(waiting.id)
    assert (approval.status, approval.decided_by, approval.decided_at) == ("pending", None, None)
    assert "approved" not in [t.type for t in _timeline(waiting.id)]
    # and when she approves again, the token goes back this time and the decision is hers
    again = service.decide(waiting.id, "default", approve=True, actor="key_a", comment="go")
    assert again.changed and again.approval["status"] == "approved" and again.approval["decided_by"] == "key_a"
    assert [name for name, _ in sfn.calls] == ["send_task_success", "send_task_success"]


def _deadline_in(incident_id: str, *, seconds: int) -> None:
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRepository

    approval = ApprovalRepository().latest(incident_id)
    expires_at = utcnow() + timedelta(seconds=seconds)
    assert ApprovalRepository().rearm(
        approval, task_token=approval.task_token, execution_arn=approval.execution_arn, expires_at=expires_at
    )


def _timeline(incident_id: str):
    from pagerless.incidents.timeline import timeline

    return timeline(incident_id)


RETRIED = "AQCEAAAA-fake-task-token-of-the-retried-attempt"


def test_a_retried_request_hands_a_decision_made_before_it_to_its_own_token(waiting):
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    # Given an operator approved; her answer went to the first attempt's token, which no longer waits
    sfn = FakeStepFunctions()
    ApprovalService(sfn=sfn).decide(waiting.id, "default", approve=True, actor="key_a")
    # When Step Functions invokes the request again on a new token
    answer = ApprovalService(sfn=sfn).request(
        waiting.id, "default", task_token=RETRIED, execution_arn="arn:x", timeout_seconds=600, retried=True
    )
    # Then her decision goes to the new token, once, as a decision does; no second approval is asked
    assert answer["handed_over"] == "approved"
    assert [(name, call["taskToken"]) for name, call in sfn.calls] == [
        ("send_task_success", TOKEN),
        ("send_task_success", RETRIED),
    ]
    assert sfn.calls[1][1]["output"] == sfn.calls[0][1]["output"]
    [approval] = ApprovalRepository().for_incident(waiting.id)
    assert (approval.status, approval.decided_by, approval.task_token) == ("approved", "key_a", RETRIED)


def test_a_decision_after_the_retried_request_moved_the_token_answers_the_new_token_only(waiting):
    from pagerless.workflow.approvals import ApprovalService

    # Given Step Functions invoked the request again, on a new token
    sfn = FakeStepFunctions()
    again = ApprovalService(sfn=sfn).request(
        waiting.id, "default", task_token=RETRIED, execution_arn="arn:x", timeout_seconds=600, retried=True
    )
    assert again["retried"] and not sfn.calls
    # When an operator rejects
    ApprovalService(sfn=sfn).decide(waiting.id, "default", approve=False, actor="key_a", comment="no")
    # Then the rejection answers the token that waits, once
    assert [(name, call["taskToken"]) for name, call in sfn.calls] == [("send_task_failure", RETRIED)]


class RetriedWhileSending(FakeStepFunctions):
    """Step Functions refuses the first attempt's token: while the decision is on its way, the
    retried attempt's request runs (on a new token) and the old token is already closed."""

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id

    def _call(self, name: str, **kwargs) -> dict:
        if kwargs["taskToken"] != TOKEN:
            return super()._call(name, **kwargs)
        from pagerless.workflow.approvals import ApprovalService

        ApprovalService(sfn=self).request(
            self.incident_id, "default", task_token=RETRIED, execution_arn="arn:x", timeout_seconds=600, retried=True
        )
        self.calls.append((name, kwargs))
        raise ClientError({"Error": {"Code": "TaskTimedOut", "Message": "Task Timed Out"}}, name)


def test_a_decision_refused_because_a_retried_request_took_it_over_stands(waiting):
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    # Given the decision's token is closed by Step Functions retrying the request meanwhile
    sfn = RetriedWhileSending(waiting.id)
    # When an operator approves
    decided = ApprovalService(sfn=sfn).decide(waiting.id, "default", approve=True, actor="key_a")
    # Then her decision stands (not a "timed out" conflict): the retried attempt's token got it
    assert decided.changed and decided.approval["status"] == "approved"
    assert [(name, call["taskToken"]) for name, call in sfn.calls] == [
        ("send_task_success", RETRIED),
        ("send_task_success", TOKEN),
    ]
    [approval] = ApprovalRepository().for_incident(waiting.id)
    assert (approval.status, approval.task_token) == ("approved", RETRIED)
    assert "approved" in [t.type for t in _timeline(waiting.id)]


def test_a_decision_refused_long_before_the_deadline_stands_and_goes_to_the_retried_request(waiting):
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    # Given Step Functions refuses the first attempt's token: it is retrying the request (Lambda lost
    # its answer), ten minutes before the approval's deadline
    sfn = FakeStepFunctions(error_code="TaskTimedOut", fail_first=1)
    # When an operator rejects, and then the retried request runs on its new token
    decided = ApprovalService(sfn=sfn).decide(waiting.id, "default", approve=False, actor="key_a", comment="no")
    answer = ApprovalService(sfn=sfn).request(
        waiting.id, "default", task_token=RETRIED, execution_arn="arn:x", timeout_seconds=600, retried=True
    )
    # Then her rejection stood (not a "timed out" conflict) and went to the retried attempt's token
    assert decided.changed and decided.approval["status"] == "rejected"
    assert answer["handed_over"] == "rejected"
    assert [(name, call["taskToken"]) for name, call in sfn.calls] == [
        ("send_task_failure", TOKEN),
        ("send_task_failure", RETRIED),
    ]
    assert sfn.calls[1][1]["error"] == "ApprovalRejected" and sfn.calls[1][1]["cause"] == "rejected by key_a: no"
    [approval] = ApprovalRepository().for_incident(waiting.id)
    assert (approval.status, approval.task_token) == ("rejected", RETRIED)


class _Crash(Exception):
    """The step's process dies."""


def test_a_retried_approval_timeout_whose_first_attempt_died_before_escalating_says_the_approval_expired_once(
    waiting,
):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.session import dynamodb_events
    from pagerless.workflow.steps import run_step

    step = {"step": "approval_timed_out", "incident_id": waiting.id, "workspace": "default"}

    # Given the ApprovalTimedOut step's first attempt, which dies after expiring the approval, before the
    # incident is escalated (its move to escalated never reaches DynamoDB)
    def die_at_the_escalation(params, **_) -> None:
        if '"escalated"' in json.dumps(params):
            raise _Crash

    events = dynamodb_events(IncidentRecord)
    events.register("before-parameter-build.dynamodb", die_at_the_escalation)
    try:
        with pytest.raises(_Crash):
            run_step(step)
    finally:
        events.unregister("before-parameter-build.dynamodb", die_at_the_escalation)
    assert incident(waiting.id).status != "escalated"
    # When Step Functions retries the step
    result = run_step(step)
    # Then the retry escalates the incident, and the timeline says once that the approval expired
    assert result["status"] == "escalated"
    types = [item.type for item in _timeline(waiting.id)]
    assert (types.count("approval_expired"), types.count("escalated")) == (1, 1), types
    assert incident(waiting.id).approval["status"] == "expired"
