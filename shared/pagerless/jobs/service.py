"""The jobs API over our own records; Step Functions is consulted, never trusted alone.

moto keeps a stopped or a parked execution RUNNING and has no RedriveExecution, and a
``pagerless dev`` restart ends every execution: so the job's status is the one our records say
(the job record, its wait — the approval record — and the events each step wrote as it
completed). The execution's own status and history are shown beside them.

Incident workflows appear as jobs too: the job id is the incident id, the status comes from the
incident and its approval, the trace from its timeline and the execution history.
"""

from __future__ import annotations

from pagerless import step_functions
from pagerless.auth.actors import name_of
from pagerless.domain import approvals as approval_vocab
from pagerless.domain.pages import page_of
from pagerless.jobs.errors import InvalidSignalKeyError, JobNotFoundError, JobNotParkedError
from pagerless.jobs.execution import described as _execution
from pagerless.jobs.execution import history as _history
from pagerless.jobs.execution import when as _when
from pagerless.observability import logger
from pagerless.runbooks.error_phrases import PARTS, part, told
from pagerless.store.approvals import ApprovalRepository
from pagerless.store.jobs import CANCELLED, FINAL, PARKED, JobRecord, JobRepository

_INCIDENT_STATUS = {
    "awaiting_approval": PARKED,
    "resolved": "completed",
    "diagnosed": "completed",
    "escalated": "completed",
}


def _incident(job_id: str, workspace: str):
    from pagerless.domain.errors import NotFoundError
    from pagerless.store.incidents import IncidentRepository

    try:
        return IncidentRepository().get(job_id, workspace)
    except NotFoundError:
        raise JobNotFoundError(f"job {job_id} not found") from None


def find(job_id: str, workspace: str) -> JobRecord | None:
    """The job record, or None when ``job_id`` names an incident (its workflow is the job)."""
    record = JobRepository().find(job_id)
    if record is not None:
        if record.workspace != workspace:
            raise JobNotFoundError(f"job {job_id} not found")
        return record
    _incident(job_id, workspace)
    return None


def view(job_id: str, workspace: str) -> dict:
    """The job as its record says, and its execution's own status beside it (one Step Functions call)."""
    record = find(job_id, workspace)
    if record is None:
        return _incident_view(_incident(job_id, workspace))
    execution = _execution(record.execution_arn)
    _reconcile(record, execution)
    return {**_listed(record), "execution": execution}


ENDED_UNFINISHED = ("FAILED", "TIMED_OUT", "ABORTED")  # an execution's end that no step recorded on the job


def _reconcile(record: JobRecord, execution: dict | None) -> None:
    """Reconciled lazily, when the job itself is read: a job our records say is pending or running whose
    execution ended without a step saying so (stopped in the Step Functions console, timed out, or its
    failure handler failed too) has failed; the list, reading only our tables, shows it so from then on.
    A parked job whose execution ended is the approval sweep's (``runbooks.lost_waits``). A run on an
    incident says so on its timeline; once, however many reads reconcile it at the same moment: only the
    read whose conditional update wins writes the event and the entry."""
    ended = (execution or {}).get("status")
    if record.status not in ("pending", "running") or ended not in ENDED_UNFINISHED:
        return
    was = record.status
    why, said = told(part("execution_lost", ended=ended, was=was))
    repo = JobRepository()
    result = {**(record.result or {}), "error_phrase": said}  # its error in Chinese on the job's page
    if not repo.update(
        record, status="failed", error=why, result=result, current_node=None, expected_status=("pending", "running")
    ):
        return
    if record.kind == "runbook_run":  # the run's incident, if it has one, is told on its timeline
        from pagerless.runbooks.job_state import note

        note(record, "JobFailed", f"run ended: {why}", outcome="lost", error_phrase=said)
    else:
        repo.add_event(record, "JobFailed", message=why)


def _listed(record: JobRecord) -> dict:
    """The job as our records alone say (its status is the record's): what a page of jobs shows,
    with no call to Step Functions per job; the execution's status is on the job's own view.
    Its starter by id (``created_by``) and by name as it is now (a key's, a user's; cached per
    process, so a page of one person's runs looks them up once)."""
    return {
        "job_id": record.job_id,
        "status": record.status,
        "workflow_id": record.workflow_id,
        "kind": record.kind,
        "current_node": record.current_node,
        "correlation_key": record.correlation_key if record.status == PARKED else None,
        "incident_id": record.incident_id,
        "created_by": record.created_by,
        "created_by_name": name_of(record.workspace, record.created_by),
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "input": record.input,
        "result": record.result,
        "error": record.error,
        "steps": _steps(record),
        "replay_of": (record.state or {}).get("replay_of"),
        "execution_arn": record.execution_arn,
    }


def _steps(record: JobRecord) -> list[dict]:
    """The steps' results; a step whose action ran and whose verify has not passed is listed too
    (``verified: false``): while the job runs, once it was stopped, and once it failed (the step
    whose verify failed is the one an operator looks for first): it changed the cluster. So is an
    action step that did not succeed."""
    state = record.state or {}
    results = list(state.get("results", []))
    verifying = (state.get("verify") or {}).get("result")
    if verifying:  # a completed job has none: a passed verify records its step and clears it
        results.append({**verifying, "verified": False})
    if state.get("failed"):  # the action step that did not succeed (the run rolled back from it)
        results.append(state["failed"])
    return results


