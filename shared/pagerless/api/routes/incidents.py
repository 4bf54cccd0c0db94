from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import OperatorDep, ViewerDep, own_workspace
from pagerless.api.timefilter import time_filter
from pagerless.domain.actions import seed_outcome
from pagerless.domain.errors import ValidationError
from pagerless.domain.incidents import IncidentStatus
from pagerless.domain.severity import Severity
from pagerless.incidents import stream
from pagerless.incidents.schemas import (
    AlertPublic,
    IncidentComment,
    IncidentGroup,
    IncidentPublic,
    IncidentResolve,
    TimelineEventPublic,
    public,
)
from pagerless.incidents.service import IncidentService

router = APIRouter(tags=["incidents"], route_class=DeferredRoute)


@cache
def incident_service() -> IncidentService:
    return IncidentService()


IncidentsDep = Annotated[IncidentService, Depends(incident_service)]


@router.get("/api/incidents", response_model=Page[IncidentPublic])
def list_incidents(
    principal: ViewerDep,
    incidents: IncidentsDep,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    service: str | None = None,
    namespace: str | None = None,
    since: time_filter("created at or after") = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    page_size: Annotated[int | None, Query(ge=1, le=200, description="seed 000's name for limit")] = None,
    page: Annotated[int | None, Query(ge=1, description="seed 000's page number: only 1; then use cursor")] = None,
    state: Annotated[
        Literal["open", "acknowledged", "resolved"] | None,
        Query(description="seed 002's state: open (neither acknowledged nor resolved), acknowledged, resolved"),
    ] = None,
    workspace_id: Annotated[str | None, Query(description="seed 002: must be the key's workspace")] = None,
) -> dict:
    """Incidents, newest first, filtered by status (or seed 002's state), severity, service, namespace and time; a
    key scoped to services sees those services' incidents only."""
    if page is not None and page > 1 and cursor is None:
        raise ValidationError(
            "pages are numbered by cursor: ask page 1, then pass its next_cursor as cursor=",
            details=[{"field": "page", "message": "only page=1 (then cursor=<next_cursor>)"}],
        )
    own_workspace(principal, workspace_id, field="workspace_id")
    items, next_cursor = incidents.search(
        principal.workspace,
        status=status,
        severity=severity,
        service=service,
        namespace=namespace,
        since=since,
        limit=page_size or limit,
        cursor=cursor,
        state=state,
        scope=principal.scope,
        key=principal.key_id,
    )
    return {"items": [public(i) for i in items], "next_cursor": next_cursor}


@router.get("/api/incidents/{incident_id}", response_model=IncidentPublic)
def get_incident(incident_id: str, principal: ViewerDep, incidents: IncidentsDep) -> dict:
    """One incident."""
    return public(incidents.get(principal.workspace, incident_id))


@router.get("/api/incidents/{incident_id}/alerts", response_model=Page[AlertPublic])
def incident_alerts(
    incident_id: str, principal: ViewerDep, incidents: IncidentsDep, limit: LimitParam = 200, cursor: CursorParam = None
) -> dict:
    """The alerts (fingerprints) folded into an incident, with their counts, a page at a time."""
    alerts, next_cursor = incidents.alerts_of(principal.workspace, incident_id, limit=limit, cursor=cursor)
    return {"items": [a.to_dict() for a in alerts], "next_cursor": next_cursor}


@router.get("/api/incidents/{incident_id}/timeline", response_model=Page[TimelineEventPublic])
def incident_timeline(
    incident_id: str,
    principal: ViewerDep,
    incidents: IncidentsDep,
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 500,
    cursor: CursorParam = None,
) -> dict:
    """Everything that happened to an incident, oldest first, a page at a time."""
    from pagerless.incidents.timeline_names import named

    events, next_cursor = incidents.timeline_page(principal.workspace, incident_id, limit=limit, cursor=cursor)
    return {"items": named(principal.workspace, [t.to_dict() for t in events]), "next_cursor": next_cursor}


@router.get("/api/incidents/{incident_id}/group", response_model=IncidentGroup)
def incident_group(incident_id: str, principal: ViewerDep, incidents: IncidentsDep) -> dict:
    """The correlation group: the parent incident and its children."""
    parent, children = incidents.group(principal.workspace, incident_id)
    return {"parent": public(parent), "children": [public(c) for c in children]}


@router.post("/api/incidents/{incident_id}/acknowledge", response_model=IncidentPublic)
def acknowledge_incident(incident_id: str, principal: OperatorDep, incidents: IncidentsDep) -> dict:
    """Acknowledge an incident (409 if already acknowledged or resolved)."""
    return public(incidents.counted(incidents.acknowledge(principal.workspace, incident_id, principal)))


@router.post("/api/incidents/{incident_id}/resolve", response_model=IncidentPublic)
def resolve_incident(
    incident_id: str, principal: OperatorDep, incidents: IncidentsDep, body: IncidentResolve | None = None
) -> dict:
    """Resolve an incident with a note (409 if already resolved)."""
    return public(incidents.resolve(principal.workspace, incident_id, principal, body.note if body else ""))


@router.post("/api/incidents/{incident_id}/comment", response_model=TimelineEventPublic, status_code=201)
def comment_incident(incident_id: str, body: IncidentComment, principal: OperatorDep, incidents: IncidentsDep) -> dict:
    """Add a comment to an incident's timeline."""
    return incidents.comment(principal.workspace, incident_id, principal, body.text)


@router.get("/api/events", response_class=StreamingResponse)
def events(
    principal: ViewerDep,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: Annotated[str | None, Query(description="resume after this event id (as Last-Event-ID)")] = None,
    max_seconds: Annotated[float, Query(gt=0, le=28, description="close the stream after this long")] = 25,
) -> StreamingResponse:
    """Server-Sent Events of the workspace (incident_created, incident_updated, alert_resolved, ...); reconnect with
    Last-Event-ID. A services-scoped key is sent its services' incidents' events only."""
    resume = last_event_id_header or last_event_id
    resume_seq = stream.parse_event_id(resume)
    if resume is not None and resume_seq is None:
        raise ValidationError("Last-Event-ID must be a number from a previous event's id")
    from pagerless.incidents.key_scope import stream_filter

    keep = stream_filter(principal.scope, principal.workspace)
    options = stream.StreamOptions(max_seconds=max_seconds)
    chunks = stream.stream_events(principal.workspace, resume_seq, options, keep=keep)
    return StreamingResponse(
        chunks, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/api/incidents/{incident_id}/actions")
def incident_actions(incident_id: str, principal: ViewerDep, incidents: IncidentsDep) -> dict:
    """The actions run (or dry-run) on an incident, oldest first: by the workflow, by hand, by runbook runs, and rollbacks (seed 002)."""
    incident = incidents.get(principal.workspace, incident_id)
    actions = [action_view(entry) for entry in (incident.actions or [])]
    return {"incident_id": incident_id, "actions": actions, "count": len(actions)}


def action_view(entry: dict) -> dict:
    """One entry of an incident's actions as seed 002 names it."""
    plan_action = (entry.get("plan") or {}).get("action") or {}
    status = entry.get("status")
    return {
        "action": entry.get("action") or plan_action.get("action"),
        "outcome": seed_outcome(status),
        "status": status,
        "dry_run": bool(entry.get("dry_run", False)),
        "namespace": plan_action.get("namespace") or entry.get("namespace"),
        "rollback": bool(entry.get("rollback", False)),
        "source": entry.get("source"),
        "message": entry.get("message"),
        "approved_by": entry.get("approved_by") or entry.get("requested_by"),
        "created_at": entry.get("started_at") or entry.get("created_at"),
    }
