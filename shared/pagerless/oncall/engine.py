"""The escalation engine: one Step Functions Standard execution per escalation, named
``esc-<incident>-<generation>`` (a repeated start is refused by name), looping tick → choice → wait.

Each tick re-reads the incident, the escalation record and the latest approval, resolves the
step's targets through schedules and overrides at that moment, claims the page with a conditional
write (refused once a stop was written) and only then enqueues the `escalation.page` job.
Acknowledge and resolve write the stop first and then call StopExecution, so a late tick finds the
record stopped and does nothing (``pagerless.incidents.escalations``, which the incident service calls).
"""

import hashlib
import json
import math
import re
import uuid
from datetime import datetime, timedelta

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.domain.severity import Severity
from pagerless.incidents import timeline
from pagerless.incidents.escalations import finish as _finish
from pagerless.observability import logger
from pagerless.oncall import models
from pagerless.oncall.policies import FIRST, Cursor, Policy, following, job_targets
from pagerless.oncall.service import OncallService
from pagerless.outbox.jobs import NotifyJob, enqueue
from pagerless.store.oncall import EscalationRecord, EscalationRepository

ACTOR = "escalation"
OPENED = "1"  # the generation of the escalation an opening incident starts
ESCALATE_SEVERITIES = (Severity.CRITICAL.value, Severity.HIGH.value)  # with no policy match on severity


class EscalationNotStartedError(Exception):
    """Step Functions did not start an escalation (its record waits without an execution). The
    workflow's state machine retries the step on it; past its retries the workflow goes on and the
    scheduled escalation sweep (`pagerless.oncall.sweep`) starts it."""


def execution_name(incident_id: str, generation: str) -> str:
    return f"esc-{incident_id}-{generation}"[:80]


def _load_incident(incident_id: str):
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(incident_id)


def start(
    incident,
    *,
    generation: str,
    kind: str = "incident",
    cursor: Cursor = FIRST,
    reason: str = "",
    service: OncallService | None = None,
    sfn=None,
) -> EscalationRecord | None:
    """Start an escalation for the incident if a policy covers it; None if none does or it already ran.

    A start that stopped between writing the escalation's record and starting its execution (a
    crash, a failed call) left a record without an execution: a later start of the same generation
    (the retried delivery or workflow step, or the escalation sweep) starts it, by the same name and
    input, which Step Functions treats as one start. None therefore always means the escalation was
    started (or has ended): never that another start holds it unstarted."""
    service = service or OncallService()
    policy = service.select_policy(incident.workspace, incident.service, incident.severity)
    arn = settings.workflow().escalation_state_machine_arn
    if policy is None or not arn:
        return None
    cursor = Cursor(min(cursor.step, len(policy.steps) - 1), cursor.repeat)
    record = EscalationRecord(
        f"escalation#{incident.id}",
        generation,
        incident_id=incident.id,
        workspace=incident.workspace,
        kind=kind,
        policy=_policy_doc(service, incident, policy),
        execution_name=execution_name(incident.id, generation),
        cursor={"step": cursor.step, "repeat": cursor.repeat},
        reason=reason,
        started_at=utcnow(),
    )
    repository = EscalationRepository()
    if not repository.create(record):
        record = repository.get(incident.id, generation)
        if record is None or record.status != "running" or record.execution_arn:
            return None  # started (or stopped, ended) already
        policy, cursor = models.to_policy(record.policy), Cursor(**(record.cursor or {"step": 0, "repeat": 0}))
    client = sfn or step_functions.client()
    payload = _input(incident.id, incident.workspace, generation, cursor)
    try:
        response = client.start_execution(stateMachineArn=arn, name=record.execution_name, input=payload)
    except client.exceptions.ExecutionAlreadyExists:  # it ran and ended before its ARN was stored
        repository.set_arn(record, step_functions.execution_arn(arn, record.execution_name))
        return None
    # A failure leaves the record without an execution: the retry starts it (see above).
    if not repository.set_arn(record, response["executionArn"]):
        return None  # a concurrent start of the same escalation stored it first (and says so)
    timeline.record(
        incident,
        "escalation_started",
        f"escalating through policy {policy.name} from step {cursor.step + 1}",
        actor=ACTOR,
        data={"policy_id": policy.id, "generation": generation, "kind": kind},
    )
    return record


