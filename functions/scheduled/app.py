"""Scheduled jobs fired by EventBridge: the event's Input names the job."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from pagerless.coldstart import gc_after_first
from pagerless.observability import lambda_context
from pagerless.system.jobs import run_job


@gc_after_first
@lambda_context
def handler(event: dict, context) -> dict:
    return run_job(event.get("job", ""), event)
