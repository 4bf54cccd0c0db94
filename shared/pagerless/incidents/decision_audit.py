"""The audit record of an approval's decision, written once, whoever writes it.

A decider (the API, the console, a chat button, an emailed link, a runbook job's signal) records
the decision, sends it to Step Functions and then writes its audit record. One whose process died
before (Lambda timeout, crash, OOM) leaves a decision that the approval sweep delivers
(``workflow.approval_delivery``), and the sweep writes the record in its stead: the record that
decider writes (the channel the decision came through is kept with it: ``Approval.decided_via``), the
person who decided its actor, and ``delivered_by`` saying the sweep sent it. A RequestApproval step Step
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
    or a retried request's hand-over) delivered: the record that decider writes for it (``as_decided``),
    with the person who decided as its actor. False if the decider (or an earlier sweep or hand-over)
    wrote it already."""
    key = once(approval.to_public())
    action, target, details = as_decided(approval)
    written = (repository or AuditRepository()).write(
        approval.workspace,
        actor=approval.decided_by or "",
        role=approval.decided_role or "",
        action=action,
        target=target,
        status=200,
        details={**details, "delivered_by": delivered_by},
        once=key.key,
        at=key.at,
    )
    return written is not None


def as_decided(approval: Approval) -> tuple[str, str, dict]:
    """The action, target and details of the audit record the decider of ``approval`` writes for its
    decision, by the channel it came through (``decided_via``): the API's approve or reject, the
    console's button, a chat card's click or an emailed link's (``CHAT <vendor> <verb>``), a runbook
    job's signal, ``/bot/interact``. A decision kept without its channel (recorded before it was) gets
    the API's: a runbook step's signal, an incident's approve or reject."""
    approved = approval.status == vocab.APPROVED
    verb, incident_id = "approve" if approved else "reject", approval.incident_id
    via = approval.decided_via or (vocab.VIA_JOB_SIGNAL if approval.is_runbook_step else vocab.VIA_API)
    decided = {"approval_id": approval.approval_id, "changed": True}
    if via == vocab.VIA_EMAIL or via.startswith(vocab.CHAT_VIA):
        vendor = "email" if via == vocab.VIA_EMAIL else via.removeprefix(vocab.CHAT_VIA)
        details = {"decision": verb, **decided, **(approval.decided_via_details or {})}
        return f"CHAT {vendor} {verb}", f"incident_id={incident_id}", details
    asked = {"actor_name": approval.decided_by_name or ""}  # what an HTTP request's record says of its actor
    comment = approval.comment or ""
    if via == vocab.VIA_JOB_SIGNAL:
        job_id = approval.proposal["job_id"]
        path = f"/api/jobs/{job_id}/signal"
        details = {"path": path, **asked, "job_id": job_id, "approved": approved, "comment": comment, **decided}
        return "POST /api/jobs/{job_id}/signal", f"job_id={job_id}", details
    if via == vocab.VIA_CONSOLE:
        path = f"/console/incidents/{incident_id}/{verb}"
        details = {"path": path, **asked, "decision": verb, "comment": comment, **decided}
        return "POST /console/incidents/{incident_id}/{action}", f"action={verb},incident_id={incident_id}", details
    if via == vocab.VIA_BOT:  # called as /api/bot/interact or as seed 002's /bot/interact
        path = (approval.decided_via_details or {}).get("path") or "/api/bot/interact"
        details = {"path": path, **asked, "incident_id": incident_id, "auto_apply": True, **decided}
        return f"POST {path}", "", details
    path = f"/api/incidents/{incident_id}/{verb}"
    details = {"path": path, **asked, "decision": verb, "comment": comment, **decided}
    return f"POST /api/incidents/{{incident_id}}/{verb}", f"incident_id={incident_id}", details


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
