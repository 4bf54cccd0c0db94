"""Re-running the diagnosis on request (`POST /api/incidents/{id}/diagnose`).

The API queues it as an asynchronous invocation of the workflow function, because a Claude
investigation can outlast API Gateway's 30-second limit; the step refreshes the context and runs
the same Diagnose step the state machine runs. The incident's status is left as it is.
"""

import json
import uuid
from functools import cache

from pagerless import settings
from pagerless.domain.errors import ConflictError, ServiceUnavailableError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.store.incidents import IncidentRepository


@cache
def _lambda():
    from pagerless import aws

    return aws.client("lambda")


def request_rediagnosis(incident_id: str, workspace: str, actor: str) -> dict:
    """Queue a re-diagnosis; 409 for a resolved incident, 503 if the workflow function is unknown."""
    incident = IncidentRepository().get(incident_id, workspace)
    if incident.status == IncidentStatus.RESOLVED.value:
        raise ConflictError(f"incident {incident_id} is resolved; reopen it to diagnose it again")
    function = settings.workflow().workflow_function_name
    if not function:
        raise ServiceUnavailableError("the workflow function is not configured (PAGERLESS_WORKFLOW_FUNCTION_NAME)")
    timeline.record(incident, "rediagnosis_requested", "diagnosis re-run requested", actor=actor)
    # the request's id keys its context_refreshed entry: Lambda retries an asynchronous invocation with this payload
    request = uuid.uuid4().hex
    payload = {"step": "rediagnose", "incident_id": incident_id, "workspace": workspace, "actor": actor}
    payload["request"] = request
    _lambda().invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode())
    return {"incident_id": incident_id, "queued": True}


def rediagnose(incident_id: str, workspace: str, actor: str, request: str | None = None) -> dict:
    """The queued step: fresh context, then the Diagnose step. With the ``request``'s id (a payload queued before
    it had one has none), its `context_refreshed` and `diagnosed` entries are written once for it: Lambda retries a
    failed asynchronous invocation with the same payload (the retry keeps the diagnosis an attempt stored)."""
    from pagerless.workflow.context import collect_and_store
    from pagerless.workflow.diagnose import diagnose_incident
    from pagerless.workflow.incidents import load

    incident = load(incident_id, workspace)
    collect_and_store(
        incident, event_type="context_refreshed", actor=actor, key={"request": request} if request else None
    )
    return diagnose_incident(incident_id, workspace, request=request)
