"""A rollback that needs a human runs only on the approval of the fix it undoes, never on whoever
decided some other approval of the incident."""

import pytest

from tests.functional.workflow.conftest import (
    incident,
    memory_limit,
    open_incident,
    store_policy,
    unfixable_oom,
    wait_for_status,
)

pytestmark = pytest.mark.functional


@pytest.fixture
def scenario(oom_scenario):
    """The OOM scenario, except the service needs 2Gi: doubling the limit to 512Mi does not fix it."""
    return unfixable_oom(oom_scenario)


def test_a_rejection_does_not_approve_the_rollback_of_a_fix_that_ran_without_approval(sandbox, scenario, runtime):
    from pagerless.domain.approvals import REJECTED
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.outcomes import rollback
    from pagerless.workflow.remediate import remediate
    from pagerless.workflow.verify import verify
    from tests.functional.workflow.conftest import _stop_running_executions

    # Given a proposal that mallory rejected
    store_policy(autonomy="approve")
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    _stop_running_executions(runtime)
    repository = ApprovalRepository()
    assert repository.decide(repository.latest(opened.id), REJECTED, actor="mallory", role="operator")
    # And the fix then run on its own under autonomy auto (nobody approved it)
    store_policy(autonomy="auto")
    assert remediate(opened.id, "default")["next"] == "verify"
    assert memory_limit(sandbox) == "512Mi"
    assert incident(opened.id).actions[-1]["approved_by"] is None
    # When the policy asks for approval again and the fix fails its verification
    store_policy(autonomy="approve")
    checked = verify(opened.id, "default", 0, 1)
    # Then the rollback is not run on mallory's rejection: a human has to decide
    assert checked["next"] == "escalate", checked
    assert "needs a human approval" in checked["reason"], checked["reason"]
    # And the rollback step, run anyway, refuses it and the fix stays
    rollback(opened.id, "default", checked["reason"])
    assert memory_limit(sandbox) == "512Mi"
    undo = incident(opened.id).actions[-1]
    assert undo["rollback"] is True and undo["status"] == "refused", undo