def _incident_view(incident) -> dict:
    approval = ApprovalRepository().latest(incident.id)
    parked = approval is not None and approval.status == approval_vocab.PENDING
    status = _INCIDENT_STATUS.get(incident.status, "running")
    if status == PARKED and not parked:
        status = "running"
    return {
        "job_id": incident.id,
        "status": status,
        "workflow_id": "incident_response",
        "kind": "incident_workflow",
        "current_node": "RequestApproval" if status == PARKED else incident.status,
        "correlation_key": approval.approval_id if status == PARKED else None,
        "incident_id": incident.id,
        "created_by": "intake",
        "created_by_name": "",
        "created_at": incident.created_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "input": {"incident_id": incident.id},
        "result": {"incident_status": incident.status},
        "error": None,
        "steps": incident.actions or [],
        "replay_of": None,
        "execution_arn": incident.execution_arn,
        "execution": _execution(incident.execution_arn),
    }


def trace(job_id: str, workspace: str) -> dict:
    """Our events (persisted as each step completed) merged with the execution's history, by time."""
    record = find(job_id, workspace)
    if record is None:
        return _incident_trace(_incident(job_id, workspace))
    timeline = [{**e, "source": "pagerless"} for e in JobRepository().events(job_id)]
    timeline += _history(record.execution_arn)
    return {"job_id": job_id, "status": record.status, "timeline": sorted(timeline, key=_when)}


def _incident_trace(incident) -> dict:
    from pagerless.incidents.timeline import timeline as incident_timeline

    entries = [
        {"time": t.at.isoformat(), "event": t.type, "message": t.message, "actor": t.actor, "source": "pagerless"}
        for t in incident_timeline(incident.id, incident=incident)
    ]
    entries += _history(incident.execution_arn)
    return {
        "job_id": incident.id,
        "status": _incident_view(incident)["status"],
        "timeline": sorted(entries, key=_when),
    }


def signal(job_id: str, workspace: str, actor: str, role: str, correlation_key: str, payload: dict) -> dict:
    """Wake a parked job: the key must be its current wait's; ``payload.approved`` decides the step."""
    from pagerless.domain.approvals import VIA_JOB_SIGNAL, Via
    from pagerless.workflow.approvals import ApprovalService

    current = view(job_id, workspace)
    if current["status"] != PARKED:
        raise JobNotParkedError(
            f"job {job_id} is {current['status']}, not parked; nothing to signal",
            details=[{"status": current["status"]}],
        )
    if correlation_key != current["correlation_key"]:
        raise InvalidSignalKeyError(
            f"correlation_key does not match the wait of job {job_id}", details=[{"field": "correlation_key"}]
        )
    if not isinstance(payload.get("approved"), bool):
        from pagerless.domain.errors import ValidationError

        raise ValidationError("payload.approved (true or false) is required", details=[{"field": "payload.approved"}])
    partition = current["incident_id"] or job_id
    comment = str(payload.get("reason") or payload.get("comment") or "")[:1000]
    decided = ApprovalService().decide(
        partition,
        workspace,
        approve=payload["approved"],
        actor=actor,
        role=role,
        comment=comment,
        approval_id=correlation_key,
        via=Via(VIA_JOB_SIGNAL),
    )
    return {"job_id": job_id, "accepted": decided.changed, "approval": decided.approval}


def stop(job_id: str, workspace: str, actor: str) -> dict:
    """Cancel the job (our record first, so its state is right even where StopExecution is not)."""
    record = find(job_id, workspace)
    if record is None:
        from pagerless.domain.errors import ValidationError

        raise ValidationError(
            "an incident workflow stops when its incident is resolved (POST /api/incidents/{id}/resolve)"
        )
    if record.status in FINAL:
        return view(job_id, workspace)
    repo = JobRepository()
    waiting_on = record.correlation_key
    stopped, said = told(part("stopped", by=actor))
    if not repo.update(
        record,
        status=CANCELLED,
        error=stopped,
        result={**(record.result or {}), "error_phrase": said},  # its error in Chinese on the job's page
        current_node=None,
        correlation_key=None,
        sweep=None,
        sweep_since=None,
        expected_status=tuple(s for s in ("pending", "running", PARKED)),
    ):
        return view(job_id, workspace)
    from pagerless.runbooks.approvals import STOPPED_BY, expire

    if record.kind == "runbook_run":
        expire(record, waiting_on, note=f"{STOPPED_BY}{actor}")
    # the state as the cancel wrote it: a step that had sent its change by then cannot take it back
    in_flight, left = _left_applied(record)
    told_left = "; ".join(PARTS.render(p, "en") for p in left)
    if left:
        error, said = told(part("stopped", by=actor), *left)
        repo.update(record, error=error, result={**(record.result or {}), "error_phrase": said})
    if record.kind == "runbook_run":  # the run's incident, if it has one, is told on its timeline
        from pagerless.runbooks.job_state import note

        note(
            record,
            "JobCancelled",
            f"run stopped by {actor}" + (f"; {told_left}" if told_left else ""),
            by=actor,
            in_flight=in_flight,
        )
    else:
        repo.add_event(record, "JobCancelled", by=actor, in_flight=in_flight, message=told_left or None)
    if record.execution_arn:
        try:
            step_functions.client().stop_execution(
                executionArn=record.execution_arn, error="JobStopped", cause=f"stopped by {actor}"
            )
        except Exception as exc:
            logger().warning("stop_execution failed; the job record is cancelled", extra={"error": str(exc)[:200]})
    return view(job_id, workspace)


