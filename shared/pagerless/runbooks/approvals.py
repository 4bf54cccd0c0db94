"""Per-step approval of a runbook run, on the same approvals table, service and chat cards as incidents.

A step's approval record lives under the run's incident (so its chat card is the incident's card,
and the card's buttons reach ``ApprovalService.decide`` with the incident id) or, for a run
without an incident, under the job id. Its proposal says ``"kind": "runbook_step"``; the decision
is the same conditional write, and the task token goes back to Step Functions exactly once.
While it waits the job is ``parked`` with the approval id as its correlation key.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from pagerless.domain.errors import ConflictError
from pagerless.incidents import timeline
from pagerless.notify.publish import publish
from pagerless.store import approvals as store
from pagerless.store.approvals import ApprovalRecord, ApprovalRepository
from pagerless.store.base import utcnow
from pagerless.store.jobs import PARKED, RUNNING, JobRecord, JobRepository

KIND = "runbook_step"


def is_step(record: ApprovalRecord | None) -> bool:
    return record is not None and (record.proposal or {}).get("kind") == KIND


def request(job_id: str, *, task_token: str, execution_arn: str, timeout_seconds: int) -> dict:
    """Store the token with the planned step; the job is parked until a decision or the timeout."""
    from pagerless.runbooks.engine import current_step, load, note, runbook_of

    job = load(job_id)
    step = current_step(job)
    plan = job.state["pending"]
    now = utcnow()
    record = ApprovalRepository().create(ApprovalRecord(
        job.incident_id or job.job_id, store.approval_key(now, uuid.uuid4().hex[:8]), workspace=job.workspace,
        requested_at=now, expires_at=now + timedelta(seconds=int(timeout_seconds)),
        timeout_seconds=int(timeout_seconds), execution_arn=execution_arn, task_token=task_token,
        proposal={"kind": KIND, "job_id": job.job_id, "runbook_id": runbook_of(job).id, "step": step.name,
                  "step_index": job.state["index"], "action": plan["action"]["action"], "plan": plan,
                  "reason": plan["reason"], "risk": plan["risk"], "blast_radius": plan["blast_radius"],
                  "decision": {"rule": job.state.get("rule")}}))
    JobRepository().update(job, status=PARKED, correlation_key=record.approval_id, current_node=step.name)
    note(job, "JobParked", f"{step.name}: waiting for approval of {plan['action']['action']}", node=step.name,
         correlation_key=record.approval_id, expires_at=record.expires_at.isoformat())
    if job.incident_id:
        from pagerless.store.incidents import IncidentRepository

        publish("approval.requested", IncidentRepository().get(job.incident_id), generation=record.approval_id,
                data={"approval_id": record.approval_id, "expires_at": record.expires_at.isoformat(),
                      "action": plan["action"]["action"], "reason": f"runbook {runbook_of(job).name}: {step.name}",
                      "rule": job.state.get("rule")})
    return {"approval_id": record.approval_id}


def decide(service, record: ApprovalRecord, *, approve: bool, actor: str, role: str = "", comment: str = ""):
    """``ApprovalService.decide`` for a runbook step (no incident status involved)."""
    from pagerless.workflow.approvals import Decided, _publish_decided

    wanted = store.APPROVED if approve else store.REJECTED
    if record.status == store.PENDING and utcnow() >= record.expires_at:
        service.repository.decide(record, store.EXPIRED, actor="system", note="the approval timed out")
    from pagerless.auth.actors import name_of

    won = record.status == store.PENDING and service.repository.decide(record, wanted, actor=actor, role=role,
                                                                        comment=comment,
                                                                        actor_name=name_of(record.workspace, actor))
    if not won:
        return service._already_decided(record, wanted)
    job = JobRepository().get(record.proposal["job_id"])
    if approve:
        approved = {**(job.state.get("approved_by") or {}), str(record.proposal["step_index"]): actor}
        JobRepository().update(job, state={**job.state, "approved_by": approved})
    else:
        JobRepository().update(job, state={**job.state, "rejected": {"by": actor, "comment": comment,
                                                                      "step": record.proposal["step"]}})
    from pagerless.workflow.approvals import _TokenRefused

    try:
        service._send(record, approve, actor, comment)
    except _TokenRefused as exc:
        service.repository.mark_expired(record, f"Step Functions refused the decision: {exc}")
        raise ConflictError("the step's approval timed out before the decision; nothing ran",
                            details=[{"status": store.EXPIRED}]) from exc
    JobRepository().update(job, status=RUNNING, correlation_key=None, expected_status=(PARKED,))
    JobRepository().add_event(job, "SignalReceived", node=record.proposal["step"], correlation_key=record.approval_id,
                              payload={"approved": approve, "by": actor, "comment": comment or None})
    if job.incident_id:
        from pagerless.store.incidents import IncidentRepository

        incident = IncidentRepository().get(job.incident_id)
        verb = "approved" if approve else "rejected"
        timeline.record(incident, "runbook_step", f"{actor} {verb} runbook step {record.proposal['step']}"
                        + (f": {comment}" if comment else ""), actor=actor,
                        data={"job_id": job.job_id, "approval_id": record.approval_id, "event": verb})
        _publish_decided(incident, record)
    return Decided(record.to_public(), True)


def expire(job: JobRecord, key: str | None = None, note: str = "the step's approval timed out") -> None:
    """The step's wait ended without a decision (timeout, stop): a pending record becomes expired."""
    key = key or job.correlation_key
    if not key:
        return
    record = ApprovalRepository().get(job.incident_id or job.job_id, key)
    if record is not None and record.status == store.PENDING:
        ApprovalRepository().decide(record, store.EXPIRED, actor="system", note=note)
