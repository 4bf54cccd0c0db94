"""Whether an error is AWS asking to be called again later: throttling that outlasted botocore's own retries.

The API answers such an error 503 with ``Retry-After`` (pagerless.api.errors), not a 500: nothing is wrong with
the request or the code, and the same request a moment later can succeed. Only the store speaks PynamoDB, so the
question is asked here; the API imports this module only when a request has failed (no cold start pays for it).
"""

from botocore.exceptions import ClientError
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
# How long a caller waits before trying a throttled request again. botocore has already backed off a few
# times inside the call; DynamoDB's adaptive capacity and on-demand scaling react within seconds.
RETRY_AFTER_SECONDS = 2


def throttled_code(exc: BaseException | None) -> str | None:
    """The AWS code that makes ``exc`` a throttle (``ProvisionedThroughputExceededException``, a cancelled
    transaction's ``ThrottlingError``...), looking through PynamoDB's wrapping and ``raise ... from``; None if it
    is not one. A programming error raised while handling a throttle is not one (only explicit causes count)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        code = _code(exc)
        if code is not None:
            return code
        exc = getattr(exc, "cause", None) if isinstance(exc, PynamoDBException) and exc.cause else exc.__cause__
    return None


def _code(exc: BaseException) -> str | None:
    if isinstance(exc, TransactWriteError):
        reasons = {getattr(r, "code", None) for r in (exc.cancellation_reasons or [])}
        if reasons & THROTTLED_REASONS and not reasons & _ANSWERED_REASONS:
            return next(iter(sorted(str(r) for r in reasons & THROTTLED_REASONS)))
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        if code in THROTTLED_CODES:
            return code
    return None
