"""Which AWS errors are AWS unavailable for a moment (`pagerless.store.throttling.unavailable`): throttles, the
service's own failures, no connection. The API answers those 503 with Retry-After and everything else as it did."""

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from pynamodb.exceptions import (
    CancellationReason,
    GetError,
    PutError,
    QueryError,
    TransactWriteError,
    VerboseClientError,
)

from pagerless.store.throttling import throttled_code, unavailable

pytestmark = pytest.mark.unit


def _client_error(code: str, status: int | None = None) -> ClientError:
    metadata = {"ResponseMetadata": {"HTTPStatusCode": status}} if status else {}
    return ClientError({"Error": {"Code": code, "Message": "injected"}, **metadata}, "Op")


def _as_pynamodb_raises(error: ClientError, wrapper=GetError):
    """As PynamoDB raises a refused call: its own VerboseClientError (the code kept, the HTTP status dropped)
    raised from botocore's, wrapped in the operation's error."""
    try:
        try:
            raise error
        except ClientError as exc:
            raise VerboseClientError({"Error": exc.response["Error"]}, "Op") from exc
    except VerboseClientError as verbose:
        return wrapper("Failed", verbose)


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


ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (_client_error("InternalServerError", 500), "failed", "InternalServerError"),
        (_as_pynamodb_raises(_client_error("InternalServerError", 500)), "failed", "InternalServerError"),
        (_client_error("ServiceUnavailableException", 503), "failed", "ServiceUnavailableException"),
        (_as_pynamodb_raises(_client_error("BadGateway", 502)), "failed", "BadGateway"),  # its status tells
        (_client_error("", 504), "failed", "HTTP 504"),
        (EndpointConnectionError(endpoint_url=ENDPOINT), "unreachable", "EndpointConnectionError"),
        (QueryError("Failed", ConnectTimeoutError(endpoint_url=ENDPOINT)), "unreachable", "ConnectTimeoutError"),
        (GetError("Failed", ReadTimeoutError(endpoint_url=ENDPOINT)), "unreachable", "ReadTimeoutError"),
        (ConnectionClosedError(endpoint_url=ENDPOINT), "unreachable", "ConnectionClosedError"),
        (_as_pynamodb_raises(_client_error("ThrottlingException", 400)), "throttled", "ThrottlingException"),
    ],
)
def test_aws_unavailable_for_a_moment_is_named(error, kind, code):
    found = unavailable(error)
    assert (found.kind, found.code) == (kind, code)


@pytest.mark.parametrize(
    "error",
    [
        _client_error("AccessDeniedException", 400),
        _as_pynamodb_raises(_client_error("ValidationException", 400)),
        _client_error("AccessDenied", 403),
        _client_error("NotImplemented", 501),  # no retry makes it implemented
        NoCredentialsError(),  # a configuration to fix
        SSLError(endpoint_url=ENDPOINT, error="certificate verify failed"),
        ConnectionError("not botocore's"),
        TypeError("a bug"),
    ],
)
def test_errors_that_are_not_aws_unavailable(error):
    assert unavailable(error) is None
    assert throttled_code(error) is None


def test_a_server_error_is_no_throttle():
    assert throttled_code(_client_error("InternalServerError", 500)) is None
