"""A workspace's runtime configuration overrides, one item on the system table."""

from pagerless.clock import utcnow
from pagerless.store.system import SystemRecord

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

    def put(self, workspace: str, values: dict, *, actor: str) -> None:
        SystemRecord(PK, workspace, data={"values": values, "updated_by": actor}, updated_at=utcnow()).save()