def _left_applied(record: JobRecord) -> tuple[str | None, list[dict]]:
    """The step whose action was in flight at the stop, and what the stop leaves applied, as phrases
    (`runbooks.error_phrases`): that step (it may still take effect) and a step that ran and was not
    verified yet (a stop rolls nothing back)."""
    state = record.state or {}
    in_flight = (state.get("executing") or {}).get("step")
    unverified = ((state.get("verify") or {}).get("result") or {}).get("step")
    left = []
    if in_flight:
        left.append(part("in_flight_at_stop", step=in_flight))
    if unverified and unverified != in_flight:
        left.append(part("unverified_at_stop", step=unverified))
    return in_flight, left


def replay_data(job_id: str, workspace: str) -> dict:
    record = find(job_id, workspace)
    if record is None:
        raise JobNotFoundError(f"job {job_id} is an incident workflow; it is not replayed")
    return {
        "job_id": job_id,
        "workflow_id": record.workflow_id,
        "input": record.input,
        "status": record.status,
        "events": JobRepository().events(job_id),
    }


def replay(job_id: str, workspace: str, actor: str) -> dict:
    """A failed execution is redriven where Step Functions can (AWS); otherwise a new job restarts
    from the recorded input (moto has no RedriveExecution)."""
    from botocore.exceptions import ClientError

    from pagerless.domain.errors import ConflictError

    record = find(job_id, workspace)
    if record is None:
        raise JobNotFoundError(f"job {job_id} is an incident workflow; it is not replayed")
    if record.status not in FINAL and (_execution(record.execution_arn) or {}).get("status") == "UNKNOWN":
        lost, said = told(part("execution_replayed"))
        JobRepository().update(
            record, status="failed", error=lost, result={**(record.result or {}), "error_phrase": said}
        )
        JobRepository().add_event(record, "JobFailed", message="the execution no longer exists")
    if record.status not in FINAL:
        raise ConflictError(f"job {job_id} is {record.status}; only a finished job is replayed")
    if record.status == "failed" and record.execution_arn and not (record.input or {}).get("dry_run"):
        try:
            step_functions.client().redrive_execution(executionArn=record.execution_arn)
            JobRepository().update(record, status="running", error=None, result=None)
            JobRepository().add_event(record, "JobRedriven", by=actor)
            return {"job_id": job_id, "mode": "redrive", "replay_of": job_id}
        except (ClientError, AttributeError, NotImplementedError) as exc:
            logger().info("redrive not available; restarting from the recorded input", extra={"error": str(exc)[:200]})
    return {**_restart(record, workspace, actor), "mode": "restart"}


def _restart(record: JobRecord, workspace: str, actor: str) -> dict:
    from pagerless.runbooks.runs import start_run
    from pagerless.store.incidents import IncidentRepository

    data = record.input
    _not_deleted(workspace, data["runbook_id"], record.job_id)
    incident = IncidentRepository().get(data["incident_id"], workspace) if data.get("incident_id") else None
    job = start_run(
        workspace,
        actor,
        data["runbook_id"],
        context=data["context"],
        dry_run=data["dry_run"],
        auto_approve=data["auto_approve"],
        incident=incident,
        version=data["version"],
        options=data.get("options"),
        replay_of=record.job_id,
    )
    return {"job_id": job.job_id, "replay_of": record.job_id}


def _not_deleted(workspace: str, runbook_id: str, job_id: str) -> None:
    """A replay runs the job's recorded version; a runbook deleted since is not run again through it."""
    from pagerless.domain.errors import ConflictError, NotFoundError
    from pagerless.runbooks.service import RunbookService

    try:
        RunbookService(workspace).get(runbook_id)
    except NotFoundError:
        raise ConflictError(
            f"runbook {runbook_id} was deleted; job {job_id} is not replayed (its versions stay as history)",
            details=[{"runbook_id": runbook_id}],
        ) from None


def list_jobs(
    workspace: str, status: str | None, limit: int, cursor: str | None = None
) -> tuple[list[dict], str | None]:
    """A page of the workspace's jobs, newest first, and the cursor of the next page: read from our
    tables only (a page of 50 is not 50 DescribeExecution calls); ``view`` adds the execution."""
    records, next_cursor = page_of(
        JobRepository().list(workspace, status=status),
        limit=limit,
        cursor=cursor,
        order=lambda r: (r.created_at.isoformat(), r.job_id),
        reverse=True,
    )
    return [_listed(r) for r in records], next_cursor
