"""Per-workspace plugin switches: one system-table item per (workspace, kind, name) that was changed.

No item means the plugin has its default state (enabled). One item per plugin keeps concurrent
switches of different plugins from overwriting each other; listing a workspace is one Query.
"""

from pagerless.clock import utcnow
from pagerless.store.system import SystemRecord


def _pk(workspace: str) -> str:
    return f"plugins#{workspace}"


class PluginStateRepository:
    def list(self, workspace: str) -> dict[tuple[str, str], dict]:
        """{(kind, name): {"enabled", "updated_by", "updated_at"}} for every switched plugin."""
        states = {}
        for record in SystemRecord.query(_pk(workspace), consistent_read=True):
            kind, _, name = record.sk.partition(":")
            states[(kind, name)] = {**(record.data or {}), "updated_at": record.updated_at.isoformat()}
        return states

    def put(self, workspace: str, kind: str, name: str, *, enabled: bool, actor: str) -> None:
        SystemRecord(
            _pk(workspace), f"{kind}:{name}", data={"enabled": enabled, "updated_by": actor}, updated_at=utcnow()
        ).save()
