"""Tests make SQS refuse at the AWS boundary through one supported hook (`tests.functional.refusals.sqs_refusing`):
it reaches every SQS call the code makes, the intake's AlertQueue and the outbox's NotifyQueue alike, without
reaching into a module's private client."""

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from tests.functional.refusals import sqs_refusing

pytestmark = pytest.mark.functional


def test_one_hook_refuses_the_intakes_and_the_outboxs_sends(runtime):
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.intake.queue import IngestEnvelope
    from pagerless.intake.queue import enqueue as queue_alert
    from pagerless.outbox.jobs import NotifyJob
    from pagerless.outbox.jobs import enqueue as queue_job

    envelope = IngestEnvelope.build(
        source="generic",
        workspace="default",
        body=b"{}",
        content_type="application/json",
        received_at=datetime.now(UTC),
    )
    job = NotifyJob(workspace="default", event="incident.resolved", incident_id="INC-1")
    # Given SQS refusing the next two SendMessage calls
    with sqs_refusing("SendMessage", times=2) as refused:
        # When the intake queues an alert and the outbox a notification job
        with pytest.raises(ServiceUnavailableError):
            queue_alert(envelope)
        with pytest.raises(ClientError):
            queue_job(job)
    # Then both were refused by the one hook, and once it is gone both are taken
    assert refused == ["SendMessage", "SendMessage"]
    queue_alert(envelope)
    queue_job(job)
