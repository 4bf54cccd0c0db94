"""Every escalation the workflow makes is said once, however its step is retried: its `escalated` entry is written
once and its `incident.escalated` notification is queued under one key (the notify function's delivery ids deliver
it once). A retry that finds the incident escalated by its own earlier attempt, which died between the move and the
notification, says what that attempt never said; a second, different escalation of the run (HandleFailure after an
escalation step failed) is said once too, never swallowed. The rollback's own retries are in
test_rollback_retries.py. DynamoDB refuses at the AWS boundary (tests/functional/refusals.py), on the embedded Step
Functions with the real ASL."""

import pytest

from tests.functional.refusals import refusing
from tests.functional.workflow.conftest import (
    execution_status,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    wait_for,
    wait_for_status,
)
from tests.functional.workflow.test_rollback_retries import (
    approve,
    approved_fix_that_fails,
    escalated_notices,
    within,
    workflow_pages,
)

pytestmark = pytest.mark.functional


def escalation_reasons(opened) -> list[str]:
    from pagerless.incidents.timeline import timeline

    return [t.message for t in timeline(opened.id) if t.type == "escalated"]


def said_once(opened, pages) -> list[dict]:
    """The incident's `incident.escalated` jobs, once they came: all under one key, saying the one `escalated` entry's
    reason."""
    notices = wait_for(lambda: escalated_notices(opened, pages))
    [reason] = escalation_reasons(opened)
    assert len({job["generation"] for job in notices}) == 1, notices
    assert {job["data"]["reason"] for job in notices} == {reason}, notices
    return notices


