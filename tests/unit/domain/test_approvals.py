"""Approvals as domain objects: their status vocabulary, deadline and public view."""

from datetime import UTC, datetime, timedelta

import pytest

from pagerless.domain.approvals import (
    APPROVED,
    PENDING,
    RUNBOOK_STEP,
    STATUSES,
    Approval,
    ApprovalStatus,
    approval_key,
)

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
TOKEN = "AQCEAAAA-secret-task-token"


def _approval(**overrides) -> Approval:
    values = {
        "incident_id": "INC-20260311-0001",
        "approval_id": approval_key(T0, "abcd1234"),
        "workspace": "default",
        "requested_at": T0,
        "expires_at": T0 + timedelta(minutes=10),
        "timeout_seconds": 600,
        "task_token": TOKEN,
        "proposal": {"action": "patch_resources"},
    }
    return Approval(**{**values, **overrides})


def test_the_vocabulary_is_the_api_s():
    assert STATUSES == ("pending", "approved", "rejected", "expired")
    assert ApprovalStatus.PENDING == PENDING == "pending"


def test_a_new_approval_is_pending_until_its_deadline():
    approval = _approval()
    assert approval.pending and not approval.timed_out(T0 + timedelta(minutes=9))
    assert approval.timed_out(T0 + timedelta(minutes=10))
    assert not _approval(status=APPROVED).timed_out(T0 + timedelta(hours=1))


def test_the_token_never_leaves():
    approval = _approval()
    assert "task_token" not in approval.to_public() and TOKEN not in repr(approval.to_public())
    assert TOKEN not in repr(approval)


def test_ids_sort_by_request_time_and_runbook_steps_are_told_apart():
    assert approval_key(T0, "x") < approval_key(T0 + timedelta(seconds=1), "a")
    assert _approval(proposal={"kind": RUNBOOK_STEP}).is_runbook_step and not _approval().is_runbook_step
