"""Workflow task handler: Step Functions passes {"step": ..., ...}; the step's exception class
name becomes the ASL error name (Retry/Catch match on it)."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from pagerless.coldstart import gc_after_first
from pagerless.observability import append_invocation_keys, lambda_context
from pagerless.workflow.steps import run_step


@gc_after_first
@lambda_context
def handler(event: dict, context) -> dict:
    append_invocation_keys(step=event.get("step"), incident_id=event.get("incident_id"))
    return run_step(event)
