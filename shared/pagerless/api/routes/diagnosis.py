from fastapi import APIRouter, status

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.diagnosis.models import Diagnosis
from pagerless.domain.errors import NotFoundError
from pagerless.store.incidents import IncidentRepository
from pagerless.workflow.rediagnose import request_rediagnosis

router = APIRouter(tags=["diagnosis"], route_class=DeferredRoute)


@router.get("/api/incidents/{incident_id}/diagnosis", response_model=Diagnosis)
def get_diagnosis(incident_id: str, principal: ViewerDep) -> dict:
    """The incident's diagnosis: category, ranked alternatives, evidence, remediations, engine, usage."""
    incident = IncidentRepository().get(incident_id, principal.workspace)
    if not incident.diagnosis:
        raise NotFoundError(f"incident {incident_id} has no diagnosis yet (status {incident.status})")
    return incident.diagnosis


@router.get("/api/incidents/{incident_id}/proposal")
def get_proposal(incident_id: str, principal: ViewerDep) -> dict:
    """The workflow's proposal: the action, its dry-run diff and policy decision, or why nothing was proposed."""
    incident = IncidentRepository().get(incident_id, principal.workspace)
    if not incident.proposal:
        raise NotFoundError(f"incident {incident_id} has no proposal yet (status {incident.status})")
    return incident.proposal


@router.post("/api/incidents/{incident_id}/diagnose", status_code=status.HTTP_202_ACCEPTED)
def rediagnose(incident_id: str, principal: OperatorDep) -> dict:
    """Re-run context gathering and the diagnosis; the result replaces the stored diagnosis
    (watch the timeline or GET .../diagnosis)."""
    return request_rediagnosis(incident_id, principal.workspace, principal.key_id)
