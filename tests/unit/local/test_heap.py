"""glibc gives freed memory back when asked (what the retention sweeper does after each sweep)."""

import pytest

from pagerless.local import heap

glibc = pytest.mark.skipif(heap._glibc() is None, reason="the C library is not glibc")


@glibc
def test_trim_returns_freed_heap_memory_to_the_system():
    blocks = [bytes(4000) for _ in range(20_000)]  # ~80 MB through malloc (too big for Python's small-object pools)
    del blocks
    assert heap.trim() is True


@glibc
def test_arena_limit_is_accepted():
    assert heap.limit_arenas(heap.DEFAULT_ARENAS) is True


def test_without_glibc_nothing_happens(monkeypatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap.trim() is False
    assert heap.limit_arenas() is False
