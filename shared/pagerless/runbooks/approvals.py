"""Per-step approval of a runbook run, on the same approvals table, service and chat cards as incidents.

A step's approval record lives under the run's incident (so its chat card is the incident's card,
and the card's buttons reach ``ApprovalService.decide`` with the incident id) or, for a run
without an incident, under the job id. Its proposal says ``"kind": "runbook_step"``; the decision
is the same conditional write, and the task token goes back to Step Functions exactly once.
The approver is shown the step's own server-side dry run (its diff), never the incident's
proposal's. While it waits the job is ``parked`` with the approval id as its correlation key. The decision
itself is the approval service's (``pagerless.workflow.runbook_steps``). A step has one approval
per run: a request Step Functions invokes again (Lambda lost its answer) finds the pending one
and moves it onto the new attempt's token, so the cards already sent stay the ones that decide;
one decided in between has its decision handed to the new token (``approval_tokens.wait_again``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from pagerless.clock import utcnow
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval
from pagerless.domain.phrases import Phrase
from pagerless.incidents.approval_tokens import wait_again
from pagerless.incidents.notices import publish
from pagerless.remediation.reasons import reason, refused_step, render
from pagerless.store.approvals import ApprovalRepository
from pagerless.store.jobs import PARKED, RUNNING, WAIT, JobRecord, JobRepository

KIND = vocab.RUNBOOK_STEP


def is_step(record: Approval | None) -> bool:
    return record is not None and record.is_runbook_step


def request(job_id: str, *, task_token: str, execution_arn: str, timeout_seconds: int) -> dict:
    """Store the token with the planned step; the job is parked until a decision or the timeout."""
    from pagerless.runbooks.job_state import current_step, load, note, runbook_of

    job = load(job_id)
    step = current_step(job)
    plan = job.state["pending"]
    asked = _asked_for_step(job)
    if asked is not None:
        # Step Functions invoked the step again (Lambda lost its answer): the step keeps its one
        # approval, which now answers the new attempt's token; decided meanwhile, its decision does
        status = wait_again(
            asked,
            task_token=task_token,
            execution_arn=execution_arn,
            expires_at=utcnow() + timedelta(seconds=int(timeout_seconds)),
        )
        if status == vocab.PENDING:
            if job.status != PARKED or job.correlation_key != asked.approval_id:
                # the earlier attempt was cut short before it parked the job
                _park(job, step, asked)
                _wake_if_decided(job, asked)
            return {"approval_id": asked.approval_id}
        if status != vocab.EXPIRED:
            # the decider's process may have ended before it told the job: then this does
            wake(job, asked)
            return {"approval_id": asked.approval_id, "handed_over": status}
    checked, refusal = _dry_run(job, step.name, plan)
    # a step the policy now refuses says so on its cards, in their language, before anyone decides
    card_reason = refusal or reason("runbook_step", runbook=runbook_of(job).name, step=step.name)
    now = utcnow()
    record = ApprovalRepository().create(
        Approval(
            job.incident_id or job.job_id,
            vocab.approval_key(now, uuid.uuid4().hex[:8]),
            workspace=job.workspace,
            requested_at=now,
            expires_at=now + timedelta(seconds=int(timeout_seconds)),
            timeout_seconds=int(timeout_seconds),
            execution_arn=execution_arn,
            task_token=task_token,
            proposal={
                "kind": KIND,
                "job_id": job.job_id,
                "runbook_id": runbook_of(job).id,
                "step": step.name,
                "step_index": job.state["index"],
                "action": plan["action"]["action"],
                "plan": plan,
                "reason": plan["reason"],
                "risk": plan["risk"],
                "blast_radius": plan["blast_radius"],
                "decision": {"rule": job.state.get("rule")},
                "dry_run": checked,
                "card_reason": render(card_reason, "en"),
                "card_reason_phrase": card_reason.model_dump(mode="json"),
            },
        )
    )
    _park(job, step, record)
    note(
        job,
        "JobParked",
        f"{step.name}: waiting for approval of {plan['action']['action']}",
        node=step.name,
        correlation_key=record.approval_id,
        expires_at=record.expires_at.isoformat(),
    )
    if job.incident_id:
        from pagerless.store.incidents import IncidentRepository

        publish(
            "approval.requested",
            IncidentRepository().get(job.incident_id),
            generation=record.approval_id,
            data={"approval_id": record.approval_id, "expires_at": record.expires_at.isoformat(), **_card(record)},
        )
    _wake_if_decided(job, record)
    return {"approval_id": record.approval_id}


def _park(job: JobRecord, step, record: Approval) -> None:
    from pagerless.runbooks.job_state import JobFinishedError

    if not JobRepository().update(
        job,
        status=PARKED,
        correlation_key=record.approval_id,
        current_node=step.name,
        sweep=WAIT,  # the approval sweep ends the wait if the run is lost before its timeout does
        sweep_since=record.expires_at,
        expected_status=(RUNNING, PARKED),  # parked: a retried invocation of this step
    ):
        # Stopped while the approval was being requested: the stop stands, nobody is asked.
        expire(job, record.approval_id, note=f"the job was {job.status} before its approval was requested")
        raise JobFinishedError(f"job {job.job_id} is {job.status}")


def _wake_if_decided(job: JobRecord, asked: Approval) -> None:
    """The job is parked on ``asked`` now; a decision made before it was (the approval is stored, and
    listed, a moment earlier) found no wait to end, so its ``wake`` changed nothing: it is told here.
    ``wake`` is one conditional write on the parked job, so when the decider comes after the park,
    it and this both try and the job's ``SignalReceived`` is written once either way."""
    decided = ApprovalRepository().get(asked.incident_id, asked.approval_id)
    if decided is not None and decided.status in (vocab.APPROVED, vocab.REJECTED):
        wake(job, decided)


