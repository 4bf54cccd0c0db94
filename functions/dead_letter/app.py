"""AlertDLQ and NotifyDLQ consumer: what the queues gave up on goes to the dead-letter store the API reads."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pagerless.coldstart import gc_after_first
from pagerless.intake.consumer import handle_dead_record
from pagerless.observability import lambda_context

processor = BatchProcessor(event_type=EventType.SQS)


def _is_notify_job(body: str) -> bool:
    """NotifyDLQ messages are notification jobs (pagerless.outbox.jobs): JSON with kind "notify"."""
    return body.startswith("{") and '"kind":"notify"' in body


def record_handler(record: SQSRecord) -> None:
    if _is_notify_job(record.body):
        from pagerless.notify.dead_letters import put_job

        put_job(record.body, error="gave up after the notify queue's retries")
        return
    handle_dead_record(record.body, record.raw_event.get("messageAttributes"), record.raw_event.get("attributes"))


@gc_after_first
@lambda_context
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
