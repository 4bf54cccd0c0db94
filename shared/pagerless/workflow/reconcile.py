"""After a restart of the embedded runtime, give every interrupted incident its workflow back.

moto cannot persist Step Functions executions, so a restart ends them. On start the reconciler
reads every incident whose status says the workflow was under way and starts a new execution
that resumes at the right step (the ASL's ``Resume`` choice), never one that would run a fix
twice:

| status | resumes at |
|---|---|
| open, a root not flapping | the start (the workflow may never have run) |
| open, a root flapping | the start after what is left of the settle wait (`workflow.flapping`) |
| open, a correlated child | nothing (intake starts no workflow for them) |
| diagnosing, no proposal yet | GatherContext (diagnosis only reads) |
| diagnosing, proposal stored | its route: Remediate (auto), RequestApproval (approval), Notify |
| awaiting_approval, pending | RequestApproval on the same approval: a fresh wait, a new `approval.requested` job |
| awaiting_approval, decided | Remediate (approved) / the rejected or timed-out outcome |
| remediating, action recorded | verification if it succeeded, else escalation (the action is not run again) |
| remediating, nothing recorded | escalation: the action may have run; a person checks (it is not run again) |
| verifying | verification, from its first check |
| diagnosed, escalated, resolved | nothing (the workflow had ended; a person moves next) |

An outcome the reconciler applies itself (an escalation, a decided approval's) is tried again when AWS fails it for a
moment, as a Task state's Retry would (`_apply`): the next restart would find it escalated and leave it unsaid. The
retry is scheduled (``later``: a timer thread), not slept for: the pass goes on to the other incidents, escalations
and held pages at once, and the retry runs once, after the attempt that failed.

Every page quiet hours held back and not yet released, of an incident not resolved, is released anew
(`pagerless.oncall.held.resume`): when the quiet hours end, at once if they ended meanwhile.

Every escalation still paging (`pagerless.oncall.engine.resume`) gets a new execution that pages the
step after the last one it paged when that step falls due, at once if it is overdue; they are read
from the system table's sparse `sweeps` index, which holds only running escalations
(`EscalationRepository.running`, docs/writes.md).
"""

import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain.approvals import APPROVED, EXPIRED, PENDING, REJECTED
from pagerless.domain.incidents import IncidentStatus as S
from pagerless.observability import logger
from pagerless.store import incident_reads
from pagerless.store.approvals import ApprovalRepository
from pagerless.store.incident_updates import set_execution
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow import outcomes
from pagerless.workflow.executions import execution_arn
from pagerless.workflow.flapping import reopen_run, settle_wait
from pagerless.workflow.remediate import timings

RESUMABLE = (S.OPEN, S.DIAGNOSING, S.AWAITING_APPROVAL, S.REMEDIATING, S.VERIFYING)
INTERRUPTED = "the workflow was interrupted by a restart while the action ran; it is not run again: check the workload"


Later = Callable[[float, Callable[[], None]], None]


def after(delay_seconds: float, run: Callable[[], None]) -> None:
    """Run ``run`` on a daemon timer thread ``delay_seconds`` from now (a retry the reconciler does not wait for)."""
    timer = threading.Timer(delay_seconds, run)
    timer.daemon = True
    timer.name = "reconcile-retry"
    timer.start()


def reconcile(sfn=None, *, later: Later = after) -> list[dict]:
    """Resume the workflow of every interrupted incident; returns what was done for each. ``later(delay, run)``
    schedules the retry of an outcome AWS failed for a moment (`_apply`)."""
    machine = settings.workflow().incident_state_machine_arn
    if not machine:
        return []
    sfn = sfn or step_functions.client()
    done = []
    for incident in incident_reads.in_statuses(s.value for s in RESUMABLE):
        if not _had_workflow(incident):
            continue
        try:
            done.append(resume(incident, machine, sfn, later))
        except Exception as exc:  # one incident must not stop the others
            logger().exception("could not resume the workflow", extra={"incident_id": incident.id})
            done.append({"incident_id": incident.id, "resume": "failed", "error": type(exc).__name__})
    return done + _resume_escalations(sfn) + _resume_held_pages(sfn)


