"""What Step Functions says of a job's execution: its status, and its history as trace entries.
Beside our records, never in their stead (`jobs.service`)."""

from __future__ import annotations

from datetime import UTC

from pagerless import step_functions
from pagerless.clock import parse_time


def described(arn: str | None) -> dict | None:
    """The execution's status and times; ``UNKNOWN`` when Step Functions no longer has it."""
    if not arn:
        return None
    try:
        answer = step_functions.client().describe_execution(executionArn=arn)
    except Exception as exc:  # a restart of `pagerless dev` forgets executions: our records stand
        return {"status": "UNKNOWN", "note": f"{type(exc).__name__}"}
    return {
        "status": answer["status"],
        "started_at": answer["startDate"].astimezone(UTC).isoformat(),  # botocore's are local times
        "stopped_at": answer["stopDate"].astimezone(UTC).isoformat() if answer.get("stopDate") else None,
    }


def when(entry: dict):
    """An entry's time, as a time: the two sources' texts need not share a zone or a precision."""
    return parse_time(entry["time"])


def history(arn: str | None) -> list[dict]:
    """The execution's states as trace entries (none when it is gone)."""
    if not arn:
        return []
    from pagerless.workflow.trace import steps_from_history

    try:
        events = step_functions.client().get_execution_history(executionArn=arn, maxResults=1000)["events"]
    except Exception:  # gone after a restart: our own events are the trace
        return []
    steps, _ = steps_from_history(events)
    return [
        {
            "time": s["entered_at"],
            "event": "StateEntered",
            "node": s["name"],
            "status": s["status"],
            "duration_ms": s["duration_ms"],
            "error": s["error"],
            "source": "stepfunctions",
        }
        for s in steps
    ]
