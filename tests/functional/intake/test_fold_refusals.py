"""An alert's duplicates reach its incident's count in one transaction (`AlertRepository.fold`). A fold DynamoDB
throttles fails the delivery, which the queue consumer then retries (`pagerless.intake.consumer`: a raised error
fails the record, SQS redelivers it): after the retry every firing is counted once, on the incident it belongs to.
Deliveries are made as the consumer makes them (a delivery mark each; a retry is the same delivery again), on the
embedded AWS, with DynamoDB's answer injected at the AWS boundary."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark, intake_at
from tests.functional.refusals import cancelled, refusing

pytestmark = pytest.mark.functional

WORKSPACE = "default"
THROTTLED = cancelled("ThrottlingError", "None")  # the alert item's update, the incident's


def _alert():
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="fold-1", status="firing", title="orders backlog", service=None)


def _counted(incident_id: str) -> int:
    """The incident's alert count as the API reads it (its stored count and the duplicates not folded yet)."""
    from pagerless.incidents.service import IncidentService

    return IncidentService().get(WORKSPACE, incident_id).alert_count


def _fire_count() -> int:
    from pagerless.store.alerts import AlertRecord, alert_key

    return int(AlertRecord.get(alert_key(WORKSPACE, "generic", "fold-1")).fire_count)


def test_a_refire_whose_fold_is_throttled_counts_the_old_duplicates_on_the_old_incident_after_its_retry(runtime):
    from pynamodb.exceptions import PynamoDBException

    from pagerless.incidents.lifecycle import IncidentLifecycle

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given an alert that opened an incident and fired twice more (duplicates its incident has not heard of yet)
    first = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    for second in (1, 2):
        now[0] = t0 + timedelta(seconds=second)
        assert intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).action == "deduplicated"
    assert _counted(first) == 3
    # And the workflow resolved the incident while the alert still fired
    IncidentLifecycle(intake.incidents).resolve(
        intake.incidents.get(first), by="workflow", resolution="fixed", now=now[0]
    )
    # When the alert fires again after the reopen window (a new incident), and moving the duplicates onto the
    # first incident is throttled
    now[0] = t0 + timedelta(hours=1)
    refire = delivery_mark("firing", now[0])
    with refusing("TransactWriteItems", "TransactionCanceledException", **THROTTLED) as refused:
        with pytest.raises(PynamoDBException):
            intake.process(_alert(), WORKSPACE, refire)
    assert refused == ["TransactWriteItems"]
    # And the consumer retries the delivery
    retried = intake.process(_alert(), WORKSPACE, refire)
    # Then the re-fire opened one new incident, and each incident counts its own firings, once
    assert retried.action == "created" and retried.incident_id != first
    assert (_counted(first), _counted(retried.incident_id)) == (3, 1)
    assert _fire_count() == 4


def test_a_duplicate_whose_fold_is_throttled_is_counted_once_after_its_retry(runtime):
    from pynamodb.exceptions import PynamoDBException

    from pagerless.intake.service import FOLD_EVERY

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    # Given an alert that opened an incident and fired once more
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    now[0] = t0 + timedelta(seconds=1)
    intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0]))
    # When it fires again a fold period later (its duplicates move onto the incident), and the fold is throttled
    now[0] = t0 + FOLD_EVERY + timedelta(seconds=2)
    late = delivery_mark("firing", now[0])
    with refusing("TransactWriteItems", "TransactionCanceledException", **THROTTLED):
        with pytest.raises(PynamoDBException):
            intake.process(_alert(), WORKSPACE, late)
    # And the consumer retries the delivery
    retried = intake.process(_alert(), WORKSPACE, late)
    # Then it is a duplicate of the incident, and the three firings are counted once each
    assert (retried.action, retried.incident_id) == ("deduplicated", incident_id)
    assert _counted(incident_id) == 3 and _fire_count() == 3
    # And the next duplicate folds them all onto the incident's stored count
    now[0] += timedelta(seconds=1)
    intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0]))
    assert _counted(incident_id) == 4
