"""Timeline events the workflow writes about an incident."""

from pagerless.incidents.timeline import record
from pagerless.store.incident_updates import set_execution
from pagerless.store.incidents import IncidentRepository


def record_workflow_started(incident_id: str, execution_arn: str | None = None) -> dict:
    """The `workflow_started` timeline event of the incident-response execution; the execution
    stores its own ARN on the incident here (intake does not write it: docs/writes.md)."""
    incident = IncidentRepository().get(incident_id)
    if execution_arn and incident.execution_arn != execution_arn:
        incident = set_execution(incident_id, execution_arn) or incident
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