def _asked_for_step(job: JobRecord) -> Approval | None:
    """The latest approval an earlier attempt requested for the run's current step, if any."""
    index = job.state["index"]
    for record in reversed(ApprovalRepository().for_incident(job.incident_id or job.job_id, consistent=True)):
        proposal = record.proposal or {}
        if is_step(record) and proposal.get("job_id") == job.job_id and proposal.get("step_index") == index:
            return record
    return None


def step_decision(job: JobRecord) -> Approval | None:
    """The run's current step's approval once it is decided (approved or rejected). The decision is
    written there before anything else, so it names who decided even when the decider's process
    ended before it told the job (a retried request then handed the decision over): the step takes
    its approver, and a rejection its rejecter, from here."""
    asked = _asked_for_step(job)
    return asked if asked is not None and asked.status in (vocab.APPROVED, vocab.REJECTED) else None


def wake(job: JobRecord, record: Approval) -> bool:
    """The job, parked on ``record``, stops waiting now that it is decided; its event, the incident's
    timeline and the step's cards say who decided. Done once, by whoever moves the job off the wait
    first (a conditional write): the decider, the retried request that handed the decision over, the
    approval sweep that delivered it, or the request that parked the job after the decision came."""
    if not JobRepository().update(
        job,
        status=RUNNING,
        correlation_key=None,
        sweep=None,
        sweep_since=None,
        expected_status=(PARKED,),
        expected_correlation_key=record.approval_id,
    ):
        return False
    approve = record.status == vocab.APPROVED
    actor, comment, step = record.decided_by or "", record.comment or "", record.proposal["step"]
    JobRepository().add_event(
        job,
        "SignalReceived",
        node=step,
        correlation_key=record.approval_id,
        payload={"approved": approve, "by": actor, "comment": comment or None},
    )
    if job.incident_id:
        from pagerless.incidents import timeline
        from pagerless.store.incidents import IncidentRepository

        verb = "approved" if approve else "rejected"
        timeline.record(
            IncidentRepository().get(job.incident_id),
            "runbook_step",
            f"{actor} {verb} runbook step {step}" + (f": {comment}" if comment else ""),
            actor=actor,
            data={
                "job_id": job.job_id,
                "approval_id": record.approval_id,
                "event": verb,
                "node": step,
                **({"comment": comment} if comment else {}),
            },
        )
        publish_decided(job.incident_id, record)
    return True


