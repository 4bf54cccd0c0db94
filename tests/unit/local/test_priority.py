"""Background work steps aside while the gateway answers requests, and is slowed, never stopped."""

import contextvars
import threading

from pagerless.local.priority import Foreground, serving_request


def _background(foreground: Foreground) -> tuple[threading.Thread, list[float]]:
    """A thread of background work (a fresh context, as every thread starts) making one call."""
    waited: list[float] = []
    thread = threading.Thread(target=lambda: waited.append(foreground.step_aside()), daemon=True)
    thread.start()
    return thread, waited


def test_background_waits_while_a_request_is_answered_and_goes_on_when_it_is():
    foreground = Foreground(max_wait=30.0, young=30.0)
    token = foreground.enter()
    thread, waited = _background(foreground)
    thread.join(0.3)
    assert thread.is_alive()  # still stepping aside

    foreground.leave(token)
    thread.join(10)
    assert not thread.is_alive() and waited[0] > 0
    assert foreground.waits == 1 and foreground.active() == 0


def test_background_is_slowed_never_stopped():
    foreground = Foreground(max_wait=0.05, young=30.0)
    foreground.enter()  # a request that never ends
    thread, waited = _background(foreground)
    thread.join(10)
    assert not thread.is_alive() and waited[0] >= 0.05


def test_nothing_waits_when_no_request_is_answered_or_the_request_is_old():
    idle = Foreground(max_wait=30.0)
    thread, waited = _background(idle)
    thread.join(10)
    assert waited == [0.0]

    old = Foreground(max_wait=30.0, young=0.0)  # a request waiting on a vendor or the LLM for long
    old.enter()
    thread, waited = _background(old)
    thread.join(10)
    assert waited == [0.0] and old.waits == 0


def test_the_code_answering_a_request_never_waits_and_its_worker_threads_inherit_that():
    foreground = Foreground(max_wait=30.0, young=30.0)
    foreground.enter()  # another request in flight
    seen: list[tuple[bool, float]] = []
    with foreground.serving():
        seen.append((serving_request(), foreground.step_aside()))
        context = contextvars.copy_context()  # what anyio gives a sync route's worker thread
        worker = threading.Thread(
            target=context.run, args=(lambda: seen.append((serving_request(), foreground.step_aside())),)
        )
        worker.start()
        worker.join(10)
    assert seen == [(True, 0.0), (True, 0.0)]
    assert not serving_request()


def test_serving_counts_until_it_leaves_and_leaving_twice_is_harmless():
    foreground = Foreground()
    with foreground.serving() as token:
        assert foreground.active() == 1
        foreground.leave(token)  # the response started: a stream no longer counts
        assert foreground.active() == 0
    assert foreground.active() == 0


def test_a_heavy_piece_of_work_may_wait_longer_than_a_call_but_not_forever():
    foreground = Foreground(max_wait=0.01, young=30.0)
    token = foreground.enter()
    waited: list[float] = []
    thread = threading.Thread(target=lambda: waited.append(foreground.step_aside(max_wait=30.0)), daemon=True)
    thread.start()
    thread.join(0.3)
    assert thread.is_alive()  # past the per-call wait: still waiting for the request to be answered
    foreground.leave(token)
    thread.join(10)
    assert not thread.is_alive() and waited[0] >= 0.3

    foreground.enter()  # a request that never ends: the longer wait ends too
    thread = threading.Thread(target=lambda: waited.append(foreground.step_aside(max_wait=0.1)), daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and waited[1] >= 0.1

    off = Foreground(max_wait=0.0, young=30.0)  # stepping aside turned off (--step-aside-ms 0)
    off.enter()
    assert off.step_aside(max_wait=30.0) == 0.0
