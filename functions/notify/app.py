"""NotifyQueue consumer: each job is routed, rendered and delivered; failed jobs come back (partial batch)."""

import pagerless.bundle  # noqa: F401 - first: the layer's modules load from its bundle (pagerless/bundle.py)

# isort: split
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pagerless.coldstart import gc_after_first
from pagerless.notify.bootstrap import handle_record
from pagerless.observability import lambda_context

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context=None) -> None:
    remaining = lambda_context.get_remaining_time_in_millis() if lambda_context is not None else None
    handle_record(record.body, remaining, record.receipt_handle)


@gc_after_first
@lambda_context
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