def _dry_run(job: JobRecord, step: str, plan: dict) -> tuple[dict, Phrase | None]:
    """The step's server-side dry run, under the policy's decision for the run (a drain's per-pod rules, and for a run on
    an incident its service scope, as the step's own run is held to): what the approver is shown. A step the policy
    refuses is not sent to the cluster: the preview says why up front (its reason's phrase too, said in Chinese)."""
    from pagerless.kube import cluster
    from pagerless.remediation.actions import ActionPlan
    from pagerless.remediation.executor import dry_run
    from pagerless.remediation.policy import evaluate, evaluate_dry_run
    from pagerless.remediation.policy_phrases import stored
    from pagerless.remediation.workspace_policy import get_policy, policy_context
    from pagerless.runbooks.job_state import policy_scope

    action_plan = ActionPlan.model_validate(plan)
    policy, context = get_policy(job.workspace), policy_context(job.workspace, scope=policy_scope(job))
    permit = evaluate_dry_run(action_plan, policy, context)  # a dry run is not rate-limited nor frozen
    if not permit.allowed:
        refusal, decided = refused_step("step_denied", step, permit), stored(permit)
        preview = {"status": "denied", "message": render(refusal, "en"), "diff": None, "rule": permit.rule}
        return preview | {"reason": decided["reason"], "reason_phrase": decided["reason_phrase"]}, refusal
    decision = evaluate(action_plan, policy, context)
    kube = cluster.connect()
    try:
        checked = dry_run(action_plan, kube, decision)
    finally:
        kube.close()
    return {"status": checked.status, "message": checked.message, "diff": checked.diff}, None


STOPPED_BY = "the job was stopped by "  # the note of a step's approval that its run's stop expired (jobs.service)


def stopped_by(record: Approval) -> str | None:
    """Who stopped the run, when the step's approval expired because of that stop rather than its time."""
    note = record.note or ""
    return note.removeprefix(STOPPED_BY) if record.status == vocab.EXPIRED and note.startswith(STOPPED_BY) else None


def expire(job: JobRecord, key: str | None = None, note: str = "the step's approval timed out") -> None:
    """The step's wait ended without a decision (timeout, stop): a pending record becomes expired."""
    key = key or job.correlation_key
    if not key:
        return
    record = ApprovalRepository().get(job.incident_id or job.job_id, key)
    if (
        record is not None
        and record.status == vocab.PENDING
        and ApprovalRepository().decide(record, vocab.EXPIRED, actor="system", note=note)
    ):
        publish_decided(job.incident_id, record)


def publish_decided(incident_id: str | None, record: Approval) -> None:
    """The step's cards (a run on an incident has some) show the outcome and lose their buttons; they still say the
    step they asked about (its action, reason and diff), where the incident's own proposal would fill them in."""
    if incident_id:
        from pagerless.store.incidents import IncidentRepository

        publish(
            "approval.decided",
            IncidentRepository().get(incident_id),
            generation=record.approval_id,
            data={**_card(record), **record.decided_notice()},
        )


def _card(record: Approval) -> dict:
    """What the step's cards say: its own action, reason and diff, not the incident's proposal's (an approval asked
    before the cards' reason was kept says its step's name)."""
    proposal = record.proposal or {}
    return {
        "action": proposal.get("action"),
        "reason": proposal.get("card_reason") or proposal.get("step"),
        # said in the card's language (`notify.context.shown`); None rather than the incident's proposal's phrase
        "reason_phrase": proposal.get("card_reason_phrase"),
        "rule": (proposal.get("decision") or {}).get("rule"),
        "diff": (proposal.get("dry_run") or {}).get("diff"),
    }
