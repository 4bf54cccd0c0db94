"""Scheduled jobs fired by EventBridge: the event's Input names the job."""

from pagerless.observability import logger
from pagerless.system.jobs import run_job


@logger().inject_lambda_context(clear_state=True)
def handler(event: dict, context) -> dict:
    return run_job(event.get("job", ""), event)
