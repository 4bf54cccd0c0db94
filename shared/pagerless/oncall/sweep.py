"""The scheduled safety net (`escalation-sweep`) for escalations nobody started: a start that
failed past its step's retries (the workflow goes on without it) or whose process died leaves the
escalation's record running without an execution, and nobody paged. Every such record older than
the start grace (`PAGERLESS_WORKFLOW_ESCALATION_START_GRACE_SECONDS`) is started here, by the same
path as a retried step (`engine.start` finds the record and starts it under its own name and input),
unless its incident was resolved or acknowledged meanwhile: then it is ended or stopped instead.

It reads only the records still waiting for an execution (the system table's sparse `sweeps` index,
kind ``escalation``); the first sweep on a table looks once through the whole table for those an older
version left without their index keys (`EscalationRepository.key_unstarted`)."""

from datetime import datetime, timedelta

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents.escalations import finish
from pagerless.observability import logger
from pagerless.oncall import engine
from pagerless.oncall.policies import Cursor
from pagerless.store.oncall import EscalationRecord, EscalationRepository


def sweep(sfn=None, now: datetime | None = None) -> list[dict]:
    """Start every escalation left without an execution; what was done for each."""
    if not settings.workflow().escalation_state_machine_arn:
        return []
    grace = timedelta(seconds=settings.workflow_timing().escalation_start_grace_seconds)
    sfn = sfn or step_functions.client()
    done = []
    for record in EscalationRepository().awaiting_start(before=(now or utcnow()) - grace):
        try:
            done.append({"incident_id": record.incident_id, "escalation": record.sk, "start": _start(record, sfn)})
        except Exception as exc:  # one escalation must not stop the others; the next sweep tries again
            logger().exception("could not start the escalation", extra={"incident_id": record.incident_id})
            done.append(
                {
                    "incident_id": record.incident_id,
                    "escalation": record.sk,
                    "start": "failed",
                    "error": type(exc).__name__,
                }
            )
    return done


def _start(record: EscalationRecord, sfn) -> str:
    from pagerless.store.incidents import IncidentRepository

    if record.status != "running" or record.execution_arn:
        return "started"  # by a retry, between the index and the read
    incident = IncidentRepository().get(record.incident_id)
    if incident.status == IncidentStatus.RESOLVED.value:
        finish(record, "ended", "the incident was resolved before its escalation started", stop_execution=False)
        return "ended"
    if incident.acknowledged:
        reason = f"acknowledged by {incident.acknowledged_by} before its escalation started"
        finish(record, "stopped", reason, stop_execution=False)
        return "stopped"
    cursor = Cursor(**(record.cursor or {"step": 0, "repeat": 0}))
    started = engine.start(
        incident, generation=record.sk, kind=record.kind, cursor=cursor, reason=record.reason, sfn=sfn
    )
    if started is not None:
        return started.execution_name
    current = EscalationRepository().get(record.incident_id, record.sk)
    if current is not None and current.status == "running" and not current.execution_arn:
        # start() starts a record only while a policy covers its incident (the policy was deleted, the
        # incident moved to another service): otherwise every sweep would find it again
        finish(current, "ended", "no escalation policy covers the incident any more", stop_execution=False)
        return "ended"
    return "started"