def _resume_escalations(sfn) -> list[dict]:
    """Every escalation still paging gets an execution that pages its next step when it falls due
    (after the incidents' own workflows: one resumed from the start finds its escalation running)."""
    from pagerless.oncall import engine
    from pagerless.store.escalations import EscalationRepository

    if not settings.workflow().escalation_state_machine_arn:
        return []
    done = []
    for record in EscalationRepository().running():
        try:
            done.append({"incident_id": record.incident_id, **engine.resume(record, sfn=sfn)})
        except Exception as exc:  # one escalation must not stop the others
            logger().exception("could not resume the escalation", extra={"incident_id": record.incident_id})
            done.append(
                {
                    "incident_id": record.incident_id,
                    "escalation": record.sk,
                    "resume": "failed",
                    "error": type(exc).__name__,
                }
            )
    return done


def _resume_held_pages(sfn) -> list[dict]:
    """Every page quiet hours held back and not yet sent or withheld, of an incident not resolved, is released
    anew (`oncall.held.resume`): its wait ended with the restart, and the page would never be sent."""
    from pagerless.oncall import held
    from pagerless.store.escalations import EscalationRepository

    if not settings.workflow().escalation_state_machine_arn:
        return []
    done = []
    for incident in incident_reads.in_statuses(s.value for s in S if s != S.RESOLVED):
        for record in EscalationRepository().for_incident(incident.id):
            try:
                started = held.resume(record, sfn=sfn)
            except Exception as exc:  # one escalation must not stop the others
                logger().exception("could not release a held page anew", extra={"incident_id": incident.id})
                done.append({"incident_id": incident.id, "held_release": "failed", "error": type(exc).__name__})
                continue
            done += [{"incident_id": incident.id, "held_release": name} for name in started]
    return done


def _had_workflow(incident: IncidentRecord) -> bool:
    """Whether ``incident`` had a workflow to interrupt. Only a workflow moves an incident past
    ``open``; an open one has one only if intake starts one for it: a root (a flapping one's waits
    for its alert to settle; one reopened by a version that started none for a flap gets one too:
    its alert has fired since)."""
    return incident.status != S.OPEN.value or incident.parent_id is None


def plan(incident: IncidentRecord, now: datetime | None = None) -> dict:
    """The execution input that resumes ``incident`` (``resume`` absent: from the start), or an outcome."""
    status, proposal = S(incident.status), incident.proposal or {}
    base = {"incident_id": incident.id, "workspace": incident.workspace}
    if status == S.OPEN:
        return {**base, **settle_wait(incident, now or utcnow())}
    if status == S.DIAGNOSING:
        route = proposal.get("route")
        if not route:
            return {**base, "resume": "gather_context"}
        step = {"auto": "remediate", "approval": "request_approval"}.get(route, "notify")
        return {**base, "resume": step, "proposal": _proposal_state(proposal)}
    if status == S.AWAITING_APPROVAL:
        approval = ApprovalRepository().latest(incident.id)
        if approval is None or approval.status == PENDING:
            return {
                **base,
                "resume": "request_approval",
                "proposal": _proposal_state(proposal),
                "resume_approval": approval.approval_id if approval else None,
            }
        if approval.status == APPROVED:
            return {**base, "resume": "remediate"}
        return {**base, "outcome": {REJECTED: "approval_rejected", EXPIRED: "approval_timed_out"}[approval.status]}
    if status == S.REMEDIATING:
        applied = _applied(incident)
        if applied is None:
            return {**base, "outcome": "escalate", "reason": INTERRUPTED}
        if applied.get("status") != "succeeded" or not incident.verification:
            return {
                **base,
                "outcome": "escalate",
                "reason": f"{applied.get('action', 'the action')} ended {applied.get('status')} before a restart",
            }
        return {**base, "resume": "verify", "remediation": timings(None, None)}
    return {**base, "resume": "verify", "remediation": timings(None, None)}  # verifying


