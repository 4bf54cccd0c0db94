"""A workspace's runtime configuration overrides, one item on the system table."""

from collections.abc import Callable

from pagerless.store.system import SystemRecord, SystemRepository

PK = "config"


class ConfigRecordView:
    def __init__(self, record: SystemRecord) -> None:
        data = record.data or {}
        self.values: dict = data.get("values") or {}
        self.updated_by: str | None = data.get("updated_by")
        self.updated_at = record.updated_at


class ConfigRepository:
    def get(self, workspace: str) -> ConfigRecordView | None:
        from pynamodb.exceptions import DoesNotExist

        try:
            return ConfigRecordView(SystemRecord.get(PK, workspace, consistent_read=True))
        except DoesNotExist:
            return None

    def edit(self, workspace: str, change: Callable[[dict], dict], *, actor: str) -> None:
        """Store ``change`` of the workspace's overrides, applied again to what another edit stored meanwhile
        (`SystemRepository.edit`): a concurrent change of another key is kept."""
        SystemRepository().edit(
            PK,
            workspace,
            lambda data: {"values": change(dict(data.get("values") or {})), "updated_by": actor},
            what=f"the configuration of workspace {workspace}",
        )
