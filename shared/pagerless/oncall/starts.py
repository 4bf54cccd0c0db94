"""Where the incident workflow and intake start escalations (`engine.start`): the opening of an
incident or its reopen, a raise of its severity, the workflow handing it to humans, an approval
nobody decided. A start Step Functions refuses is said on the timeline and raised, so that the step
(or the delivery) that wanted it is retried; the escalation sweep (`oncall.sweep`) starts what is
left past the retries."""

import hashlib
import re

from pagerless.domain.incidents import IncidentStatus
from pagerless.domain.severity import Severity
from pagerless.incidents import timeline
from pagerless.incidents.escalations import finish as _finish
from pagerless.observability import logger
from pagerless.oncall.engine import (
    ACTOR,
    OPENED,
    EscalationNotStartedError,
    _approval_decided_since,
    _load_incident,
    _paged_cursor,
    start,
)
from pagerless.oncall.policies import Cursor
from pagerless.store.escalations import EscalationRecord, EscalationRepository


def opened_generation(incident_id: str, execution: str | None) -> str:
    """The escalation generation of a workflow run: "1" for the incident's first run (named after the
    incident), "r<n>" for the run a reopen starts (``<incident>-r<n>``, or its resume after a restart,
    ``<incident>-r<n>-resume-<hex>``), so a reopened incident pages again under new delivery ids
    while a retried step of the same run starts nothing twice."""
    match = re.fullmatch(rf"{re.escape(incident_id)}-r(\d+)(?:-resume-[0-9a-f]+)?", execution or "")
    return f"r{match.group(1)}" if match else OPENED


def start_for_opened(incident_id: str, execution: str | None = None) -> dict:
    """The incident workflow's IncidentOpened step: page whoever the incident's policy names.

    A start that fails is said on the timeline (`escalation_failed`) and raised as
    EscalationNotStartedError: the state machine retries the step, whose retry starts the record the
    failed start left; past its retries the workflow goes on and the escalation sweep starts it."""
    incident = _load_incident(incident_id)
    generation = opened_generation(incident_id, execution)
    reason = "incident opened" if generation == OPENED else "incident reopened"
    record = _start_or_raise(incident, generation=generation, reason=reason)
    return {"escalation": record.execution_name if record else None}


def _start_or_raise(incident, **how) -> EscalationRecord | None:
    """`start`, with a failure said on the timeline and raised as EscalationNotStartedError: the
    state machine retries the step (its retry starts the record left without an execution)."""
    try:
        return start(incident, **how)
    except Exception as exc:
        logger().exception("escalation did not start", extra={"incident_id": incident.id})
        timeline.record(incident, "escalation_failed", f"escalation did not start: {type(exc).__name__}", actor=ACTOR)
        raise EscalationNotStartedError(f"escalation of incident {incident.id} did not start") from exc


def start_for_severity_raise(incident) -> dict:
    """Its source raised the incident to a severity that a policy covers (a warning become critical):
    page as its opening would have, under the same generation as its workflow run's opening
    escalation, so a run that already escalates (or whose opening step comes later) pages once. Not
    when someone acknowledged it, nor for a storm's child: its root is the one people are paged for;
    nor while a flap's reopen waits for its alert to settle: its run pages (at the raised severity)
    once it has (`pagerless.workflow.flapping`).

    A start that fails is said on the timeline and raised: the intake's delivery fails, and its retry
    finds the raise's page still due (`raise_page_due`) and starts it."""
    if incident.status == IncidentStatus.RESOLVED.value or incident.acknowledged or incident.parent_id:
        return {"escalation": None}
    if incident.flapping and incident.status == IncidentStatus.OPEN.value:
        return {"escalation": None}
    execution = (incident.execution_arn or "").rsplit(":", 1)[-1] or None
    generation = opened_generation(incident.id, execution)
    try:
        record = start(incident, generation=generation, reason=f"severity raised to {incident.severity}")
    except Exception as exc:
        logger().exception("escalation did not start", extra={"incident_id": incident.id})
        timeline.record(incident, "escalation_failed", f"escalation did not start: {type(exc).__name__}", actor=ACTOR)
        raise
    _release_held(incident)
    return {"escalation": record.execution_name if record else None}


