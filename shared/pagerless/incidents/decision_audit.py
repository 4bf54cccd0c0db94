"""The audit record of an approval's decision, written once, whoever writes it.

A decider (the API, the console, a chat button, an emailed link, a runbook job's signal) records
the decision, sends it to Step Functions and then writes its audit record. One whose process died
before (Lambda timeout, crash, OOM) leaves a decision that the approval sweep delivers
(``workflow.approval_delivery``), and the sweep writes the record in its stead: the person who
decided is its actor, and ``delivered_by`` says the sweep sent it. A RequestApproval step Step
Functions invoked again hands a decision made in between to its own token (``approval_tokens.wait_again``)
and writes the same record, ``delivered_by`` saying the retried request sent it. All write under the
decision's key (``once``: the approval and the time of its decision), so the first write stands: a
decider that was merely slow, the sweep and a hand-over never record one decision twice.

A decision the sweep found undelivered and Step Functions refused because the approval's wait had timed
out (the approval is marked expired) is recorded too, once, by the sweep (``record_expired``): who had
decided what and when, and that it expired undelivered.
"""

from dataclasses import dataclass
from datetime import datetime

from pagerless.clock import parse_time
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval
from pagerless.store.audit import AuditRepository

SWEEP = "approval-sweep"  # ``delivered_by`` of a record the approval sweep wrote
HAND_OVER = "approval-request"  # ``delivered_by`` of a record a retried RequestApproval step wrote
EXPIRED_ACTION = "SWEEP expire undelivered decision"


@dataclass(frozen=True)
class Once:
    """The key a decision's audit record is written under, by whichever writer comes first."""

    key: str
    at: datetime


def once(approval: dict) -> Once:
    """The key of the decision ``approval`` (an approval's public view, decided) holds."""
    return Once(f"decision#{approval['incident_id']}#{approval['approval_id']}", parse_time(approval["decided_at"]))


def record_delivered(
    approval: Approval, repository: AuditRepository | None = None, *, delivered_by: str = SWEEP
) -> bool:
    """The audit record a decider that died writes no more, for the decision ``delivered_by`` (the sweep,
    or a retried request's hand-over) delivered: the record the API writes for it (an incident's approve
    or reject, a runbook step's signal), with the person who decided as its actor. False if the decider
    (or an earlier sweep or hand-over) wrote it already."""
    key = once(approval.to_public())
    approved = approval.status == vocab.APPROVED
    details = {"actor_name": approval.decided_by_name or "", "approval_id": approval.approval_id, "changed": True}
    if approval.is_runbook_step:
        job_id = approval.proposal["job_id"]
        action, target, path = "POST /api/jobs/{job_id}/signal", f"job_id={job_id}", f"/api/jobs/{job_id}/signal"
        details.update(job_id=job_id, approved=approved, comment=approval.comment or "")
    else:
        verb = "approve" if approved else "reject"
        action, target = f"POST /api/incidents/{{incident_id}}/{verb}", f"incident_id={approval.incident_id}"
        path = f"/api/incidents/{approval.incident_id}/{verb}"
        details.update(decision=verb, comment=approval.comment or "")
    written = (repository or AuditRepository()).write(
        approval.workspace,
        actor=approval.decided_by or "",
        role=approval.decided_role or "",
        action=action,
        target=target,
        status=200,
        details={"path": path, **details, "delivered_by": delivered_by},
        once=key.key,
        at=key.at,
    )
    return written is not None


def record_expired(approval: Approval, *, approved: bool, repository: AuditRepository | None = None) -> bool:
    """The sweep's record of a decision (``approved`` or a rejection) it found undelivered and Step Functions
    refused because the approval's wait had timed out (``approval``, just marked expired, still names who
    decided): the sweep is its actor, at the approval's deadline, written once. False if it was written
    already."""
    if approval.is_runbook_step:
        target = f"job_id={approval.proposal['job_id']}"
    else:
        target = f"incident_id={approval.incident_id}"
    written = (repository or AuditRepository()).write(
        approval.workspace,
        actor=SWEEP,
        role="system",
        action=EXPIRED_ACTION,
        target=target,
        status=409,  # what the decider's own request answers when its decision comes too late
        details={
            "approval_id": approval.approval_id,
            "decided_by": approval.decided_by or "",
            "decided_by_name": approval.decided_by_name or "",
            "decided_role": approval.decided_role or "",
            "decision": "approve" if approved else "reject",
            "comment": approval.comment or "",
            "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
            "expires_at": approval.expires_at.isoformat(),
            "outcome": "expired undelivered",
            "note": approval.note or "",
        },
        once=f"expired#{approval.incident_id}#{approval.approval_id}",
        at=approval.expires_at,
    )
    return written is not None
