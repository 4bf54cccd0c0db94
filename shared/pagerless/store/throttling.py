"""Whether an error is AWS unavailable for a moment, past botocore's own retries: throttling, a server error of the
service (InternalServerError, an HTTP 5xx), or no connection to it (refused, timed out, closed).

The API answers such an error 503 with ``Retry-After`` (pagerless.api.errors), not a 500: nothing is wrong with
the request or the code, and the same request a moment later can succeed. Only the store speaks PynamoDB, so the
question is asked here; the API imports this module only when a request has failed (no cold start pays for it).
The other AWS error the API answers as the caller's is asked here too (`key_too_long`): DynamoDB refusing a key
longer than any key can be, which names nothing stored (404).
"""

from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from pynamodb.exceptions import PynamoDBException, TransactWriteError

# Error codes AWS answers when a caller is over a rate or a capacity (botocore's ThrottledRetryableChecker's union,
# DynamoDB's own among them: ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded), and
# TransactionConflictException: a plain write refused because a transaction was changing the item at that moment,
# which the same write a moment later passes.
THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "TransactionConflictException",
    }
)
# The reasons DynamoDB gives per item of a cancelled transaction that mean "again later". A transaction refused
# for TransactionConflict that reaches the API is one its caller did not read again for: still "again later".
THROTTLED_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"})
# A cancelled transaction whose other items failed their conditions is an answer, not a throttle.
_ANSWERED_REASONS = frozenset({"ConditionalCheckFailed", "ValidationError", "ItemCollectionSizeLimitExceeded"})
# Error codes of a service failing on its side, and the HTTP statuses botocore retries as transient
# (TransientRetryableChecker): any code answered with one of them is the service's failure, not the caller's.
SERVER_CODES = frozenset(
    {
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
SERVER_STATUSES = frozenset({500, 502, 503, 504})
# botocore's connection errors that a moment later may not recur: the endpoint refused or did not answer, the
# connection closed or timed out, a streamed answer broke. Not SSLError nor ProxyConnectionError: a certificate or
# a proxy that is wrong stays wrong, which is a 500 to look at.
UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
    ResponseStreamingError,
)
# How long a caller waits before trying a throttled request again. botocore has already backed off a few
# times inside the call; DynamoDB's adaptive capacity and on-demand scaling react within seconds.
RETRY_AFTER_SECONDS = 2


THROTTLED, FAILED, UNREACHED = "throttled", "failed", "unreachable"


@dataclass(frozen=True)
class Unavailable:
    """Why AWS could not serve a call for the moment: ``kind`` THROTTLED, FAILED (a server error of the service)
    or UNREACHED (no connection); ``code`` the AWS error code, or the name of botocore's connection error."""

    kind: str
    code: str


def unavailable(exc: BaseException | None) -> Unavailable | None:
    """What makes ``exc`` AWS unavailable for a moment, looking through PynamoDB's wrapping and ``raise ... from``;
    None for anything else: an AWS error that is the caller's (AccessDenied, a ValidationException, a condition
    that failed), a programming error. A programming error raised while handling an AWS error is not one (only
    explicit causes count)."""
    return next(filter(None, map(_unavailable, _causes(exc))), None)


def _causes(exc: BaseException | None):
    """``exc`` and what it was raised from, through PynamoDB's wrapping and ``raise ... from``."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "cause", None) if isinstance(exc, PynamoDBException) and exc.cause else exc.__cause__


# How DynamoDB refuses a key longer than a key can be (2,048 bytes for a partition key, 1,024 for a sort key),
# which it does on reads too (GetItem, Query, BatchGetItem...): such a key names no item.
KEY_TOO_LONG = ("Size of hashkey has exceeded", "Aggregated size of all range keys has exceeded")


def key_too_long(exc: BaseException | None) -> bool:
    """Whether ``exc`` is DynamoDB refusing a key longer than any key can be: an id or a name from a request that
    no stored item can have (the API answers 404), not a fault. Not an index key too long on a write: that is
    data the code should have bounded, a 500 to look at."""
    for cause in _causes(exc):
        if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == "ValidationException":
            message = cause.response.get("Error", {}).get("Message") or ""
            if any(text in message for text in KEY_TOO_LONG):
                return True
    return False


def sdk_unavailable(exc: BaseException | None) -> Unavailable | None:
    """`unavailable`, for an error the SDK itself raised (botocore's, PynamoDB's); None for one of Pagerless's own
    errors raised ``from`` it: that error names what failed and has its own handling (the workflow retries and
    catches EscalationNotStartedError by name)."""
    if not isinstance(exc, (ClientError, BotoCoreError, PynamoDBException)):
        return None
    return unavailable(exc)


def throttled_code(exc: BaseException | None) -> str | None:
    """The AWS code that makes ``exc`` a throttle (``ProvisionedThroughputExceededException``, a cancelled
    transaction's ``ThrottlingError``...), as `unavailable` finds it; None if it is not one."""
    found = unavailable(exc)
    return found.code if found is not None and found.kind == THROTTLED else None


def _unavailable(exc: BaseException) -> Unavailable | None:
    code = _throttled_code(exc)
    if code is not None:
        return Unavailable(THROTTLED, code)
    if isinstance(exc, UNREACHABLE):
        return Unavailable(UNREACHED, type(exc).__name__)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code") or ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in SERVER_CODES or status in SERVER_STATUSES:
            return Unavailable(FAILED, code or f"HTTP {status}")
    return None


def _throttled_code(exc: BaseException) -> str | None:
    if isinstance(exc, TransactWriteError):
        reasons = {getattr(r, "code", None) for r in (exc.cancellation_reasons or [])}
        if reasons & THROTTLED_REASONS and not reasons & _ANSWERED_REASONS:
            return next(iter(sorted(str(r) for r in reasons & THROTTLED_REASONS)))
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        if code in THROTTLED_CODES:
            return code
    return None
