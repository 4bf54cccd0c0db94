"""Seed 002's autonomy endpoints: the policy's autonomy level, and one cycle over open incidents."""

from fastapi import APIRouter, Query, Request

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.workflow.autonomy import MAX_INCIDENTS_PER_CYCLE, autonomy_status, run_cycle

router = APIRouter(tags=["autonomy"], route_class=DeferredRoute)


@router.get("/api/autonomy/status")
def get_autonomy_status(principal: ViewerDep) -> dict:
    """The policy's autonomy level and what it lets Pagerless do without a human."""
    return autonomy_status(principal.workspace)


@router.post("/api/autonomy/run")
def run_autonomy_cycle(
    principal: OperatorDep, request: Request, max_incidents: int = Query(MAX_INCIDENTS_PER_CYCLE, ge=1, le=100)
) -> dict:
    """Run one autonomy cycle: re-run the workflow of incidents whose blocked proposal the policy now allows."""
    result = run_cycle(principal.workspace, principal.key_id, max_incidents)
    request.state.audit_details = {"rerun": [r["incident_id"] for r in result["rerun"]]}
    return result