def resume(record: EscalationRecord, *, sfn=None, now: datetime | None = None) -> dict:
    """A running escalation whose execution a restart of the embedded runtime ended: a new execution
    that pages the step after the last one paged when it falls due (at once if overdue), or the
    start step if nothing was paged yet. The acknowledge of the incident stops the new execution."""
    now = now or utcnow()
    policy = models.to_policy(record.policy)
    at, wait = Cursor(**(record.cursor or {"step": 0, "repeat": 0})), 0
    if record.pages:
        last = record.pages[-1]
        paged = _paged_cursor(last["generation"])
        at = following(policy, paged)
        if at is None:  # the tick that paged the last step died before it ended the escalation
            EscalationRepository().finish(record, "ended", "the policy ran out of steps")
            return {"escalation": record.sk, "resume": "ended"}
        delay = 0 if _reached_nobody(last) else policy.steps[paged.step].delay_seconds
        due = datetime.fromisoformat(last["at"]) + timedelta(seconds=delay)
        wait = max(0, math.ceil((due - now).total_seconds()))
    name = f"{execution_name(record.incident_id, record.sk)}-resume-{uuid.uuid4().hex[:8]}"[:80]
    machine = settings.workflow().escalation_state_machine_arn
    arn = step_functions.execution_arn(machine, name)
    if not EscalationRepository().hand_over(record, name, arn):
        return {"escalation": record.sk, "resume": "stopped"}
    payload = _input(record.incident_id, record.workspace, record.sk, at, wait_seconds=wait)
    (sfn or step_functions.client()).start_execution(stateMachineArn=machine, name=name, input=payload)
    return {"escalation": record.sk, "resume": f"step {at.step + 1}", "wait_seconds": wait}


def _paged_cursor(page_generation: str) -> Cursor:
    """The step a page paged, from its generation (``<step>-<repeat>``, after ``<generation>:`` but
    for an opening incident's escalation; see `tick`)."""
    step, repeat = page_generation.rsplit(":", 1)[-1].split("-")
    return Cursor(int(step), int(repeat))


def _policy_doc(service: OncallService, incident, policy: Policy) -> dict:
    return service.get_policy(incident.workspace, policy.id)


