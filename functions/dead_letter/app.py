"""AlertDLQ consumer: what the AlertQueue gave up on goes to the dead-letter store the API reads."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pagerless.intake.consumer import handle_dead_record
from pagerless.observability import logger

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    handle_dead_record(record.body, record.raw_event.get("messageAttributes"), record.raw_event.get("attributes"))


@logger().inject_lambda_context(clear_state=True)
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
