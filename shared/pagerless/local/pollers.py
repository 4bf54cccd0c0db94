"""SQS event sources, run the way Lambda runs them (moto's own mapping has no retries).

Batch size and batching window from the event (a batch over 10 is gathered from several
receives, see `SqsPoller._receive`); a batch that raises leaves every message for redelivery; with
ReportBatchItemFailures only the listed messages stay. A message that stays comes back after
the queue's visibility timeout, and after maxReceiveCount receives the queue's redrive policy
moves it to the DLQ. ``retry_delay_seconds`` lets tests and impatient developers shorten the wait
(AWS itself always waits the full visibility timeout). A message whose visibility the function
changed itself (a consumer that knows when a retry can succeed) keeps what the function set.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from pagerless.local.journal import deferred_sync, sync
from pagerless.local.lambdas import FunctionError, InProcessLambdas
from pagerless.observability import logger

_changed_by_functions: OrderedDict[str, None] = OrderedDict()  # receipt handles whose visibility was set
_CHANGED_KEPT = 10_000  # bounded: a change nobody asks about is forgotten in time
_changed_lock = threading.Lock()


def _watch_visibility_changes() -> None:
    """Note every ChangeMessageVisibility that reaches the embedded SQS (patches once per process)."""
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend, "_pagerless_watched", False):
        return
    original = SQSBackend.change_message_visibility

    def change_message_visibility(self, queue_name, receipt_handle, visibility_timeout):
        result = original(self, queue_name, receipt_handle, visibility_timeout)
        with _changed_lock:
            _changed_by_functions[receipt_handle] = None
            while len(_changed_by_functions) > _CHANGED_KEPT:
                _changed_by_functions.popitem(last=False)
        return result

    SQSBackend.change_message_visibility = change_message_visibility
    SQSBackend._pagerless_watched = True


def _set_by_function(receipt_handle: str) -> bool:
    with _changed_lock:
        return _changed_by_functions.pop(receipt_handle, False) is None


@dataclass
class SqsSource:
    function_logical_id: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    report_failures: bool = False
    batching_window_seconds: float = 0.0


class SqsPoller:
    def __init__(
        self,
        lambdas: InProcessLambdas,
        sqs,
        sources: list[SqsSource],
        *,
        retry_delay_seconds: int | None = None,
        wait_seconds: int = 1,
    ) -> None:
        self.lambdas = lambdas
        self.sqs = sqs
        self.sources = sources
        self.retry_delay_seconds = retry_delay_seconds
        self.wait_seconds = wait_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        if retry_delay_seconds is not None:
            _watch_visibility_changes()

    def start(self) -> None:
        for source in self.sources:
            thread = threading.Thread(
                target=self._loop, args=(source,), daemon=True, name=f"sqs-{source.function_logical_id}"
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_seconds + 5)

    def _loop(self, source: SqsSource) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once(source, wait_seconds=self.wait_seconds):
                    self._stop.wait(0.2)
            except Exception:
                logger().exception("SQS poller failed", extra={"queue": source.queue_url})
                self._stop.wait(1.0)

    def drain(self, max_rounds: int = 50) -> int:
        """Deliver until every source's queue is empty of visible messages (for tests)."""
        delivered = 0
        for _ in range(max_rounds):
            round_count = sum(self.poll_once(source, wait_seconds=0) for source in self.sources)
            delivered += round_count
            if round_count == 0:
                break
        return delivered

    def poll_once(self, source: SqsSource, wait_seconds: int = 0) -> int:
        """Receive one batch and invoke the function with it; returns how many were delivered."""
        messages = self._receive(source, wait_seconds)
        if not messages:
            return 0
        event = {"Records": [self._record(m, source) for m in messages]}
        failed_ids = {m["MessageId"] for m in messages}
        try:
            with deferred_sync():  # made durable by the deletes below (one fsync for the batch)
                result = self.lambdas.invoke(self.lambdas.by_logical_id[source.function_logical_id].name, event)
            if source.report_failures and isinstance(result, dict):
                failed_ids = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            else:
                failed_ids = set()
        except FunctionError as exc:
            logger().warning("SQS batch failed", extra={"error_type": exc.error_type, "queue": source.queue_url})
        for message in messages:
            if message["MessageId"] in failed_ids:
                if self.retry_delay_seconds is not None and not _set_by_function(message["ReceiptHandle"]):
                    self.sqs.change_message_visibility(
                        QueueUrl=source.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self.retry_delay_seconds,
                    )
                    _set_by_function(message["ReceiptHandle"])  # that change was the poller's own
        self._delete([m for m in messages if m["MessageId"] not in failed_ids], source)
        return len(messages)

    def _receive(self, source: SqsSource, wait_seconds: int) -> list[dict]:
        """Up to the batch size: a batch over 10 (SQS's most per receive) is gathered by receiving
        again while full receives come back and the batching window lasts. Lambda waits out the
        window even for a queue that has nothing more; here a short receive ends the batch, so a
        lone alert is not held back."""
        messages: list[dict] = []
        deadline = time.monotonic() + source.batching_window_seconds
        while len(messages) < source.batch_size:
            wanted = min(source.batch_size - len(messages), 10)
            response = self.sqs.receive_message(
                QueueUrl=source.queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=wait_seconds if not messages else 0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if len(received) < wanted or time.monotonic() >= deadline:
                break
        return messages

    def _delete(self, messages: list[dict], source: SqsSource) -> None:
        """Delete the processed messages in one DeleteMessageBatch, as Lambda's event source
        mapping does; made durable with the batch's writes by one fsync. A message SQS could not
        delete comes back after its visibility timeout (consumers are idempotent)."""
        if not messages:
            return
        with deferred_sync():
            response = self.sqs.delete_message_batch(
                QueueUrl=source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        sync()
        for failure in response.get("Failed", []):
            logger().warning(
                "could not delete a processed SQS message",
                extra={"queue": source.queue_url, "code": failure.get("Code"), "error": failure.get("Message")},
            )

    def _record(self, message: dict, source: SqsSource) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {"stringValue": value.get("StringValue"), "dataType": value.get("DataType", "String")}
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": source.queue_arn,
            "awsRegion": self.lambdas.template.region,
        }
