"""Which AWS errors are throttles (`pagerless.store.throttling.throttled_code`): the API answers those 503 with
Retry-After and everything else as it did."""

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import CancellationReason, GetError, PutError, TransactWriteError, VerboseClientError

from pagerless.store.throttling import throttled_code

pytestmark = pytest.mark.unit


def _client_error(code: str, **response) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}, **response}, "Op")


def _cancelled(*reasons: str) -> TransactWriteError:
    """As PynamoDB raises a cancelled transaction: a reason per item, None for an item that was fine."""
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "injected"}},
        "TransactWriteItems",
        cancellation_reasons=[None if r == "None" else CancellationReason(code=r) for r in reasons],
    )
    return TransactWriteError("Failed to write transaction items", cause)


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ThrottlingException"),
        GetError("Failed to get item", _client_error("ProvisionedThroughputExceededException")),
        PutError("Failed to put item", _client_error("RequestLimitExceeded")),
        _cancelled("ThrottlingError", "None"),
        _cancelled("None", "ProvisionedThroughputExceeded"),
    ],
)
def test_throttles_are_named(error):
    assert throttled_code(error) is not None


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ValidationException"),
        PutError("Failed to put item", _client_error("ConditionalCheckFailedException")),
        _cancelled("ConditionalCheckFailed", "ThrottlingError"),  # an answer: the condition failed
        TypeError("a bug"),
        None,
    ],
)
def test_other_errors_are_not_throttles(error):
    assert throttled_code(error) is None


def test_a_wrapped_throttle_counts_but_a_bug_while_handling_one_does_not():
    throttle = _client_error("ThrottlingException")
    wrapped = RuntimeError("could not read")
    wrapped.__cause__ = throttle
    assert throttled_code(wrapped) == "ThrottlingException"
    bug = AttributeError("'NoneType' object has no attribute 'id'")
    bug.__context__ = throttle  # raised inside an `except` of the throttle, not from it
    assert throttled_code(bug) is None
