"""What an action changes, field by field, in words an approver reads: `limits.memory: 256Mi → 512Mi`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

_KEYED_LISTS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
}
_SHORTEN = ("spec.template.spec.", "spec.template.")


class Change(BaseModel):
    model_config = ConfigDict(frozen=True)
    field: str
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.before)} → {_show(self.after)}"


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return repr(value)
    return str(value)


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two JSON values; keyed lists (containers by name) compare by key."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in list(before) + [k for k in after if k not in before]:
            changes += diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return changes
    key = _KEYED_LISTS.get(path.rsplit(".", 1)[-1])
    if key and isinstance(before, list) and isinstance(after, list):
        old = {item.get(key): item for item in before if isinstance(item, dict)}
        new = {item.get(key): item for item in after if isinstance(item, dict)}
        changes = []
        for name in list(old) + [n for n in new if n not in old]:
            changes += diff(old.get(name), new.get(name), f"{path}[{name}]")
        return changes
    if before == after:
        return []
    return [Change(field=_shorten(path), before=before, after=after)]


def _shorten(path: str) -> str:
    for prefix in _SHORTEN:
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def render(changes: list[Change]) -> str:
    return "\n".join(str(c) for c in changes) if changes else "(no change)"
