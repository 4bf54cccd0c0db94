"""The incident workflow's trace from Step Functions' execution history: what ran, when, for how
long and what failed. Only names, times, errors and causes are read from the history — never
inputs, outputs or parameters, which carry the task token (the history is asked for without them:
``includeExecutionData=False``). The execution's status, start, stop and error come from the same
history (its Execution* events), so one call answers: no DescribeExecution."""

from datetime import UTC, datetime

from pagerless import step_functions
from pagerless.clock import parse_time
from pagerless.domain.errors import NotFoundError
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow import executions

_FAILURE_DETAILS = (
    "taskFailedEventDetails",
    "taskTimedOutEventDetails",
    "lambdaFunctionFailedEventDetails",
    "lambdaFunctionTimedOutEventDetails",
    "executionFailedEventDetails",
    "executionTimedOutEventDetails",
    "executionAbortedEventDetails",
    "taskSubmitFailedEventDetails",
    "taskStartFailedEventDetails",
)
_MAX_CAUSE = 1000


def execution_arn(incident: IncidentRecord) -> str:
    """The incident's execution: the stored ARN, or the state machine's execution named after the incident."""
    if incident.execution_arn:
        return incident.execution_arn
    named = executions.execution_arn(incident.id)
    if named is None:
        raise NotFoundError(f"incident {incident.id} has no workflow execution")
    return named


def workflow_trace(incident: IncidentRecord, sfn=None) -> dict:
    """Execution status and its steps, oldest first."""
    from botocore.exceptions import ClientError

    sfn = sfn or step_functions.client()
    arn = execution_arn(incident)
    try:
        events = _history(sfn, arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "StateMachineDoesNotExist"):
            raise NotFoundError(f"incident {incident.id} has no workflow execution") from exc
        raise
    steps, failure = steps_from_history(events)
    execution = execution_from_history(events)
    return {
        "incident_id": incident.id,
        "execution_arn": arn,
        "status": execution["status"],
        "started_at": _iso(execution["started"]),
        "stopped_at": _iso(execution["stopped"]),
        "error": execution["error"] or (failure or {}).get("error"),
        "cause": _clip(execution["cause"]) or (failure or {}).get("cause"),
        "steps": steps,
    }


# The events that end an execution (or run it again), with the status DescribeExecution then gives
# and where the event keeps the error and cause it gives.
_ENDINGS = {
    "ExecutionSucceeded": ("SUCCEEDED", "executionSucceededEventDetails"),
    "ExecutionFailed": ("FAILED", "executionFailedEventDetails"),
    "ExecutionTimedOut": ("TIMED_OUT", "executionTimedOutEventDetails"),
    "ExecutionAborted": ("ABORTED", "executionAbortedEventDetails"),
}


def execution_from_history(events: list[dict]) -> dict:
    """What DescribeExecution says of the execution (status, start and stop dates, error, cause),
    read from its history: RUNNING from ExecutionStarted (or a redrive's ExecutionRedriven) until
    an ending event."""
    found = {"status": "RUNNING", "started": None, "stopped": None, "error": None, "cause": None}
    for event in events:
        kind = event["type"]
        if kind == "ExecutionStarted":
            found["started"] = event["timestamp"]
        elif kind == "ExecutionRedriven":
            found.update(status="RUNNING", stopped=None, error=None, cause=None)
        elif kind in _ENDINGS:
            status, details_key = _ENDINGS[kind]
            details = event.get(details_key) or {}
            found.update(
                status=status, stopped=event["timestamp"], error=details.get("error"), cause=details.get("cause")
            )
    return found


RESUME_CHOICES = frozenset({"Resume", "ResumeAt"})  # where a reconciled execution picks up: routing, not a step


def steps_from_history(events: list[dict]) -> tuple[list[dict], dict | None]:
    """One entry per state entered (a loop gives one per pass), with its duration and failure."""
    steps: list[dict] = []
    open_steps: dict[str, dict] = {}
    last_failure: dict | None = None
    for event in events:
        kind = event["type"]
        if "stateEnteredEventDetails" in event:
            name = event["stateEnteredEventDetails"]["name"]
            if name in RESUME_CHOICES:
                continue
            step = {
                "name": name,
                "type": kind.removesuffix("StateEntered"),
                "entered_at": _iso(event["timestamp"]),
                "exited_at": None,
                "duration_ms": None,
                "status": "running",
                "error": None,
                "cause": None,
            }
            steps.append(step)
            open_steps[name] = step
            continue
        if "stateExitedEventDetails" in event:
            step = open_steps.pop(event["stateExitedEventDetails"]["name"], None)
            if step is not None:
                step["exited_at"] = _iso(event["timestamp"])
                step["duration_ms"] = _ms(step["entered_at"], event["timestamp"])
                step["status"] = "failed" if step["error"] else "succeeded"
            continue
        details = next((event[k] for k in _FAILURE_DETAILS if k in event), None)
        if details is not None:
            last_failure = {"error": details.get("error") or kind, "cause": _clip(details.get("cause"))}
            current = steps[-1] if steps else None
            if current is not None and current["exited_at"] is None:
                current.update(last_failure)
                current["status"] = "failed"
                if kind.startswith("Execution"):
                    current["exited_at"] = _iso(event["timestamp"])
                    current["duration_ms"] = _ms(current["entered_at"], event["timestamp"])
    return steps, last_failure


def _history(sfn, arn: str) -> list[dict]:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(
            executionArn=arn, maxResults=1000, includeExecutionData=False, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def _iso(value) -> str | None:
    # botocore gives the history's times in the process's local zone; ours are UTC, and are compared
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def _ms(entered_iso: str, exited: datetime) -> int:
    return int((exited - parse_time(entered_iso)).total_seconds() * 1000)


def _clip(text: str | None) -> str | None:
    return text[:_MAX_CAUSE] if text else text
