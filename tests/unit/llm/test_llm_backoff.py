"""The Messages API client's wait before a retry (`transport.backoff_delay`)."""

import random

from pagerless.diagnosis.llm.settings import LlmSettings
from pagerless.diagnosis.llm.transport import backoff_delay

SETTINGS = LlmSettings(retry_backoff_base_s=1.0, retry_backoff_max_s=16.0)


def test_a_wait_doubles_per_attempt_with_jitter_and_stops_at_the_cap():
    for attempt, full in enumerate([1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0]):
        waits = [backoff_delay(attempt, SETTINGS, None) for _ in range(200)]
        assert all(full / 2 <= wait <= full for wait in waits), (attempt, min(waits), max(waits))
        assert len(set(waits)) > 1  # jittered, so retries of many investigations do not land together


def test_a_servers_retry_after_is_honoured_up_to_the_cap():
    assert backoff_delay(0, SETTINGS, 3.0) == 3.0
    assert backoff_delay(0, SETTINGS, 120.0) == 16.0


def test_the_jitter_leaves_the_global_random_generator_alone():
    """A program that seeds `random` (a test, a simulation) gets the same numbers whether or not
    Pagerless retried something in between: the jitter has its own generator."""
    random.seed(1234)
    expected = [random.random() for _ in range(3)]
    random.seed(1234)
    for attempt in range(5):
        backoff_delay(attempt, SETTINGS, None)
    assert [random.random() for _ in range(3)] == expected
