"""Per-caller rate limits (seed 003's table), counted across Lambda instances.

Each request is matched to a bucket by method and path; the caller is the authenticated key (or
user). Counting is a fixed one-minute window in DynamoDB (`store.ratelimits.take`: one
conditional UpdateItem per request). The in-process fast path: once this process knows a
window is full, or its own count alone reached the limit, it answers without calling DynamoDB
until the window ends.

Over the limit an ordinary route answers 429 ``RATE_LIMITED`` with ``Retry-After``; alert intake
is never refused for it — the webhook queues the payload on the AlertQueue and answers 202.
If the counter cannot be reached the request is let through (a limiter must not take the API down).
"""

import re
import threading
import time
from dataclasses import dataclass

from pagerless import settings
from pagerless.domain.errors import RateLimitedError
from pagerless.observability import logger

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Rule:
    bucket: str
    method: str
    pattern: re.Pattern
    per_minute: int | None  # None: the configured default for this kind of route

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method == method) and bool(self.pattern.match(path))


_ID = r"[^/]+"
RULES: tuple[Rule, ...] = (
    Rule("runs", "POST", re.compile(r"^/api/runs/?$"), 100),
    Rule("job-signal", "POST", re.compile(rf"^/api/jobs/{_ID}/signal/?$"), 60),
    Rule("job-read", "GET", re.compile(rf"^/api/jobs/{_ID}(/.*)?$"), 300),
)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    bucket: str
    limit: int
    remaining: int
    retry_after: int  # seconds until the window ends


def rule_for(method: str, path: str, *, intake: bool = False) -> tuple[str, int]:
    """The bucket and the per-minute limit of a request (0: not limited)."""
    for rule in RULES:
        if rule.matches(method, path):
            return rule.bucket, rule.per_minute or 0
    config = settings.rate_limits()
    return ("intake", config.intake_per_minute) if intake else ("default", config.default_per_minute)


class Limiter:
    def __init__(self, clock=time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._full: dict[tuple[str, str], int] = {}  # (caller, bucket) -> window known full
        self._local: dict[tuple[str, str, int], int] = {}  # this process's own count per window

    def check(self, caller: str, bucket: str, limit: int) -> Verdict:
        now = self.clock()
        window = int(now) - int(now) % WINDOW_SECONDS
        retry_after = max(1, window + WINDOW_SECONDS - int(now))
        if limit <= 0:
            return Verdict(True, bucket, 0, 0, 0)
        with self._lock:
            if self._full.get((caller, bucket)) == window or self._local.get((caller, bucket, window), 0) >= limit:
                self._full[(caller, bucket)] = window
                return Verdict(False, bucket, limit, 0, retry_after)
        from pagerless.store.ratelimits import take

        try:
            count = take(caller, bucket, window, limit, expires_at=window + 2 * WINDOW_SECONDS)
        except Exception as exc:  # noqa: BLE001 - fail open: the limiter must not take the API down
            logger().warning(
                "rate limit counter unavailable; request allowed", extra={"error_type": type(exc).__name__}
            )
            return Verdict(True, bucket, limit, limit, retry_after)
        with self._lock:
            if len(self._local) > 10_000:
                self._local = {k: v for k, v in self._local.items() if k[2] == window}
            self._local[(caller, bucket, window)] = self._local.get((caller, bucket, window), 0) + 1
            if count is None:
                self._full[(caller, bucket)] = window
        if count is None:
            return Verdict(False, bucket, limit, 0, retry_after)
        return Verdict(True, bucket, limit, max(0, limit - count), retry_after)

    def reset(self) -> None:
        with self._lock:
            self._full.clear()
            self._local.clear()


LIMITER = Limiter()


def enforce(request, principal, *, intake: bool = False) -> Verdict | None:
    """Count the request for its caller; raise RateLimitedError over the limit, except for intake,
    whose verdict is left on ``request.state.rate_limit`` for the webhook to queue the payload."""
    if not settings.rate_limits().enabled:
        return None
    bucket, limit = rule_for(request.method, request.url.path, intake=intake)
    verdict = LIMITER.check(principal.key_id, bucket, limit)
    request.state.rate_limit = verdict
    if not verdict.allowed and not intake:
        raise RateLimitedError(
            f"rate limit of {limit} requests per minute exceeded for {bucket}; retry in {verdict.retry_after}s",
            details=[{"bucket": bucket, "limit": limit, "retry_after": verdict.retry_after}],
            retry_after=verdict.retry_after,
        )
    return verdict
