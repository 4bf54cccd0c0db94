"""The escalation engine: one Step Functions Standard execution per escalation, named
``esc-<incident>-<generation>`` (a repeated start is refused by name), looping tick → choice → wait.

Each tick re-reads the incident, the escalation record and the latest approval, resolves the
step's targets through schedules and overrides at that moment, claims the page with a conditional
write (refused once a stop was written) and only then enqueues the `escalation.page` job.
Acknowledge and resolve write the stop first and then call StopExecution, so a late tick finds the
record stopped and does nothing (``pagerless.incidents.escalations``, which the incident service calls).
Where the workflow and intake start escalations (opening, raise, hand-over, approval timeout): `oncall.starts`.
"""

import json
import math
import uuid
from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.domain.severity import Severity
from pagerless.incidents import timeline
from pagerless.incidents.escalations import finish as _finish
from pagerless.observability import logger
from pagerless.oncall import models
from pagerless.oncall.paged import paged_line
from pagerless.oncall.paged import reached_nobody as _reached_nobody
from pagerless.oncall.policies import FIRST, Cursor, Policy, following, job_targets
from pagerless.oncall.resolution import resolve_step
from pagerless.oncall.service import OncallService
from pagerless.outbox.jobs import NotifyJob, enqueue
from pagerless.store.escalations import EscalationRecord, EscalationRepository

ACTOR = "escalation"
OPENED = "1"  # the generation of the escalation an opening incident starts
ESCALATE_SEVERITIES = (Severity.CRITICAL.value, Severity.HIGH.value)  # with no policy match on severity


class EscalationNotStartedError(Exception):
    """Step Functions did not start an escalation (its record waits without an execution). The
    workflow's state machine retries the step on it; past its retries the workflow goes on and the
    scheduled escalation sweep (`pagerless.oncall.sweep`) starts it."""


def execution_name(incident_id: str, generation: str) -> str:
    return step_functions.fitting_name(f"esc-{incident_id}-{generation}")


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


def resume(
    record: EscalationRecord,
    *,
    sfn=None,
    now: datetime | None = None,
    why: str = "resume",
    from_arn: str | None = None,
) -> dict:
    """A running escalation whose execution a restart of the embedded runtime ended: a new execution
    that pages the step after the last one paged when it falls due (at once if overdue, or if that page reached
    nobody), or the start step if nothing was paged yet. The acknowledge of the incident stops the new execution.
    Refused (``stopped``) if the escalation stopped or paged again since ``record`` was read, or (``from_arn``)
    was handed from that execution to another meanwhile."""
    now = now or utcnow()
    last = (record.pages or [None])[-1]
    if last is not None and record.unqueued != last["generation"]:  # queued: said once, if its tick died before
        say_paged(_load_incident(record.incident_id), record, last)
    at, due = next_step(record)
    if at is None:  # the tick that paged the last step died before it ended the escalation
        EscalationRepository().finish(record, "ended", "the policy ran out of steps")
        return {"escalation": record.sk, "resume": "ended"}
    wait = max(0, math.ceil((due - now).total_seconds())) if record.pages else 0
    name = step_functions.fitting_name(f"esc-{record.incident_id}-{record.sk}-{why}-{uuid.uuid4().hex[:8]}")
    machine = settings.workflow().escalation_state_machine_arn
    arn = step_functions.execution_arn(machine, name)
    pages = len(record.pages or [])
    if not EscalationRepository().hand_over(record, name, arn, pages=pages, from_arn=from_arn, resumed=why == "sweep"):
        return {"escalation": record.sk, "resume": "stopped"}
    payload = _input(record.incident_id, record.workspace, record.sk, at, wait_seconds=wait)
    (sfn or step_functions.client()).start_execution(stateMachineArn=machine, name=name, input=payload)
    return {"escalation": record.sk, "resume": f"step {at.step + 1}", "wait_seconds": wait}


def next_step(record: EscalationRecord) -> tuple[Cursor | None, datetime]:
    """The step the escalation pages next (None: the policy ran out of steps with the last page) and when it falls
    due: the last one paged again, when it was, if its page was never queued (`EscalationRecord.unqueued`); else
    the step after the last one paged, that step's delay after its page (at once if that page reached nobody);
    the step it started at, when it started, if nothing was paged yet."""
    if not record.pages:
        return Cursor(**(record.cursor or {"step": 0, "repeat": 0})), record.started_at
    policy = models.to_policy(record.policy)
    last = record.pages[-1]
    paged = _paged_cursor(last["generation"])
    if record.unqueued == last["generation"]:  # claimed by a tick that died before it queued the page: page it
        return paged, datetime.fromisoformat(last["at"])
    at = following(policy, paged)
    if at is None:
        return None, datetime.fromisoformat(last["at"])
    delay = 0 if _reached_nobody(last) or _unreachable(record, last) else policy.steps[paged.step].delay_seconds
    return at, datetime.fromisoformat(last["at"]) + timedelta(seconds=delay)


def skip_ahead(record: EscalationRecord, *, sfn=None) -> dict | None:
    """The escalation's last page turned out to reach nobody after it was sent: nobody else was paged and every
    person it held back by quiet hours was deleted before they ended (`oncall.held`). Rather than wait out that
    step's delay, the escalation is handed over to a new execution that pages the next step at once (`resume`),
    and the one waiting is stopped (were it to tick first, it finds the escalation handed over and pages nothing).
    What `resume` did, or None when the escalation does not wait on such a page."""
    if record.status != "running" or not record.pages or not record.pages[-1]["held"]:
        return None  # a page that held nobody back reached nobody at once and did not wait: nothing waits on it
    if not _unreachable(record, record.pages[-1]):
        return None
    waiting = record.execution_arn
    client = sfn or step_functions.client()
    resumed = resume(record, sfn=client, why="skip")
    if resumed["resume"].startswith("step") and waiting:
        try:
            client.stop_execution(executionArn=waiting, cause="its step reached nobody: the next step is paged")
        except ClientError:  # ended already, or not stopped now: a tick of it finds the escalation handed over
            logger().warning("the escalation's waiting execution was not stopped", extra={"execution": waiting})
    return resumed


