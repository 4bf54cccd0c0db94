"""Giving back an alert's claim or a service's correlation slot after a failure is best effort (one not given back
goes stale and is taken over): a release DynamoDB throttles is logged as a warning naming the error, and the caller
goes on with its own error; a release whose condition fails (another writer took over) is no warning; a bug in a
release is not swallowed. DynamoDB's answers are injected at the AWS boundary (tests/functional/refusals.py)."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from pagerless import settings
from tests.functional.intake.conftest import delivery_mark, intake_at
from tests.functional.refusals import cancelled, refusing

pytestmark = pytest.mark.functional


def _warnings(caplog) -> list[dict]:
    return [
        r.__dict__
        for r in caplog.records
        if r.levelname == "WARNING" and r.getMessage() == "best-effort write not made"
    ]


def _service_logs(caplog):
    return caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name)


def test_a_throttled_slot_release_is_a_warning_and_the_caller_goes_on(runtime, caplog):
    from pagerless.store.correlation import CorrelationSlots

    # Given a service's correlation slot held by a root that could not be created
    slots, now = CorrelationSlots(), datetime.now(UTC)
    assert slots.claim("default#prod#orders", "INC-1", now, timedelta(minutes=5))
    # When it is given back while DynamoDB throttles the delete
    with _service_logs(caplog), refusing("DeleteItem", "ProvisionedThroughputExceededException") as refused:
        slots.release("default#prod#orders", "INC-1")
    # Then the caller goes on, and the log names the write and why it was not made
    assert refused == ["DeleteItem"]
    (warning,) = _warnings(caplog)
    assert warning["write"] == "giving a correlation slot back"
    assert (warning["error_type"], warning["aws_code"]) == ("DeleteError", "ProvisionedThroughputExceededException")
    assert slots.get("default#prod#orders").root_id == "INC-1"  # it expires or is taken over instead


def test_a_slot_another_root_took_over_is_no_warning(runtime, caplog):
    from pagerless.store.correlation import CorrelationSlots

    # Given a slot another root holds now
    slots, now = CorrelationSlots(), datetime.now(UTC)
    assert slots.claim("default#prod#orders", "INC-2", now, timedelta(minutes=5))
    # When a root that no longer holds it gives it back
    with _service_logs(caplog):
        slots.release("default#prod#orders", "INC-1")
    # Then nothing is logged as a problem, and the holder keeps it
    assert _warnings(caplog) == []
    assert slots.get("default#prod#orders").root_id == "INC-2"


def test_a_bug_in_a_release_is_not_swallowed(runtime):
    from pagerless.store.correlation import CorrelationSlots

    # When a release is handed what no slot can hold (a programming error of its caller)
    # Then the error is raised, not swallowed as a failed best-effort write
    with pytest.raises((TypeError, AttributeError)):
        CorrelationSlots().release("default#prod#orders", root_id=object())


def test_a_refire_whose_processing_fails_and_whose_claim_release_is_throttled_raises_its_own_error(runtime, caplog):
    from pynamodb.exceptions import TransactWriteError

    from pagerless.domain.alerts import Alert
    from pagerless.incidents.lifecycle import IncidentLifecycle

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    alert = Alert(source="generic", fingerprint="release-1", status="firing", title="orders backlog", service=None)
    # Given an alert that opened an incident, fired once more, and whose incident the workflow resolved
    first = intake.process(alert, "default", delivery_mark("firing", t0)).incident_id
    now[0] = t0 + timedelta(seconds=1)
    intake.process(alert, "default", delivery_mark("firing", now[0]))
    IncidentLifecycle(intake.incidents).resolve(
        intake.incidents.get(first), by="workflow", resolution="fixed", now=now[0]
    )
    # When it fires again (it claims the alert, then moves its duplicates onto the old incident), DynamoDB throttles
    # that move, and then throttles giving the claim back
    now[0] = t0 + timedelta(hours=1)
    with (
        _service_logs(caplog),
        refusing("TransactWriteItems", "TransactionCanceledException", **cancelled("ThrottlingError", "None")) as moves,
        refusing("UpdateItem", "ThrottlingException", when=lambda: bool(moves)) as releases,
        pytest.raises(TransactWriteError),
    ):
        intake.process(alert, "default", delivery_mark("firing", now[0]))
    # Then the delivery fails with its own error (the consumer retries it), not the release's
    assert moves and releases == ["UpdateItem"]
    # And the release that was not made is logged as a warning naming its error
    assert [(w["write"], w["error_type"], w["aws_code"]) for w in _warnings(caplog)] == [
        ("giving an alert claim back", "UpdateError", "ThrottlingException")
    ]
