"""The approval service on the embedded DynamoDB with a fake Step Functions client: the token goes
back at most once, and a token Step Functions already timed out becomes a conflict."""

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

    # Given Step Functions already timed the task out (the workflow has not marked it yet)
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


def _timeline(incident_id: str):
    from pagerless.incidents.timeline import timeline

    return timeline(incident_id)
