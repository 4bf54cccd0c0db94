"""The handoff digest on the embedded AWS: what waits for a decision is counted whole, however much it is."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from tests.conftest import auth
from tests.functional.intake.conftest import make_key

pytestmark = pytest.mark.functional


def _pending(n: int) -> list[str]:
    """``n`` pending approvals of the default workspace, requested a minute apart (the last one newest)."""
    from pagerless.store.approvals import ApprovalRecord

    now, ids = utcnow(), []
    for i in range(n):
        requested = now - timedelta(minutes=n - i)
        incident_id = f"INC-AP{i:03d}"
        ApprovalRecord(
            incident_id,
            f"{requested.isoformat()}#a{i:03d}",
            workspace="default",
            status="pending",
            status_key="default#pending",
            requested_key=f"{requested.isoformat()}#{incident_id}",
            requested_at=requested,
            expires_at=requested + timedelta(hours=2),
            timeout_seconds=7200,
            task_token="never-shown",
            proposal={"action": "rollout_restart"},
        ).save()
        ids.append(incident_id)
    return ids


def test_the_digest_counts_every_pending_approval_and_says_how_many_it_does_not_list(api):
    # Given 53 approvals waiting for a decision
    ids = _pending(53)
    # When the incoming on-call person reads the handoff digest
    answer = api.get("/api/digest/handoff", headers=auth(make_key("viewer")))
    assert answer.status_code == 200, answer.text
    digest = answer.json()
    # Then it says 53 wait, lists the newest 50 and says 3 more are not listed
    assert digest["summary"]["pending_approvals"] == 53, digest["summary"]
    listed = [a["incident_id"] for a in digest["pending_approvals"]]
    assert listed == ids[::-1][:50]
    assert digest["pending_approvals_not_listed"] == 3


def test_a_digest_that_lists_every_pending_approval_says_none_is_left_out(api):
    # Given 2 approvals waiting for a decision
    _pending(2)
    # When the handoff digest is read
    digest = api.get("/api/digest/handoff", headers=auth(make_key("viewer"))).json()
    # Then both are counted and listed, none left out
    assert digest["summary"]["pending_approvals"] == 2 and len(digest["pending_approvals"]) == 2
    assert digest["pending_approvals_not_listed"] == 0
