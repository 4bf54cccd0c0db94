"""The audit record of an approval's decision, written once, whoever writes it.

A decider (the API, the console, a chat button, an emailed link, a runbook job's signal) records
the decision, sends it to Step Functions and then writes its audit record. One whose process died
before (Lambda timeout, crash, OOM) leaves a decision that the approval sweep delivers
(``workflow.approval_delivery``), and the sweep writes the record in its stead: the person who
decided is its actor, and ``delivered_by`` says the sweep sent it. Both write under the decision's
key (``once``: the approval and the time of its decision), so the first write stands: a decider that
was merely slow and the sweep never both record one decision.
"""

from dataclasses import dataclass
from datetime import datetime

from pagerless.clock import parse_time
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval
from pagerless.store.audit import AuditRepository

SWEEP = "approval-sweep"  # ``delivered_by`` of a record the approval sweep wrote


@dataclass(frozen=True)
class Once:
    """The key a decision's audit record is written under, by whichever writer comes first."""

    key: str
    at: datetime


def once(approval: dict) -> Once:
    """The key of the decision ``approval`` (an approval's public view, decided) holds."""
    return Once(f"decision#{approval['incident_id']}#{approval['approval_id']}", parse_time(approval["decided_at"]))


def record_delivered(approval: Approval, repository: AuditRepository | None = None) -> bool:
    """The audit record a decider that died writes no more, for the decision the sweep delivered:
    the record the API writes for it (an incident's approve or reject, a runbook step's signal), with
    the person who decided as its actor and ``delivered_by``. False if the decider (or an earlier
    sweep) wrote it already."""
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
        details={"path": path, **details, "delivered_by": SWEEP},
        once=key.key,
        at=key.at,
    )
    return written is not None
