"""Stop an incident's escalations: acknowledge and resolve write the stop on each running
escalation record first, then stop its Step Functions execution, so a late tick of the escalation
engine (``pagerless.oncall.engine``) finds the record stopped and pages nobody.

It lives with the incident because acknowledging and resolving are the incident's own moves; the
engine, which starts and ticks escalations, sits above and uses ``finish`` too.
"""

from botocore.exceptions import ClientError

from pagerless import step_functions
from pagerless.observability import logger
from pagerless.store.escalations import EscalationRecord, EscalationRepository

__all__ = ["finish", "stop_for_incident"]


def stop_for_incident(incident_id: str, status: str, reason: str, *, sfn=None) -> int:
    """Stop every running escalation of the incident: the record first, then the execution."""
    stopped = 0
    for record in EscalationRepository().for_incident(incident_id):
        if finish(record, status, reason, sfn=sfn):
            stopped += 1
        elif record.given_up_listed:  # a person has it now: /api/status no longer lists it
            EscalationRepository().settle(record)
    return stopped


def finish(record: EscalationRecord, status: str, reason: str, *, sfn=None, stop_execution: bool = True) -> bool:
    if record.status != "running" or not EscalationRepository().finish(record, status, reason):
        return False
    if stop_execution and record.execution_arn:
        client = sfn or step_functions.client()
        try:
            client.stop_execution(executionArn=record.execution_arn, cause=reason[:200])
        except ClientError:  # already ended or gone: the record decides, a late tick does nothing
            logger().info("escalation execution already ended", extra={"execution": record.execution_name})
    return True
