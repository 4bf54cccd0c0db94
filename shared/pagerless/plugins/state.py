"""The switch itself: list, read and flip plugins (the cached read is ``pagerless.plugin_switches``)."""

from pagerless.plugin_switches import forget
from pagerless.plugins.registry import KINDS, Plugin, catalog, find
from pagerless.store.plugins import PluginStateRepository


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
        view = {
            "id": plugin.id,
            "name": plugin.name,
            "kind": plugin.kind,
            "description": plugin.description,
            "enabled": not (state and state.get("enabled") is False),
            "aliases": list(plugin.aliases),
        }
        if detailed:
            view |= {
                "module": plugin.module,
                "details": plugin.details,
                "updated_by": (state or {}).get("updated_by"),
                "updated_at": (state or {}).get("updated_at"),
            }
        return view
