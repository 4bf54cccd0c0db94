"""Starting the incident-response workflow: one execution per incident, named after it."""

import json

from pagerless import settings, step_functions
from pagerless.observability import logger
from pagerless.store.incident_updates import set_execution


class WorkflowStartError(Exception):
    """Step Functions could not start the execution (the caller retries later)."""


def start_incident_workflow(
    incident, *, name: str | None = None, record_arn: bool = True, settle_seconds: int | None = None
) -> str | None:
    """StartExecution named after the incident (a retry cannot start a second one: an existing
    execution counts as started) and store its ARN on the incident. None if no state machine
    is configured.

    The ARN is stored before the start: the incident belongs to the new execution from its first
    step on, and an earlier execution still running stops at its next step
    (pagerless.workflow.incidents). ``record_arn=False`` leaves the ARN to the execution itself:
    its first step (IncidentOpened) stores it (intake uses this for a new incident: one write less
    per new alert, docs/writes.md; a reopen stores it with the reopen). ``settle_seconds``: a
    flap's reopen; the execution waits that long and goes on only if the alert still fires
    (`pagerless.workflow.flapping`)."""
    machine = settings.workflow().incident_state_machine_arn
    if not machine:
        return None
    execution_name = name or incident.id
    if record_arn:
        set_execution(incident.id, execution_arn(execution_name, machine))
    try:
        arn = step_functions.client().start_execution(
            stateMachineArn=machine,
            name=execution_name,
            input=json.dumps(
                {
                    "incident_id": incident.id,
                    "workspace": incident.workspace,
                    **({"settle_seconds": settle_seconds} if settle_seconds is not None else {}),
                }
            ),
        )["executionArn"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code != "ExecutionAlreadyExists":
            raise WorkflowStartError(f"could not start the workflow of {incident.id}") from exc
        arn = execution_arn(execution_name, machine)
    logger().info("workflow started", extra={"incident_id": incident.id, "execution": execution_name})
    return arn


def execution_arn(name: str, machine: str | None = None) -> str | None:
    """The ARN the incident-response execution named ``name`` has (None: no state machine)."""
    machine = machine or settings.workflow().incident_state_machine_arn
    return step_functions.execution_arn(machine, name) if machine else None
