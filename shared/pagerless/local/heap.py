"""Keep glibc's malloc from holding on to memory Python has already freed.

Measured with tracemalloc in `pagerless dev` (docs/performance.md, "Memory"): under load the
process's resident memory grew about ten times more than the memory its live objects use. The
rest is freed memory that glibc keeps: every thread that allocates gets an arena of its own (up
to 8 per core), moto runs each workflow execution and each Task in threads, and a freed block in
the middle of an arena is not returned to the system until ``malloc_trim`` is called.

- ``limit_arenas``: at most a few arenas for the whole process (``mallopt(M_ARENA_MAX)``, the same
  as the ``MALLOC_ARENA_MAX`` environment variable); called before the server starts its threads.
- ``trim``: give the free pages of every arena back (``malloc_trim(0)``); the retention sweeper
  calls it after each sweep.

Both do nothing (and return False) where the C library is not glibc.
"""

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # from glibc's malloc.h
DEFAULT_ARENAS = 2


@functools.cache
def _glibc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not (hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version")):
        return None
    return libc


def limit_arenas(arenas: int = DEFAULT_ARENAS) -> bool:
    """At most ``arenas`` malloc arenas from now on; True if glibc took the setting."""
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Return free heap memory to the system; True if glibc released some."""
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))
