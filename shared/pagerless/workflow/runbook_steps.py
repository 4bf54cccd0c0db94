"""``ApprovalService.decide`` for a runbook run's step (see pagerless.runbooks.approvals).

The step's approval record is on the same table and cards as an incident's; deciding it is the
same conditional write and the task token goes back once, but no incident status is involved:
the parked job is woken and runs on. The decision is kept in one place, the approval record:
the step reads its approver (a rejection its rejecter) there, never from the job.
"""

from __future__ import annotations

from pagerless.clock import utcnow
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval, Via
from pagerless.domain.errors import ConflictError
from pagerless.incidents.approval_tokens import (
    NotSent,
    TokenRefused,
    deliver,
    not_taken,
    refusal_is_timeout,
    refused_early,
)
from pagerless.runbooks.approvals import is_step, publish_decided, stopped_by, wake
from pagerless.store.jobs import JobRepository
from pagerless.workflow.approvals import Decided

__all__ = ["decide", "is_step"]


def decide(
    service, record: Approval, *, approve: bool, actor: str, role: str = "", comment: str = "", via: Via | None = None
):
    """``ApprovalService.decide`` for a runbook step (no incident status involved)."""
    wanted = vocab.APPROVED if approve else vocab.REJECTED
    # a run on an incident files its step under the incident, a run on none under its job id
    incident_id = None if record.incident_id == record.proposal["job_id"] else record.incident_id
    if record.status == vocab.PENDING and _run_over(service, record):  # nothing waits for the decision
        _lost(service, record, incident_id, decided=False)
    if record.timed_out(utcnow()) and service.repository.decide(
        record, vocab.EXPIRED, actor="system", note="the approval timed out"
    ):
        publish_decided(incident_id, record)  # its cards lose their buttons
    from pagerless.auth.actors import name_of

    won = record.status == vocab.PENDING and service.repository.decide(
        record,
        wanted,
        actor=actor,
        role=role,
        comment=comment,
        actor_name=name_of(record.workspace, actor),
        via=via,
    )
    if not won:
        return _already_decided(service, record, wanted)
    try:
        deliver(record, approve=approve, actor=actor, comment=comment, sfn=service.sfn, repository=service.repository)
    except TokenRefused as exc:
        # a timeout, unless the attempt holding the token ended early, a retried request already took
        # the decision over to its own token, or the sweep delivered it: then it stands (see approval_tokens)
        if not refusal_is_timeout(record, utcnow()):
            if _run_over(service, record):  # no attempt of the step waits: nothing would take the decision
                _lost(service, record, incident_id, decided=True)
            refused_early(record, service.repository)
        elif service.repository.mark_expired(record, f"Step Functions refused the decision: {exc}"):
            publish_decided(incident_id, record)
            raise ConflictError(
                "the step's approval timed out before the decision; nothing ran", details=[{"status": vocab.EXPIRED}]
            ) from exc
    except NotSent as failed:  # the run still waits on this step: the decision can be made again
        if service.repository.undo(record):
            raise not_taken(record, failed) from failed
    if record.status != wanted:  # (a retried request took a decision over meanwhile: it stands)
        return _already_decided(service, record, wanted)
    # the step reads who decided from the approval; the job, its event, the timeline and the cards are
    # told here, or (if this process ends first) by the retried request that hands the decision over or
    # the approval sweep that delivers it
    wake(JobRepository().get(record.proposal["job_id"]), record)
    return Decided(record.to_public(), True)


def _already_decided(service, record: Approval, wanted: str) -> Decided:
    """The step's decision that did not win, said as an incident's is (`ApprovalService._already_decided`), but for a
    step whose run was stopped: its approval expired with the stop, not with time, so the refusal names who stopped
    it (details ``stopped_by``)."""
    who = stopped_by(record)
    if who is None:
        return service._already_decided(record, wanted)
    raise ConflictError(
        f"the run of job {record.proposal['job_id']} was stopped by {who} before this decision; nothing ran",
        details=[{"status": vocab.EXPIRED, "stopped_by": who}],
    )


def _run_over(service, record: Approval) -> bool:
    """Whether the run that asked is no longer running (a `pagerless dev` restart forgot it, someone
    stopped it in Step Functions): then its step's decision reaches nobody."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not record.execution_arn:
        return False
    try:
        return service.sfn.describe_execution(executionArn=record.execution_arn)["status"] != "RUNNING"
    except ClientError as exc:
        return exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist"
    except BotoCoreError:  # not reached: whether it runs is unknown, so the decision goes as before
        return False


def _lost(service, record: Approval, incident_id: str | None, *, decided: bool) -> None:
    """The step's run is gone: its approval expires (``decided``: the decision just written is
    marked so), its job fails (a replay restarts it), and the decider is told nothing ran, rather
    than seeing the decision taken and the job waiting or running on forever."""
    from pagerless.runbooks.error_phrases import PARTS, part, told
    from pagerless.runbooks.job_state import note
    from pagerless.store.jobs import FAILED

    job_id = record.proposal["job_id"]
    gone = part("execution_gone")
    why = PARTS.render(gone, "en")
    error, error_phrase = told(gone, part("replay_it"))  # "…; replay it", said in Chinese on the job page too
    said = f"the step's run is gone: {why}"
    if (
        service.repository.mark_expired(record, said)
        if decided
        else service.repository.decide(record, vocab.EXPIRED, actor="system", note=said)
    ):
        publish_decided(incident_id, record)
    job = JobRepository().get(job_id)
    if JobRepository().update(
        job,
        status=FAILED,
        error=error,
        result={**(job.result or {}), "error_phrase": error_phrase},
        current_node=None,
        correlation_key=None,
        sweep=None,
        sweep_since=None,
        expected_status=("pending", "running", "parked"),
    ):
        note(job, "JobFailed", f"run ended: {why}; nothing more ran", outcome="lost", error_phrase=error_phrase)
    raise ConflictError(
        f"job {job_id} no longer runs: {why}; nothing ran. Replay it: POST /api/jobs/{job_id}/replay",
        details=[{"job_id": job_id, "status": vocab.EXPIRED}],
    )
