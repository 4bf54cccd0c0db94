"""The scheduled safety net (`approval-sweep`) for decisions recorded and never sent: a decider
(chat card, console, API) records the decision first and sends it to the task token after; a
process that dies in between (Lambda timeout, crash, OOM) leaves the approval approved or rejected
while the workflow waits on, until its approval timeout. Step Functions invokes RequestApproval
again only when that Lambda's own answer was lost (``approval_tokens.wait_again``), so nothing else
would deliver it.

The write that records the decision marks it undelivered (the approvals table's sparse
``undelivered`` index); every decision still marked longer than the grace
(`PAGERLESS_WORKFLOW_APPROVAL_DELIVERY_GRACE_SECONDS`, longer than any decider's Lambda may run) is
claimed (its mark stamped anew, one conditional write) and sent here to the token its record
holds, as its decider would have sent it, and what the decider
does after the send follows: the timeline entry and the cards (``tell_decided``) or the runbook
job's wake (``wake``), and the decision's audit record, whose actor is the person who decided and
which says the sweep delivered it (``decision_audit``), each written once whoever does it first,
so a decider that was merely slow adds nothing. A token Step Functions refuses follows
``approval_tokens``' rules: near the deadline the wait timed out and the approval is marked
expired (the audit log says so, naming who had decided: ``decision_audit.record_expired``), unless
the execution's history says the task took a decision (its decider died after its send, before it
cleared the mark: a used token is refused as a timed-out one is); well before, the decision stands (the
workflow took it already, or the attempt that waits now takes it from the record) and is told as
above. Step Functions refuses a token another sender's decision used as it refuses one whose wait
timed out, so the claim is what tells them apart: a decider whose send is refused after the sweep's
finds its own mark gone and leaves the decision standing, never marking it expired. A decision Step
Functions did not take stays marked for the next sweep."""

from datetime import datetime, timedelta

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval
from pagerless.incidents import approval_tokens, decision_audit, timeline
from pagerless.observability import logger
from pagerless.store.approvals import ApprovalRepository


def sweep(sfn=None, now: datetime | None = None) -> list[dict]:
    """Send every decision recorded and left undelivered past the grace; what was done for each."""
    now = now or utcnow()
    grace = timedelta(seconds=settings.workflow_timing().approval_delivery_grace_seconds)
    repository = ApprovalRepository()
    sfn = sfn or step_functions.client()
    done = []
    for record in repository.undelivered(before=now - grace):
        entry = {"incident_id": record.incident_id, "approval_id": record.approval_id, "decision": record.status}
        try:
            entry["delivered"] = _deliver(record, repository, sfn)
        except Exception as exc:  # one approval must not stop the others; the next sweep tries again
            logger().exception("could not deliver the decision", extra={"approval_id": record.approval_id})
            entry.update(delivered="failed", error=type(exc).__name__)
        done.append(entry)
    return done


def _deliver(record: Approval, repository: ApprovalRepository, sfn) -> str:
    """``sent``, ``expired`` (the wait had timed out), ``refused`` (an attempt that waits now takes it
    from the record), ``not sent`` (the next sweep tries again) or ``taken over`` (someone else wrote
    first: see ``ApprovalRepository.claim``)."""
    if record.status not in (vocab.APPROVED, vocab.REJECTED):
        return "not decided"  # (an older version's leftover; nothing to send)
    if not repository.claim(record):
        return "taken over"  # delivered, expired or handed over meanwhile, or another sweep sends it
    approve = record.status == vocab.APPROVED
    try:
        approval_tokens.deliver(
            record,
            approve=approve,
            actor=record.decided_by or "",
            comment=record.comment or "",
            sfn=sfn,
            repository=repository,
        )
    except approval_tokens.TokenRefused as refused:
        if not approval_tokens.refusal_is_timeout(record, utcnow()) or approval_tokens.took_a_decision(record, sfn):
            # the decision stands (the workflow took it already, its decider having died after its send,
            # or the attempt that waits now takes it from the record): told as its decider tells it, once
            approval_tokens.refused_early(record, repository)
            _tell_decided(record)
            return "refused"
        if not repository.mark_expired(record, f"Step Functions refused the decision: {refused}"):
            return "refused"  # taken over by a retried request meanwhile: the decision stands
        _audit_expired(record, approve)
        _tell_expired(record, approve)
        return "expired"
    except approval_tokens.NotSent as failed:
        logger().warning(
            "the decision did not reach Step Functions; the next sweep tries again",
            extra={"approval_id": record.approval_id, "error": str(failed)},
        )
        return "not sent"
    logger().info(
        "a decision its decider did not send was delivered",
        extra={"incident_id": record.incident_id, "approval_id": record.approval_id, "status": record.status},
    )
    _tell_decided(record)
    return "sent"


def _tell_decided(record: Approval) -> None:
    """What the decider does after its send: each part is written once, whoever comes first."""
    try:
        decision_audit.record_delivered(record)
    except Exception:  # the decision stands; a lost audit record must not keep the timeline and cards from it
        logger().exception("audit write failed", extra={"approval_id": record.approval_id})
    if record.is_runbook_step:
        from pagerless.runbooks.approvals import wake
        from pagerless.store.jobs import JobRepository

        wake(JobRepository().get(record.proposal["job_id"]), record)
        return
    from pagerless.store.incidents import IncidentRepository
    from pagerless.workflow.approval_notices import tell_decided

    tell_decided(IncidentRepository().get(record.incident_id, record.workspace), record)


def _audit_expired(record: Approval, approve: bool) -> None:
    """The audit log says who had decided, that the decision was never delivered, and that the approval expired."""
    try:
        decision_audit.record_expired(record, approved=approve)
    except Exception:  # the approval is expired either way; a lost audit record must not keep the timeline from it
        logger().exception("audit write failed", extra={"approval_id": record.approval_id})


def _tell_expired(record: Approval, approve: bool) -> None:
    """The cards lose their buttons; an incident's copy of the approval says expired, and its timeline
    that the decision came too late."""
    if record.is_runbook_step:
        from pagerless.runbooks.approvals import publish_decided

        job_id = record.proposal["job_id"]
        publish_decided(None if record.incident_id == job_id else record.incident_id, record)
        return
    from pagerless.store.incidents import IncidentRepository
    from pagerless.workflow.approval_notices import publish_decided
    from pagerless.workflow.incidents import update

    incident = IncidentRepository().get(record.incident_id, record.workspace)
    if (incident.approval or {}).get("approval_id") == record.approval_id:  # the workflow copied it as decided
        incident = update(incident, approval={**record.to_public(), "proposal": None})
    publish_decided(incident, record)
    timeline.record(
        incident,
        "approval_expired",
        f"{record.decider_label()}'s {'approval' if approve else 'rejection'} reached the workflow after "
        "the approval had timed out",
        actor=record.decided_by,
        actor_name=record.decided_by_name or "",
        data={"approval_id": record.approval_id},
    )
