"""Approvals: a human's yes or no on a proposed action, with its status vocabulary.

An approval holds the Step Functions task token of the step that waits for it. The token is a
credential: ``to_public`` never includes it, and it is not part of the object's repr. A decision
moves a pending approval to approved, rejected or expired exactly once (the store makes that one
conditional write), with the channel it came through (``Via``), so whoever writes the decision's audit
record in a decider's stead writes the record that decider would have written.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pagerless.domain.actors import label


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


PENDING, APPROVED, REJECTED, EXPIRED = (
    ApprovalStatus.PENDING.value,
    ApprovalStatus.APPROVED.value,
    ApprovalStatus.REJECTED.value,
    ApprovalStatus.EXPIRED.value,
)
STATUSES = tuple(s.value for s in ApprovalStatus)
DECIDED = (APPROVED, REJECTED, EXPIRED)
RUNBOOK_STEP = "runbook_step"  # proposal kind of a runbook step's approval

# The channels a decision comes through (``decided_via``); a chat click's is CHAT_VIA + its vendor ("chat:slack")
VIA_API, VIA_CONSOLE, VIA_EMAIL, VIA_JOB_SIGNAL, VIA_BOT = "api", "console", "email", "job-signal", "bot"
CHAT_VIA = "chat:"


@dataclass(frozen=True)
class Via:
    """The channel a decision came through, and what its decider's audit record says of it besides the
    person and the decision (a chat click's vendor name, chat user, tenant and person id)."""

    channel: str
    details: dict = field(default_factory=dict)


def approval_key(at: datetime, suffix: str) -> str:
    """An approval id: ``<requested_at iso>#<suffix>``, so an incident's approvals sort oldest first."""
    return f"{at.isoformat()}#{suffix}"


@dataclass
class Approval:
    incident_id: str  # a runbook run without an incident uses its job id
    approval_id: str
    workspace: str
    requested_at: datetime
    expires_at: datetime
    timeout_seconds: int
    task_token: str = field(default="", repr=False)  # never returned, never logged
    execution_arn: str = ""
    status: str = PENDING
    proposal: dict = field(default_factory=dict)  # action, dry-run diff, policy decision
    decided_by: str | None = None
    decided_by_name: str | None = None  # the decider's name when they decided (kept if the key is deleted)
    decided_role: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    note: str | None = None  # e.g. why an approval ended up expired
    decided_via: str | None = None  # a person's decision's channel (``Via``); None if decided before it was kept
    decided_via_details: dict | None = field(default=None, repr=False)  # ``Via.details``, never public
    # set while a recorded decision has not reached the task token (the approval sweep's), never public
    undelivered_since: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_runbook_step(self) -> bool:
        return (self.proposal or {}).get("kind") == RUNBOOK_STEP

    def timed_out(self, now: datetime) -> bool:
        """Still pending past its deadline (the decision that arrives now is too late)."""
        return self.pending and now >= self.expires_at

    def decided_notice(self, decision: str | None = None) -> dict:
        """The ``approval.decided`` notice's data: every card of this approval shows it (an updated card is
        the request's, rendered again: it keeps the expiry it was asked with)."""
        return {
            "approval_id": self.approval_id,
            "expires_at": self.expires_at.isoformat(),
            "decision": decision or self.status,
            "decided_by": self.decider_label(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "comment": self.comment or self.note,
        }

    def decider_label(self) -> str | None:
        """Who decided, as a card shows it: ``name (id)`` for an API key or a console user."""
        return label(self.decided_by, self.decided_by_name) if self.decided_by else None

    def to_public(self) -> dict:
        """Everything but the task token."""
        return {
            "incident_id": self.incident_id,
            "approval_id": self.approval_id,
            "workspace": self.workspace,
            "status": self.status,
            "requested_at": self.requested_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "timeout_seconds": int(self.timeout_seconds),
            "proposal": self.proposal or {},
            "decided_by": self.decided_by,
            "decided_by_name": self.decided_by_name or "",
            "decided_by_label": label(self.decided_by, self.decided_by_name) if self.decided_by else None,
            "decided_role": self.decided_role,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "comment": self.comment,
            "note": self.note,
            "decided_via": self.decided_via,
        }
