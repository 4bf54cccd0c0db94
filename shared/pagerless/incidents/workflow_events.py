"""Timeline events the workflow writes about an incident."""

from pagerless.incidents.timeline import record
from pagerless.store.incidents import IncidentRepository


def record_workflow_started(incident_id: str) -> dict:
    """The `workflow_started` timeline event of the incident-response execution."""
    incident = IncidentRepository().get(incident_id)
    record(
        incident,
        "workflow_started",
        "incident response workflow started",
        actor="workflow",
        data={"execution_arn": incident.execution_arn},
    )
    from pagerless.incidents.notices import generation_of, publish

    publish("incident.opened", incident, generation=generation_of(incident.execution_arn or "-"))
    return {"recorded": True, "incident_id": incident_id}
