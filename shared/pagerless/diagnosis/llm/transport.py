"""One Messages API call with bounded retries; the SDK is imported here, on first use only.

The SDK's own retries are turned off (``max_retries=0``): its backoff constants are not
configurable and it honours any ``retry-after`` a server sends. Here the backoff is a setting, each
wait is capped at ``retry_backoff_max_s``, and no request or wait runs past the investigation's
deadline (``max_seconds``), so a Lambda with a time limit still returns the analyzers' diagnosis.
"""

import json
import random
import time
from collections.abc import Callable
from typing import Any

from pagerless.diagnosis.llm.settings import LlmSettings

# Backoff jitter draws from its own generator: the global one is the application's (and a test's) to seed.
_JITTER = random.Random()

_RETRYABLE_STATUS = {408, 409, 429}  # and every 5xx, including 529 overloaded


class LlmUnavailableError(Exception):
    """The model could not be reached or refused the request for good (auth, bad request, retries spent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def anthropic_client(settings: LlmSettings) -> Any:
    """The real client, built from settings (the default ``client_factory``)."""
    import anthropic  # noqa: PLC0415 — 2.6 s import, only when a key is configured

    return anthropic.Anthropic(
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        base_url=settings.base_url,
        max_retries=0,
        timeout=settings.request_timeout_s,
    )


def create_message(
    client: Any,
    request: dict[str, Any],
    settings: LlmSettings,
    *,
    deadline: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """``client.messages.create(**request)``, retrying 429/5xx/529 and connection errors with
    backoff, never past ``deadline`` (a ``clock()`` value)."""
    import anthropic  # noqa: PLC0415

    attempt = 0
    while True:
        remaining = deadline - clock()
        if remaining <= 1.0:
            raise LlmUnavailableError(
                f"time limit of {settings.max_seconds:g}s reached" + (f" after {attempt} retries" if attempt else "")
            )
        try:
            return client.messages.create(**request, timeout=min(settings.request_timeout_s, remaining))
        except anthropic.APIStatusError as exc:
            retryable = exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
            if not retryable or attempt >= settings.max_retries:
                raise LlmUnavailableError(_describe(exc, attempt)) from exc
            delay = backoff_delay(attempt, settings, _retry_after(exc.response.headers))
        except anthropic.APIConnectionError as exc:
            if attempt >= settings.max_retries:
                raise LlmUnavailableError(_describe(exc, attempt)) from exc
            delay = backoff_delay(attempt, settings, None)
        except (json.JSONDecodeError, anthropic.APIResponseValidationError) as exc:
            raise LlmUnavailableError(f"malformed response from the Messages API ({type(exc).__name__})") from exc
        attempt += 1
        sleep(min(delay, max(deadline - clock() - 1.0, 0)))


def backoff_delay(attempt: int, settings: LlmSettings, retry_after: float | None) -> float:
    """Seconds before retry ``attempt + 1``: the server's retry-after, else exponential with jitter;
    never more than ``retry_backoff_max_s``."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, settings.retry_backoff_max_s)
    exponential = settings.retry_backoff_base_s * (2**attempt)
    return min(exponential, settings.retry_backoff_max_s) * (0.5 + _JITTER.random() / 2)


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers.get(name)) * scale
        except (TypeError, ValueError):
            continue
    return None


def _describe(exc: Exception, retries: int) -> str:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        detail = f"{error.get('type')}: {error.get('message')}"
    else:
        detail = getattr(exc, "message", None) or type(exc).__name__
    where = f"HTTP {status}" if status else type(exc).__name__
    after = f" after {retries} retries" if retries else ""
    return f"{where} {detail}{after}"
