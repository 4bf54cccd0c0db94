"""Timeline events the workflow writes about an incident."""

from datetime import UTC, datetime

from pagerless.incidents.timeline import record
from pagerless.store.incident_updates import claim_execution
from pagerless.store.incidents import IncidentRepository


def record_workflow_started(incident_id: str, execution_arn: str | None = None, entered_at: str | None = None) -> dict:
    """The `workflow_started` timeline event of the incident-response execution; the execution
    stores its own ARN on the incident here (intake does not write it: docs/writes.md).
    ``recorded`` is False, and nothing is written, when the incident already belongs to another
    execution: it was resolved and reopened before this one began, and the reopen started a newer one.

    With the time the step's state was entered (``entered_at``, ISO 8601: Step Functions'
    ``$$.State.EnteredTime``, the same for every retry of the step, and after a flap's settle
    wait, not before it), the entry is written at that time, once per execution (a conditional put
    of a key made of both): the step's retries (its escalation did not start) neither say it again
    nor put it on the event stream again. The `incident.opened` notice is queued again; its
    deliveries are claimed per generation (sent once)."""
    incident = IncidentRepository().get(incident_id)
    if execution_arn and incident.execution_arn != execution_arn:
        claimed = claim_execution(incident_id, execution_arn)
        if claimed is None:
            return {"recorded": False, "incident_id": incident_id, "superseded_by": incident.execution_arn}
        incident = claimed
    at = datetime.fromisoformat(entered_at).astimezone(UTC) if entered_at and execution_arn else None
    record(
        incident,
        "workflow_started",
        "incident response workflow started",
        actor="workflow",
        data={"execution_arn": incident.execution_arn},
        once=execution_arn if at else None,
        at=at,
    )
    from pagerless.incidents.notices import generation_of, publish

    # a reopened incident's run (the reopen handed the incident to it) says so: its message is no new incident's
    reopened = {"reopened": True, "reopened_at": incident.reopened_at.isoformat()} if incident.reopened_at else None
    publish("incident.opened", incident, generation=generation_of(incident.execution_arn or "-"), data=reopened)
    return {"recorded": True, "incident_id": incident_id}
