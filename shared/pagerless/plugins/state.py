"""Which plugins a workspace switched off, read through one cached function, and the switch itself."""

import time

from pagerless.plugins.registry import KINDS, Plugin, catalog, find
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
    return frozenset(name for (k, name), state in _states(workspace).items()
                     if k == kind and state.get("enabled") is False)


class PluginService:
    def __init__(self, repository: PluginStateRepository | None = None) -> None:
        self.repository = repository or PluginStateRepository()

    def list(self, workspace: str, kind: str | None = None, enabled: bool | None = None) -> list[dict]:
        if kind is not None and kind not in KINDS:
            from pagerless.domain.errors import ValidationError

            raise ValidationError(f"unknown plugin kind {kind!r}", details=[{"field": "kind", "allowed": list(KINDS)}])
        states = self.repository.list(workspace)
        items = [self._view(p, states.get((p.kind, p.name))) for p in catalog() if kind is None or p.kind == kind]
        return [item for item in items if enabled is None or item["enabled"] is enabled]

    def get(self, workspace: str, name: str, kind: str | None = None) -> dict:
        plugin = find(name, kind)
        state = self.repository.list(workspace).get((plugin.kind, plugin.name))
        return self._view(plugin, state, detailed=True)

    def set_enabled(self, workspace: str, name: str, enabled: bool, *, actor: str, kind: str | None = None) -> dict:
        plugin = find(name, kind)
        self.repository.put(workspace, plugin.kind, plugin.name, enabled=enabled, actor=actor)
        forget(workspace)
        return self.get(workspace, plugin.name, plugin.kind)

    @staticmethod
    def _view(plugin: Plugin, state: dict | None, *, detailed: bool = False) -> dict:
        view = {"id": plugin.id, "name": plugin.name, "kind": plugin.kind, "description": plugin.description,
                "enabled": not (state and state.get("enabled") is False), "aliases": list(plugin.aliases)}
        if detailed:
            view |= {"module": plugin.module, "details": plugin.details,
                     "updated_by": (state or {}).get("updated_by"), "updated_at": (state or {}).get("updated_at")}
        return view
