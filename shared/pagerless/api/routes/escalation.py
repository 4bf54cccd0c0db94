"""Escalation policies, the escalation preview, an incident's escalations and the handoff digest."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from pagerless.api.conditional import CONDITIONAL_PUT, CREATED, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.routes.oncall import OncallDep
from pagerless.api.security import AdminDep, ViewerDep, own_workspace
from pagerless.clock import utcnow
from pagerless.domain.preconditions import FIRST_VERSION
from pagerless.oncall import engine, handoff, views
from pagerless.oncall.models import PolicyIn

router = APIRouter(tags=["escalation"], route_class=DeferredRoute)


@router.get("/api/escalation-policies")
def list_policies(principal: ViewerDep, service: OncallDep) -> dict:
    """Escalation policies of the workspace, oldest first."""
    return {"items": service.list_policies(principal.workspace)}


@router.post("/api/escalation-policies", status_code=201, responses=CREATED)
def create_policy(body: PolicyIn, principal: AdminDep, service: OncallDep, response: Response) -> dict:
    """Create a policy: steps (delay, targets), repeat count, the services and severities it covers; answers its
    ETag."""
    return tagged(response, service.create_policy(principal.workspace, body, principal.key_id), FIRST_VERSION)


@router.get("/api/escalation-policies/{policy_id}", responses=READ)
def get_policy(policy_id: str, principal: ViewerDep, service: OncallDep, response: Response) -> dict:
    """One escalation policy, with its ETag."""
    return tagged(response, *service.read_policy(principal.workspace, policy_id))


@router.put("/api/escalation-policies/{policy_id}", responses=CONDITIONAL_PUT)
def update_policy(
    policy_id: str, body: PolicyIn, principal: AdminDep, service: OncallDep, if_match: IfMatchDep, response: Response
) -> dict:
    """Replace a policy (running escalations keep the version they started with); with If-Match, only the one read."""
    return tagged(response, *service.update_policy(principal.workspace, policy_id, body, principal.key_id, if_match))


@router.delete("/api/escalation-policies/{policy_id}", status_code=204)
def delete_policy(policy_id: str, principal: AdminDep, service: OncallDep) -> Response:
    """Delete a policy."""
    service.delete_policy(principal.workspace, policy_id)
    return Response(status_code=204)


@router.get("/notifications/escalation")  # seed 002's own path
@router.get("/api/notifications/escalation")
def escalation_preview(
    principal: ViewerDep,
    service: OncallDep,
    service_name: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    severity: Literal["critical", "high", "warning", "info"] = "critical",
    minutes_elapsed: Annotated[float, Query(ge=0, le=7 * 24 * 60)] = 0,
) -> dict:
    """Who would be paged when for an incident of this service and severity opened minutes_elapsed ago."""
    return views.escalation_preview(
        service,
        principal.workspace,
        service_name=service_name,
        severity=severity,
        minutes_elapsed=minutes_elapsed,
        now=utcnow(),
    )


@router.get("/api/incidents/{incident_id}/escalations")
def incident_escalations(incident_id: str, principal: ViewerDep) -> dict:
    """The incident's escalations, newest first: status, pages sent, why it stopped (with the names of who it names)."""
    from pagerless.incidents.service import IncidentService

    IncidentService().stored(principal.workspace, incident_id)
    items = views.escalations_named(principal.workspace, engine.status_of(incident_id))
    return {"incident_id": incident_id, "items": items}


@router.get("/digest/handoff")  # seed 002's own path
@router.get("/api/digest/handoff")
def handoff_digest(
    principal: ViewerDep, hours: Annotated[int, Query(ge=1, le=48)] = 12, workspace_id: str | None = None
) -> dict:
    """Shift handoff (seed 002): incidents of the last hours, open incidents, pending approvals, who is next."""
    own_workspace(principal, workspace_id, field="workspace_id")
    return handoff.digest(principal.workspace, hours)