def _release_held(incident) -> None:
    """A raise to critical sends at once the pages the incident's escalations held back by quiet hours (a critical
    page is not held back): they waited for the quiet hours to end, which may be a night away."""
    if incident.severity != Severity.CRITICAL.value:
        return
    from pagerless.oncall import held

    for record in EscalationRepository().for_incident(incident.id):
        held.resume(record, raised_to=incident.severity)


def start_for_workflow_escalation(incident_id: str, reason: str) -> dict:
    """The workflow handed the incident to humans (a fix failed or did not run, a step failed): page
    the policy again from its first step, unless someone acknowledged it or an escalation still runs.
    The paging had stopped when someone decided the approval; they may have gone back to bed
    believing the incident fixed.

    A start that fails raises EscalationNotStartedError (the step is retried; see `start_for_opened`)."""
    incident = _load_incident(incident_id)
    if incident.status == IncidentStatus.RESOLVED.value or incident.acknowledged:
        return {"escalation": None}
    digest = hashlib.sha256(f"{incident.execution_arn}|{reason}".encode()).hexdigest()[:10]
    generation = f"e{digest}"
    # (its own record, left without an execution by a failed start, is the one a retry starts)
    running = [
        r for r in EscalationRepository().for_incident(incident_id) if r.status == "running" and r.sk != generation
    ]
    # one that a decided approval ends at its next tick is over: someone took the incident, and it failed;
    # one whose start stopped before its execution (and was not retried) pages nobody
    over = [
        r
        for r in running
        if not r.execution_arn or (r.kind == "incident" and _approval_decided_since(incident_id, r.started_at))
    ]
    if len(over) < len(running):  # one still paging goes on (and this one, left unstarted, is not swept)
        unstarted = EscalationRepository().get(incident_id, generation)
        if unstarted is not None and not unstarted.execution_arn:
            _finish(unstarted, "ended", "superseded: an escalation still paging goes on")
        return {"escalation": None}
    for record in over:
        why = "after the approval" if record.execution_arn else "and this one never started"
        _finish(record, "ended", f"superseded: the workflow escalated {why}")
    record = _start_or_raise(incident, generation=generation, reason=f"the workflow escalated: {reason}"[:500])
    return {"escalation": record.execution_name if record else None}


def start_for_approval_timeout(incident_id: str, approval_id: str) -> dict:
    """A proposal nobody decided: page the next level of the policy (not the one already paged since
    the incident opened or last reopened: the levels a resolved episode reached do not count).

    A start that fails raises EscalationNotStartedError (the ApprovalTimedOut step is retried, and
    its retry starts this escalation's record, left without an execution; see `start_for_opened`)."""
    incident = _load_incident(incident_id)
    if incident.status == IncidentStatus.RESOLVED.value:
        return {"escalation": None}
    generation = "a" + approval_id.rsplit("#", 1)[-1]
    reached = -1
    for previous in EscalationRepository().for_incident(incident_id):
        if previous.sk == generation:
            continue  # its own, which a failed start left without an execution: the retry starts it
        if not incident.reopened_at or previous.started_at >= incident.reopened_at:  # not a closed episode's
            reached = max([reached, *(_paged_cursor(p["generation"]).step for p in previous.pages or [])])
        _finish(previous, "ended", "superseded: the approval timed out")
    record = _start_or_raise(
        incident,
        generation=generation,
        kind="approval",
        cursor=Cursor(max(reached + 1, 1), 0),
        reason="nobody decided the approval in time",
    )
    return {"escalation": record.execution_name if record else None}
