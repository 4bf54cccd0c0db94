"""AlertQueue consumer: SNS notifications (CloudWatch, EventBridge, other accounts) and webhook
payloads queued for later, through the intake service; failed records are retried by SQS."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pagerless.intake.consumer import handle_alert_record, register_context
from pagerless.observability import lambda_context

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> list[dict]:
    return handle_alert_record(
        record.body,
        record.raw_event.get("messageAttributes"),
        record.raw_event.get("attributes"),
        record.receipt_handle,
    )


@lambda_context
def handler(event: dict, context) -> dict:
    register_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
