"""The incident workflow's trace: its own router, so that reading it loads neither the approval
service nor the decisions' audit (the workflow API function's lazy routers, pagerless.api.lazy).

The store and the trace are imported with the router, on the event loop's thread, not in the
route's worker thread: measured on the built layer, a first request was 10-15 ms faster so."""

from fastapi import APIRouter

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import ViewerDep
from pagerless.store.incidents import IncidentRepository
from pagerless.workflow.trace import workflow_trace

router = APIRouter(tags=["approvals"], route_class=DeferredRoute)


@router.get("/api/incidents/{incident_id}/workflow")
def workflow(incident_id: str, principal: ViewerDep) -> dict:
    """The incident's workflow execution: status and each step (when, how long, what failed)."""
    return workflow_trace(IncidentRepository().get(incident_id, principal.workspace))
