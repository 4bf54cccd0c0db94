"""A never-seen alert's item and its new incident are put in one transaction (`IncidentRepository.add` with an
alongside item). Only a race lost (a condition failed, or another transaction on the item at that moment) is an
answer: the incident's number taken (another is allocated) or the alert's item put first by another delivery. A
transaction DynamoDB throttled is no lost race: it fails the delivery, which the consumer retries, and no number
is spent on it. Deliveries are made as the consumer makes them, on the embedded AWS, with DynamoDB's answer
injected at the AWS boundary (tests/functional/refusals.py)."""

import logging
from datetime import UTC, datetime

import pytest

from pagerless import settings
from tests.functional.intake.conftest import delivery_mark, incident_count, intake_at
from tests.functional.refusals import cancelled, refusing

pytestmark = pytest.mark.functional

REALLOCATED = "incident id already taken; allocating another"


def _alert():
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="open-1", status="firing", title="orders backlog", service=None)


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("reasons", [("ThrottlingError", "None"), ("None", "ProvisionedThroughputExceeded")])
def test_a_throttled_opening_is_no_lost_race_and_its_retry_opens_the_incident(runtime, caplog, reasons):
    from pynamodb.exceptions import TransactWriteError

    now = [datetime.now(UTC)]
    intake, mark = intake_at(now), delivery_mark("firing", now[0])
    # When a new alert's opening transaction is throttled on the incident's item or on the alert's
    with (
        caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name),
        refusing("TransactWriteItems", "TransactionCanceledException", **cancelled(*reasons)) as refused,
    ):
        # Then the delivery fails with the throttle (the consumer retries it): no other number is tried
        with pytest.raises(TransactWriteError):
            intake.process(_alert(), "default", mark)
    assert refused == ["TransactWriteItems"]
    assert REALLOCATED not in _messages(caplog)
    assert incident_count() == 0
    # And the retry opens the alert's incident, once
    retried = intake.process(_alert(), "default", mark)
    assert retried.action == "created" and incident_count() == 1


def test_an_opening_that_met_another_transaction_on_its_number_takes_another(runtime, caplog):
    now = [datetime.now(UTC)]
    intake = intake_at(now)
    # When a new alert's opening meets another transaction on the incident's item (TransactionConflict)
    with (
        caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name),
        refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("TransactionConflict", "None")),
    ):
        opened = intake.process(_alert(), "default", delivery_mark("firing", now[0]))
    # Then it is a race lost for the number: another is allocated, and the incident opens in the same delivery
    assert REALLOCATED in _messages(caplog)
    assert opened.action == "created" and incident_count() == 1
