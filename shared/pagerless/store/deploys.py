"""Deploy events: what changed, where and when — the diagnosis reads them."""

import time
import uuid
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor

RETENTION_DAYS = 90


class ByService(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_service"
        projection = AllProjection()

    service_key = UnicodeAttribute(hash_key=True)  # "<workspace>#<service>"
    sk = UnicodeAttribute(range_key=True)


class DeployRecord(BaseModel):
    class Meta:
        table_name = TableName("deploys")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<deployed_at iso>#<id>": time order
    id = UnicodeAttribute()
    service_key = UnicodeAttribute()
    service = UnicodeAttribute()
    namespace = UnicodeAttribute(null=True)
    environment = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    commit_sha = UnicodeAttribute(null=True)
    deployed_at = UTCDateTimeAttribute()
    recorded_by = UnicodeAttribute(default="")
    expires_at = NumberAttribute(null=True)

    by_service = ByService()

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "service": self.service,
            "namespace": self.namespace,
            "environment": self.environment,
            "image": self.image,
            "actor": self.actor,
            "commit_sha": self.commit_sha,
            "timestamp": self.deployed_at.isoformat(),
        }


class DeployRepository:
    def record(
        self, workspace: str, *, service: str, deployed_at: datetime, recorded_by: str = "", **fields: str | None
    ) -> DeployRecord:
        deploy_id = f"dep_{uuid.uuid4().hex[:16]}"
        record = DeployRecord(
            workspace,
            f"{deployed_at.isoformat()}#{deploy_id}",
            id=deploy_id,
            service_key=f"{workspace}#{service}",
            service=service,
            deployed_at=deployed_at,
            recorded_by=recorded_by,
            expires_at=int(time.time()) + RETENTION_DAYS * 86400,
            **fields,
        )
        record.save()
        return record

    def query(
        self,
        workspace: str,
        *,
        service: str | None = None,
        namespace: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[DeployRecord], str | None]:
        """Deploys of a workspace (or one service), newest first, at or after ``since`` and at or
        before ``until`` (both UTC)."""
        range_condition = None
        if since and until:
            range_condition = DeployRecord.sk.between(since.isoformat(), until.isoformat() + "~")
        elif since:
            range_condition = DeployRecord.sk >= since.isoformat()
        elif until:
            range_condition = DeployRecord.sk <= until.isoformat() + "~"
        filter_condition = DeployRecord.namespace == namespace if namespace else None
        if service:
            results = DeployRecord.by_service.query(
                f"{workspace}#{service}",
                range_condition,
                filter_condition,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(
                    cursor, DeployRecord, DeployRecord.by_service, f"{workspace}#{service}"
                ),
                page_size=max(limit, 25),
            )
        else:
            results = DeployRecord.query(
                workspace,
                range_condition,
                filter_condition,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(cursor, DeployRecord, partition=workspace),
                page_size=max(limit, 25),
            )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)


def recent_deploys(
    workspace: str,
    service: str | None = None,
    namespace: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[DeployRecord]:
    """Deploys the diagnosis should consider, newest first."""
    return DeployRepository().query(
        workspace, service=service, namespace=namespace, since=since, until=until, limit=limit
    )[0]
