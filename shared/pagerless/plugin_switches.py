"""Which plugins a workspace switched off, read through one cached function.

A low module: intake, diagnosis, the policy engine and notify each ask ``disabled(workspace,
kind)`` and enforce the switch themselves, without depending on ``pagerless.plugins`` (the
catalog of every registry, which sits above them). ``PluginService`` flips a switch and calls
``forget``.
"""

import time

from pagerless.store.plugins import PluginStateRepository

CACHE_SECONDS = 15.0  # a switch reaches every warm Lambda within this long; this process sees it at once

_cache: dict[str, tuple[float, dict[tuple[str, str], dict]]] = {}


def _states(workspace: str) -> dict[tuple[str, str], dict]:
    cached = _cache.get(workspace)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    states = PluginStateRepository().list(workspace)
    _cache[workspace] = (time.monotonic() + CACHE_SECONDS, states)
    return states


def forget(workspace: str | None = None) -> None:
    """Drop the cache (of one workspace, or all): the next read goes to the store."""
    if workspace is None:
        _cache.clear()
    else:
        _cache.pop(workspace, None)


def disabled(workspace: str, kind: str) -> frozenset[str]:
    """The names of ``kind`` plugins switched off in ``workspace`` (cached ``CACHE_SECONDS``)."""
    return frozenset(
        name for (k, name), state in _states(workspace).items() if k == kind and state.get("enabled") is False
    )
