"""The explicit registry of workflow steps: event["step"] -> function(event) -> dict."""

from collections.abc import Callable

from pagerless.system import selfcheck

Step = Callable[[dict], dict]


def _selfcheck_start(event: dict) -> dict:
    return selfcheck.record_start(event["check_id"])


def _selfcheck_wait(event: dict) -> dict:
    selfcheck.store_token(event["check_id"], event["task_token"])
    return {"waiting": True}


def _incident_opened(event: dict) -> dict:
    from pagerless.incidents.workflow_events import record_workflow_started

    return record_workflow_started(event["incident_id"])


STEPS: dict[str, Step] = {
    "incident_opened": _incident_opened,
    "selfcheck_start": _selfcheck_start,
    "selfcheck_wait": _selfcheck_wait,
}


class UnknownStepError(Exception):
    """The state machine named a step this code does not have (a deploy mismatch)."""


def run_step(event: dict) -> dict:
    step = STEPS.get(event.get("step", ""))
    if step is None:
        raise UnknownStepError(f"unknown workflow step {event.get('step')!r}")
    return step(event)
