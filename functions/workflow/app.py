"""Workflow task handler: Step Functions passes {"step": ..., ...}; the step's exception class
name becomes the ASL error name (Retry/Catch match on it)."""

from pagerless.observability import logger
from pagerless.workflow.steps import run_step


@logger().inject_lambda_context(clear_state=True)
def handler(event: dict, context) -> dict:
    logger().append_keys(step=event.get("step"), incident_id=event.get("incident_id"))
    return run_step(event)
