"""Requests first: in `pagerless dev`, background work steps aside while the API is answering.

In AWS every function has its own CPU: however many messages the alert consumer and the incident
workflows are working through, the ingest function's answer does not wait for them. `pagerless dev`
runs them all in one process, where one thread runs Python at a time. Under a storm the consumer
and the workflow steps took about three quarters of the process, and a webhook's answer waited
for its share of the interpreter behind them.

Here the gateway counts the requests it is answering, from their arrival to the start of their
response (a stream counts only until its headers are sent, so an open console tab holds nothing
back). Background work is any code that is not serving a request: the SQS pollers, Step
Functions' tasks, schedules, the reconciler. The gateway marks its requests with a context
variable, which FastAPI's worker threads inherit. Before each call to the embedded AWS, background
work waits while a request is being answered, but for at most ``max_wait`` seconds per call, so
it is slowed, never stopped. The state snapshot, rare and heavy (it serializes every table), waits
up to one snapshot interval for a quiet moment instead. A request counts for its first ``young``
seconds only: one that waits long (on a chat vendor, on the LLM) is not using the interpreter, and
nothing waits for it.

Nothing is dropped or reordered: background work only starts its next call a little later, as a
Lambda function with less CPU would.
"""

import contextvars
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_serving: contextvars.ContextVar[bool] = contextvars.ContextVar("pagerless_serving_request", default=False)


class Foreground:
    """The requests being answered, and the wait background work makes for them."""

    def __init__(self, *, max_wait: float = 0.05, young: float = 1.0) -> None:
        self.max_wait = max_wait
        self.young = young
        self._condition = threading.Condition()
        self._started: dict[int, float] = {}  # request token -> when it arrived (monotonic)
        self._tokens = itertools.count()
        self.waits = 0  # background calls that waited (for tests and debugging)

    def enter(self) -> int:
        with self._condition:
            token = next(self._tokens)
            self._started[token] = time.monotonic()
            return token

    def leave(self, token: int) -> None:
        with self._condition:
            if self._started.pop(token, None) is not None and not self._busy():
                self._condition.notify_all()

    def active(self) -> int:
        return len(self._started)

    def _busy(self) -> bool:
        now = time.monotonic()
        return any(now - started < self.young for started in self._started.values())

    def step_aside(self, max_wait: float | None = None) -> float:
        """Called by a thread before a call to the embedded AWS: background work waits while a
        request is being answered (at most ``max_wait``, or the given longer wait of a rare, heavy
        piece of work); returns the seconds it waited. Nothing waits when stepping aside is off."""
        if not self._started or self.max_wait <= 0 or _serving.get():
            return 0.0
        began = time.monotonic()
        deadline = began + (self.max_wait if max_wait is None else max_wait)
        with self._condition:
            waited = False
            while self._busy():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                waited = True
                self._condition.wait(remaining)
            if not waited:
                return 0.0
            self.waits += 1
            return time.monotonic() - began

    @contextmanager
    def serving(self) -> Iterator[int]:
        """Mark the code inside as answering a request (for ``step_aside``) and count it as
        being answered until ``leave`` (or the block's end)."""
        token = self.enter()
        reset = _serving.set(True)
        try:
            yield token
        finally:
            _serving.reset(reset)
            self.leave(token)


FOREGROUND = Foreground()


def serving_request() -> bool:
    """Whether the calling code is answering a gateway request."""
    return _serving.get()
