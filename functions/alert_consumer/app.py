"""AlertQueue consumer: SNS notifications (CloudWatch, EventBridge, other accounts) and webhook
payloads queued for later, through the intake service; failed records are retried by SQS."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pagerless.coldstart import gc_after_first
from pagerless.intake.consumer import AlertBatch, register_context
from pagerless.observability import lambda_context

processor = BatchProcessor(event_type=EventType.SQS)


@gc_after_first
@lambda_context
def handler(event: dict, context) -> dict:
    register_context(context)
    # Read whole: repeats of an alert count in one write; records it has no time left for go back.
    batch = AlertBatch(event.get("Records") or [], context.get_remaining_time_in_millis)

    def record_handler(record: SQSRecord) -> list[dict]:
        return batch.handle(record.message_id)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