def resume(incident: IncidentRecord, machine: str, sfn, later: Later = after) -> dict:
    step = plan(incident)
    outcome = step.pop("outcome", None)
    if outcome is not None:
        applied = _apply(incident, outcome, step.get("reason", ""), later)
        logger().info(
            "workflow outcome applied after a restart" if applied else "workflow outcome to be tried again",
            extra={"incident_id": incident.id, "outcome": outcome},
        )
        done = {"incident_id": incident.id, "status": incident.status, "outcome": outcome}
        return done if applied else {**done, "retry": "scheduled"}
    step.pop("reason", None)
    name = f"{_run_of(incident)}-resume-{uuid.uuid4().hex[:8]}"[:80]
    set_execution(incident.id, execution_arn(name, machine))  # the incident is the new execution's from its first step
    sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(step))
    at = step.get("resume", "settle" if "settle_seconds" in step else "start")  # a flap's run waits to settle
    logger().info("workflow resumed after a restart", extra={"incident_id": incident.id, "resume": at})
    return {"incident_id": incident.id, "status": incident.status, "resume": at}


def _apply(
    incident: IncidentRecord, outcome: str, reason: str, later: Later, attempt: int = 1, attempts: int = 3
) -> bool:
    """Apply the outcome ``plan`` found; False when AWS failed it for a moment (`sdk_unavailable`, past botocore's
    own retries) and it is tried again later, as a Task state's Retry would: ``later`` runs the next attempt after
    0.5 s, then 1 s (up to ``attempts`` in all), on another thread. A retry that finds the incident escalated by an
    attempt that died after the move says the escalation once (`outcomes.escalate`)."""
    from pagerless.store.throttling import sdk_unavailable

    try:
        if outcome == "escalate":
            outcomes.escalate(incident.id, incident.workspace, reason)
        else:
            getattr(outcomes, outcome)(incident.id, incident.workspace)
        return True
    except Exception as exc:
        if attempt == attempts or sdk_unavailable(exc) is None:
            raise
    later(0.5 * attempt, lambda: _retry(incident, outcome, reason, later, attempt + 1, attempts))
    return False


def _retry(incident: IncidentRecord, outcome: str, reason: str, later: Later, attempt: int, attempts: int) -> None:
    """A scheduled attempt of `_apply`: nobody waits for it, so its failure is logged."""
    try:
        if _apply(incident, outcome, reason, later, attempt, attempts):
            logger().info("workflow outcome applied after a restart", extra={"incident_id": incident.id})
    except Exception:
        logger().exception("could not apply the workflow outcome", extra={"incident_id": incident.id})


def _run_of(incident: IncidentRecord) -> str:
    """The run the incident was in, which its resume continues: ``<id>-r<n>`` for a reopen's run
    (so a reopen interrupted before its escalation started still pages its own generation), else
    ``<id>``; for an open flap, the reopen run its settle run continues (`flapping.reopen_run`)."""
    if incident.flapping and incident.status == S.OPEN.value and incident.parent_id is None:
        return reopen_run(incident)
    current = (incident.execution_arn or "").rsplit(":", 1)[-1]
    match = re.match(rf"{re.escape(incident.id)}-r(\d+)", current)
    return f"{incident.id}-r{match.group(1)}" if match else incident.id


def _proposal_state(proposal: dict) -> dict:
    return {
        "route": proposal.get("route"),
        "approval_timeout_seconds": int(proposal.get("approval_timeout_seconds") or 3600),
    }


def _applied(incident: IncidentRecord) -> dict | None:
    """The workflow's record of the current plan's action, if it ran (remediate writes it after running)."""
    plan_json = (incident.proposal or {}).get("plan")
    for record in reversed(incident.actions or []):
        if record.get("source") == "workflow" and (plan_json is None or record.get("plan") == plan_json):
            return {**record, "action": (record.get("plan") or {}).get("action", {}).get("action")}
    return None
