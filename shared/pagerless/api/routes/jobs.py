"""Durable jobs (seed 003): submit, status, signal, trace, replay, stop and an SSE event stream."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["jobs"], route_class=DeferredRoute)


class RunSubmit(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "workflow_id": "oom-recovery",
                "input": {
                    "context": {
                        "namespace": "payments",
                        "deployment": "payments-api",
                        "container": "api",
                        "memory_limit": "512Mi",
                    },
                    "dry_run": True,
                },
            }
        )
    )
    workflow_id: str = Field(min_length=1, max_length=120, description="a runbook id (or runbook:<id>)")
    input: dict = Field(default_factory=dict, description="context, dry_run, auto_approve, incident_id, options")


class Signal(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"correlation_key": "job-3f2a#step-1", "payload": {"approved": True, "reason": "looks right"}},
            correlation_key="The key the parked job waits on (GET /api/jobs/{id} shows it).",
        )
    )
    correlation_key: str = Field(min_length=1, max_length=200)
    payload: dict = Field(default_factory=dict, description='{"approved": true, "reason": "..."}')


@router.post("/api/runs", status_code=201)
def submit_run(body: RunSubmit, request: Request, principal: OperatorDep) -> dict:
    """Submit a job: a runbook run with the given input."""
    from pydantic import ValidationError as InputError

    from pagerless.api.routes.runbooks import RunRequest, _start
    from pagerless.domain.errors import ValidationError

    try:
        run = RunRequest.model_validate(body.input)
    except InputError as exc:  # each field of the input named as the request has it, not pydantic's dump
        details = [
            {"field": ".".join(["input", *(str(p) for p in e["loc"])]), "message": e["msg"]} for e in exc.errors()
        ]
        said = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3])
        raise ValidationError(f"input is not valid: {said}", details=details) from exc
    incident = None
    if run.incident_id:
        from pagerless.store.incidents import IncidentRepository

        incident = IncidentRepository().get(run.incident_id, principal.workspace)
    started = _start(request, principal, body.workflow_id.removeprefix("runbook:"), run, incident)
    return {
        "job_id": started["job_id"],
        "status": started["status"],
        "created_at": started["created_at"],
        "workflow_id": started["workflow_id"],
    }


def _held(principal, job_id: str, *, what: str, reading: bool = False) -> None:
    """A key scoped to services acts on, and reads, its services' incidents' jobs only (a job's id may be an
    incident's: its workflow); a job on no incident is the workspace's. A 403 before anything changes or is read."""
    from pagerless.incidents import key_scope
    from pagerless.jobs.service import find

    if not key_scope.binds(principal.scope):
        return
    record = find(job_id, principal.workspace)
    incident_id = job_id if record is None else record.incident_id
    if incident_id:
        key_scope.hold(
            principal.scope,
            key=principal.key_id,
            workspace=principal.workspace,
            incident_id=incident_id,
            reading=reading,
        )
    else:
        key_scope.hold_unbound(principal.scope, key=principal.key_id, what=f"{what} a job on no incident")


@router.get("/api/jobs")
def list_jobs(
    principal: ViewerDep,
    status: Annotated[
        Literal["pending", "running", "parked", "completed", "failed", "cancelled"] | None, Query()
    ] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> dict:
    """Jobs of the workspace (runbook runs), newest first, a page at a time. A services-scoped key reads its
    services' incidents' jobs only (a page may hold fewer than ``limit``: follow ``next_cursor``)."""
    from pagerless.incidents.key_scope import visible_items
    from pagerless.jobs.service import list_jobs as jobs

    items, next_cursor = jobs(principal.workspace, status, limit, cursor)
    items = visible_items(principal.scope, principal.workspace, items)
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


@router.get("/api/jobs/{job_id}")
def get_job(job_id: str, principal: ViewerDep) -> dict:
    """A job's status (pending | running | parked | completed | failed | cancelled) as our records say."""
    from pagerless.jobs.service import view

    _held(principal, job_id, what="read", reading=True)
    return view(job_id, principal.workspace)


@router.post("/api/jobs/{job_id}/signal")
def signal_job(job_id: str, body: Signal, request: Request, principal: OperatorDep) -> dict:
    """Wake a parked job with its correlation key and a payload ({"approved": bool})."""
    from pagerless.incidents import decision_audit
    from pagerless.jobs.service import signal

    request.state.audit_details = {"job_id": job_id, "approved": body.payload.get("approved")}
    _held(principal, job_id, what="signal")
    signalled = signal(
        job_id, principal.workspace, principal.key_id, principal.role.value, body.correlation_key, body.payload
    )
    request.state.audit_details.update(changed=signalled["accepted"], approval_id=signalled["approval"]["approval_id"])
    if signalled["accepted"]:  # the approval sweep may write this decision's record in its stead: one of them does
        request.state.audit_once = decision_audit.once(signalled["approval"])
    return signalled


@router.get("/api/jobs/{job_id}/trace")
def job_trace(job_id: str, principal: ViewerDep) -> dict:
    """The job's timeline: our events (kept across restarts) and the execution's history."""
    from pagerless.jobs.service import trace

    _held(principal, job_id, what="read", reading=True)
    return trace(job_id, principal.workspace)


@router.get("/api/jobs/{job_id}/replay")
def job_replay_data(job_id: str, principal: ViewerDep) -> dict:
    """What a replay would use: the recorded input and events."""
    from pagerless.jobs.service import replay_data

    _held(principal, job_id, what="read", reading=True)
    return replay_data(job_id, principal.workspace)


@router.post("/api/jobs/{job_id}/replay", status_code=202)
def replay_job(job_id: str, request: Request, principal: OperatorDep) -> dict:
    """Redrive a failed execution (AWS) or restart the job from its recorded input."""
    from pagerless.jobs.service import replay

    _held(principal, job_id, what="replay")
    result = replay(job_id, principal.workspace, principal.key_id)
    request.state.audit_details = result
    return result


@router.post("/api/jobs/{job_id}/stop")
def stop_job(job_id: str, request: Request, principal: OperatorDep) -> dict:
    """Cancel a job: the record first, then StopExecution."""
    from pagerless.jobs.service import stop

    request.state.audit_details = {"job_id": job_id}
    _held(principal, job_id, what="stop")
    return stop(job_id, principal.workspace, principal.key_id)


@router.get("/api/jobs/{job_id}/events", response_class=StreamingResponse)
def job_events(
    job_id: str,
    principal: ViewerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    max_seconds: Annotated[float, Query(gt=0, le=28)] = 25,
) -> StreamingResponse:
    """Server-Sent Events of one job; ends when the job does (resume with Last-Event-ID)."""
    from pagerless.domain.errors import ValidationError
    from pagerless.incidents.stream import parse_event_id
    from pagerless.jobs.service import find
    from pagerless.jobs.stream import stream_job

    if find(job_id, principal.workspace) is None:
        raise ValidationError("an incident workflow's events are on GET /api/events")
    _held(principal, job_id, what="read", reading=True)
    # as on GET /api/events: ASCII digits that fit a sequence number (1 to 19)
    resume = parse_event_id(last_event_id)
    if last_event_id is not None and resume is None:
        raise ValidationError("Last-Event-ID must be a number from a previous event's id")
    chunks = stream_job(job_id, resume or 0, max_seconds=max_seconds)
    return StreamingResponse(
        chunks, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