def test_an_escalation_step_that_died_after_its_move_says_it_once_when_tried_again(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given a fix waiting for approval, and the kill switch turned on meanwhile (Remediate refuses it: the workflow
    # goes to EscalateAfterRemediation)
    opened = approved_fix_that_fails(scenario, oncall, pages)
    store_policy(kill_switch=True)
    # And DynamoDB throttling the escalation's first new item, written after the incident moved to escalated and
    # before its notification was queued (the step dies in that window)
    with refusing("PutItem", "ThrottlingException", when=within("escalate", "advance")) as refused:
        # When the fix is approved
        approve(opened, api, operator_key)
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
        workflow_pages(opened, pages)
    assert refused == ["PutItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the retried step said the escalation its first attempt never said: one entry, one notification key
    said_once(opened, pages)
    assert "kill switch" in escalation_reasons(opened)[0], escalation_reasons(opened)
    # And people are paged once; nothing ran
    assert len(workflow_pages(opened, pages)) == 1
    assert memory_limit(sandbox) == "256Mi"


def test_an_approval_timeout_that_died_after_its_move_says_it_once_when_tried_again(
    sandbox, scenario, oncall, pages, runtime, monkeypatch
):
    from pagerless import settings
    from pagerless.store.escalations import EscalationRepository

    # Given an approval that may wait one second, and DynamoDB throttling the ApprovalTimedOut step's first new item
    # after the incident moved to escalated (before the escalation's notification was queued)
    oncall(delays=(60, 60, 60))
    monkeypatch.setenv("PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS", "1")
    settings.reset()
    with refusing(
        "PutItem", "ThrottlingException", when=within("approval_timed_out", "escalate", "advance")
    ) as refused:
        # When nobody decides in time
        opened = open_incident(scenario)
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=120) == "escalated"
        [approval] = wait_for(
            lambda: [r for r in EscalationRepository().for_incident(opened.id) if r.kind == "approval"], timeout=60
        )
        pages.wait_for(f"{approval.sk}:1-0")
    assert refused == ["PutItem"]
    assert execution_status(runtime, opened) == "SUCCEEDED"
    # Then the retried step said the escalation (page=False: the approval's own escalation pages), once
    said_once(opened, pages)
    assert escalation_reasons(opened)[0].startswith("nobody approved or rejected"), escalation_reasons(opened)
    types = timeline_types(opened.id)
    assert (types.count("approval_expired"), types.count("workflow_ended")) == (1, 0), types
    # And the next level is paged once, by the approval's escalation alone
    assert [r.sk for r in EscalationRepository().for_incident(opened.id)] == ["1", approval.sk]


def test_a_failure_after_an_escalation_moved_the_incident_is_said_once_and_not_swallowed(
    sandbox, scenario, oncall, pages, api, operator_key, runtime
):
    # Given a fix waiting for approval, refused by the kill switch turned on meanwhile (EscalateAfterRemediation)
    opened = approved_fix_that_fails(scenario, oncall, pages)
    store_policy(kill_switch=True)
    # And DynamoDB refusing that escalation's first new item after the move for good (not a throttle: the step
    # fails, and HandleFailure escalates with the error), and throttling HandleFailure's own first new item once
    refuse_escalation = refusing("PutItem", "ValidationException", when=within("escalate", "advance"))
    throttle_failure = refusing("PutItem", "ThrottlingException", when=within("handle_failure", "escalate"))
    with refuse_escalation as refused, throttle_failure as throttled:
        # When the fix is approved
        approve(opened, api, operator_key)
        assert wait_for_status(opened.id, "escalated", settled=True, timeout=60) == "escalated"
        workflow_pages(opened, pages)
    assert (refused, throttled) == (["PutItem"], ["PutItem"])
    assert execution_status(runtime, opened) == "FAILED"  # HandleFailure ends in Failed
    # Then the failure's escalation is said (the incident was escalated already), once, however often its step ran
    said_once(opened, pages)
    assert "ValidationException" in escalation_reasons(opened)[0], escalation_reasons(opened)
    # And people are paged once, for it
    assert len(workflow_pages(opened, pages)) == 1


def test_a_restarts_escalation_that_died_after_its_move_says_it_once_when_tried_again(
    sandbox, scenario, pages, runtime
):
    from pagerless.domain.approvals import APPROVED
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.incidents import advance
    from pagerless.workflow.reconcile import INTERRUPTED
    from tests.functional.workflow.conftest import incident
    from tests.functional.workflow.test_reconcile import restart

    # Given an approved fix whose process died after Remediate moved the incident, before the outcome was recorded
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    repository = ApprovalRepository()
    repository.decide(repository.latest(opened.id), APPROVED, actor="alice", role="operator")
    advance(incident(opened.id), IncidentStatus.REMEDIATING, "running patch_resources")
    # And DynamoDB throttling the reconciler's escalation's first new item after the move to escalated
    scheduled = []
    with refusing("PutItem", "ThrottlingException", when=within("reconcile", "escalate", "advance")) as refused:
        # When the runtime restarts
        [done] = restart(runtime, later=lambda delay, run: scheduled.append((delay, run)))
    # Then the reconciler did not wait to try its escalation again: it scheduled the retry and went on
    assert refused == ["PutItem"]
    assert (done["outcome"], done["retry"], incident(opened.id).status) == ("escalate", "scheduled", "escalated")
    assert "escalated" not in timeline_types(opened.id)
    [(delay, retry)] = scheduled
    assert delay == 0.5
    # And the retry, when it runs, says the escalation once
    retry()
    assert scheduled == [(delay, retry)]  # it succeeded: nothing more scheduled
    said_once(opened, pages)
    assert escalation_reasons(opened) == [INTERRUPTED]
    assert memory_limit(sandbox) == "256Mi"


def test_a_restarts_escalation_throttled_once_is_said_by_its_retry_on_a_timer(sandbox, scenario, pages, runtime):
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.workflow.incidents import advance
    from pagerless.workflow.reconcile import INTERRUPTED
    from tests.functional.workflow.conftest import incident
    from tests.functional.workflow.test_reconcile import restart

    # Given a fix whose process died while it ran (remediating, nothing recorded: the reconciler escalates it)
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    advance(incident(opened.id), IncidentStatus.REMEDIATING, "running patch_resources")
    # And DynamoDB throttling the reconciler's escalation's first read (nothing of it is done)
    with refusing("GetItem", "ThrottlingException", when=within("reconcile", "escalate")) as refused:
        # When the runtime restarts, as `pagerless dev` does (its retries on a timer thread)
        [done] = restart(runtime)
    assert refused == ["GetItem"], refused
    assert done["retry"] == "scheduled", done
    # Then the retry escalates the incident and says it once
    assert wait_for_status(opened.id, "escalated") == "escalated"
    said_once(opened, pages)
    assert escalation_reasons(opened) == [INTERRUPTED]