def _input(incident_id: str, workspace: str, generation: str, cursor: Cursor, **extra) -> str:
    cursor_doc = {"step": cursor.step, "repeat": cursor.repeat}
    doc = {"incident_id": incident_id, "workspace": workspace, "generation": generation, "cursor": cursor_doc}
    return json.dumps({**doc, "failures": 0, **extra})  # failures: ticks that failed after their retries


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
    return {"escalation": record.execution_name if record else None}


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
    the incident opened or last reopened: the levels a resolved episode reached do not count)."""
    incident = _load_incident(incident_id)
    if incident.status == IncidentStatus.RESOLVED.value:
        return {"escalation": None}
    reached = -1
    for previous in EscalationRepository().for_incident(incident_id):
        if not incident.reopened_at or previous.started_at >= incident.reopened_at:  # not a closed episode's
            reached = max([reached, *(_paged_cursor(p["generation"]).step for p in previous.pages or [])])
        _finish(previous, "ended", "superseded: the approval timed out")
    generation = "a" + approval_id.rsplit("#", 1)[-1]
    record = start(
        incident,
        generation=generation,
        kind="approval",
        cursor=Cursor(max(reached + 1, 1), 0),
        reason="nobody decided the approval in time",
    )
    return {"escalation": record.execution_name if record else None}


def tick(incident_id: str, workspace: str, generation: str, cursor: dict) -> dict:
    """One pass of the loop: check, page the current step, say how long to wait for the next."""
    repository = EscalationRepository()
    record = repository.get(incident_id, generation)
    if record is None or record.status != "running":
        return _done(record.status if record else "missing")
    incident = _load_incident(incident_id)
    why = _why_stop(incident, record)
    if why is not None:
        status, reason = why
        _finish(record, status, reason, stop_execution=False)  # this execution ends by itself
        return _done(status)
    service = OncallService()
    policy = models.to_policy(record.policy)
    at = Cursor(int(cursor["step"]), int(cursor["repeat"]))
    now = utcnow()
    resolved = service.resolve_step(workspace, policy, at.step, now, critical=incident.severity == Severity.CRITICAL)
    targets = job_targets(resolved)
    held = [p for r in resolved for p in r.held]
    page_generation = f"{at.step}-{at.repeat}" if generation == OPENED else f"{generation}:{at.step}-{at.repeat}"
    page = {"generation": page_generation, "at": now.isoformat(), "targets": targets, "held": held}
    retried = next((p for p in record.pages or [] if p["generation"] == page_generation), None)
    if retried is not None:  # a retried tick: send the claimed page again (same generation, deduplicated)
        targets, held = retried["targets"], retried["held"]
    elif not repository.claim_page(record, page):
        return _done("stopped")
    if targets:
        enqueue(
            NotifyJob(
                workspace=workspace,
                event="escalation.page",
                incident_id=incident_id,
                generation=page_generation,
                targets=targets,
                data={
                    "step": at.step + 1,
                    "repeat": at.repeat,
                    "policy_id": policy.id,
                    "policy_name": policy.name,
                    "title": incident.title,
                    "severity": incident.severity,
                    "service": incident.service,
                    "kind": record.kind,
                    "escalation": record.execution_name,
                },
            )
        )
    nxt = following(policy, at)
    who = ", ".join(t["id"] for t in targets) or "nobody reachable"
    gap = _reached_nobody(page if retried is None else retried)
    timeline.record(
        incident,
        "escalation_paged",
        f"step {at.step + 1} paged: {who}"
        + (f" (held back by quiet hours: {', '.join(held)})" if held else "")
        + (f"; step {nxt.step + 1} is paged at once" if gap and nxt is not None else ""),
        actor=ACTOR,
        data={"generation": page_generation, "targets": targets, "held": held},
    )
    if nxt is None:
        repository.finish(record, "ended", "the policy ran out of steps")
        return _done("exhausted")
    wait = 0 if gap else policy.steps[at.step].delay_seconds
    return {"next": "wait", "wait_seconds": wait, "step": nxt.step, "repeat": nxt.repeat}


def _replaced(record: EscalationRecord, incident) -> bool:
    """Whether the incident's reopen has an escalation of its own: one started since, or one its new
    workflow is starting (intake restarts a reopened root incident's workflow). A child's reopen
    starts none, and a flap's starts one only once its alert has settled (which clears `flapping`):
    until then this one goes on paging."""
    if not incident.flapping and not incident.parent_id:
        return True
    return any(
        other.sk != record.sk and other.started_at >= incident.reopened_at and _started_or_starting(other)
        for other in EscalationRepository().for_incident(record.incident_id)
    )


def _started_or_starting(record: EscalationRecord) -> bool:
    """Whether the escalation has an execution or its start may still be under way: one whose start
    failed past that pages nobody (until the escalation sweep starts it) and replaces nothing."""
    if record.execution_arn:
        return True
    grace = timedelta(seconds=settings.workflow_timing().escalation_start_grace_seconds)
    return record.status == "running" and utcnow() - record.started_at < grace


def _reached_nobody(page: dict) -> bool:
    """A step that paged nobody (a schedule with nobody on call) is not waited on: waiting its delay
    would leave the incident with nobody paged. Persons held back by quiet hours were reached on purpose."""
    return not page["targets"] and not page["held"]


def _why_stop(incident, record: EscalationRecord) -> tuple[str, str] | None:
    if incident.status == IncidentStatus.RESOLVED.value:
        return "ended", "the incident was resolved"
    if incident.reopened_at and record.started_at < incident.reopened_at and _replaced(record, incident):
        # resolved (by its source or the workflow: no stop was written) and reopened before this tick;
        # the reopen's run pages under its own generation, so this one would page everybody twice
        return "ended", "the incident was resolved; its reopen escalates anew"
    if incident.acknowledged:
        return "stopped", f"acknowledged by {incident.acknowledged_by}"
    if record.kind == "incident" and _approval_decided_since(incident.id, record.started_at):
        return "stopped", "a person decided the approval"
    return None


def _approval_decided_since(incident_id: str, since) -> bool:
    from pagerless.store.approvals import ApprovalRepository

    latest = ApprovalRepository().latest(incident_id)
    return bool(
        latest and latest.status in ("approved", "rejected") and latest.decided_at and latest.decided_at >= since
    )


def _done(reason: str) -> dict:
    return {"next": "stop", "wait_seconds": 0, "step": 0, "repeat": 0, "reason": reason}


def status_of(incident_id: str) -> list[dict]:
    """Every escalation of an incident, newest first (for the API)."""
    return [
        {
            "generation": r.sk,
            "kind": r.kind,
            "status": r.status,
            "policy_id": (r.policy or {}).get("id"),
            "execution_name": r.execution_name,
            "pages": r.pages or [],
            "reason": r.reason,
            "started_at": r.started_at.isoformat(),
            "ended_at": r.ended_at.isoformat() if r.ended_at else None,
        }
        for r in sorted(EscalationRepository().for_incident(incident_id), key=lambda r: r.started_at, reverse=True)
    ]