def _unreachable(record: EscalationRecord, page: dict) -> bool:
    """Whether the page paged nobody at once and each person it held back was found deleted when their quiet
    hours ended (the outcome of their release, `oncall.held`)."""
    from pagerless.oncall import held

    if page["targets"] or not page["held"]:
        return False
    until = page.get("held_until") or {}
    return all(p in until and held.outcome_of(record, p, until[p]) == "unreachable" for p in page["held"])


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


def tick(incident_id: str, workspace: str, generation: str, cursor: dict, *, execution: str | None = None) -> dict:
    """One pass of the loop: check, page the current step, say how long to wait for the next. ``execution``: the
    name of the execution ticking; one the escalation was handed over from since (`skip_ahead`) pages nothing."""
    repository = EscalationRepository()
    record = repository.get(incident_id, generation)
    if record is None or record.status != "running":
        return _done(record.status if record else "missing")
    if execution and execution != record.execution_name:
        return _done("handed over")
    incident = _load_incident(incident_id)
    why = why_stop(incident, record)
    if why is not None:
        status, reason = why
        _finish(record, status, reason, stop_execution=False)  # this execution ends by itself
        return _done(status)
    policy = models.to_policy(record.policy)
    at = Cursor(int(cursor["step"]), int(cursor["repeat"]))
    now = utcnow()
    resolved = resolve_step(workspace, policy, at.step, now, critical=incident.severity == Severity.CRITICAL)
    targets = job_targets(resolved)
    held = [p for r in resolved for p in r.held]
    held_until = {p: r.held_until.isoformat() for r in resolved for p in r.held if r.held_until}
    missing = [r.target.id for r in resolved if r.missing]  # channels the policy names that no longer exist
    unusable = {r.target.id: r.unusable for r in resolved if r.unusable}  # channels disabled or switched off
    page_generation = f"{at.step}-{at.repeat}" if generation == OPENED else f"{generation}:{at.step}-{at.repeat}"
    page = {"generation": page_generation, "at": now.isoformat(), "targets": targets, "held": held}
    if held_until:
        page["held_until"] = held_until
    if missing:
        page["missing"] = missing
    if unusable:
        page["unusable"] = unusable
    retried = next((p for p in record.pages or [] if p["generation"] == page_generation), None)
    if retried is not None:  # a retried tick: the claimed page, sent again only if the tick that claimed it died
        page = retried  # before it was queued (its mark, `EscalationRecord.unqueued`, is still on the record)
        targets, held_until = retried["targets"], retried.get("held_until", {})
        if record.unqueued != page_generation:
            targets, held_until = [], {}
    elif not repository.claim_page(record, page, unqueued=bool(targets or held_until)):
        return _done("stopped")
    about = page_data(record, policy, incident, at)
    if targets:
        enqueue(
            NotifyJob(
                workspace=workspace,
                event="escalation.page",
                incident_id=incident_id,
                generation=page_generation,
                targets=targets,
                data=about,
            )
        )
    if held_until:  # each held person is paged when their quiet hours end (`oncall.held`), once per window
        from pagerless.oncall import held as held_pages

        held_pages.schedule(record, held_until, about)
    if record.unqueued == page_generation:  # queued now: a resume after this tick pages the next step, not this one
        repository.queued(record, page_generation)
    say_paged(incident, record, page)
    nxt = following(policy, at)
    if nxt is None:
        repository.finish(record, "ended", "the policy ran out of steps")
        return _done("exhausted")
    wait = 0 if _reached_nobody(page) else policy.steps[at.step].delay_seconds
    return {"next": "wait", "wait_seconds": wait, "step": nxt.step, "repeat": nxt.repeat}


def say_paged(incident, record: EscalationRecord, page: dict) -> None:
    """The timeline's ``escalation_paged`` entry of ``page``, once (keyed by its generation, at its claim): a retried
    tick, or the resume after a tick that died before saying it, writes it only if it is not there."""
    message, data = paged_line(models.to_policy(record.policy), _paged_cursor(page["generation"]), page)
    once = f"escalation_paged#{record.sk}#{page['generation']}"
    at = datetime.fromisoformat(page["at"])
    timeline.record(incident, "escalation_paged", message, actor=ACTOR, data=data, once=once, at=at)


def page_data(record: EscalationRecord, policy: Policy, incident, at: Cursor) -> dict:
    """What an ``escalation.page`` job says about the page: its step, policy and incident; a reopen's escalation
    (one started at or after the incident reopened) also when it reopened, which its page says."""
    reopened = incident.reopened_at is not None and record.started_at >= incident.reopened_at
    return {
        **({"reopened_at": incident.reopened_at.isoformat()} if reopened else {}),
        "step": at.step + 1,
        "repeat": at.repeat,
        "policy_id": policy.id,
        "policy_name": policy.name,
        "title": incident.title,
        "severity": incident.severity,
        "service": incident.service,
        "kind": record.kind,
        "escalation": record.execution_name,
    }


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


def why_stop(incident, record: EscalationRecord) -> tuple[str, str] | None:
    """Why the escalation pages nobody any more, ``(status, reason)``, or None: what a tick and the release of a
    page held back by quiet hours (`oncall.held`) both ask."""
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
