"""The audit log: one item per mutating call, newest first per workspace.

Records written at the same time (a storm's webhook calls, each audited) are committed together
(`pagerless.store.group_commit`); a lone record is one ``PutItem``, as before. A record that two
writers may each write (an approval's decision: by its decider, or by the approval sweep in its
stead) is written ``once``: its key is the same for both, and the second write stores nothing.
"""

import hashlib
import uuid
from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition

from pagerless.clock import utcnow
from pagerless.domain.actors import label
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, written
from pagerless.store.group_commit import GroupCommit


class AuditRecord(BaseModel):
    class Meta:
        table_name = TableName("audit")
        region = Region()

    workspace = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<iso time>#<uuid>" sorts by time
    at = UnicodeAttribute()
    actor = UnicodeAttribute()  # key id, or "system" / a chat user
    role = UnicodeAttribute(default="")
    action = UnicodeAttribute()  # e.g. "POST /api/keys"
    target = UnicodeAttribute(default="")
    status = NumberAttribute(default=0)
    request_id = UnicodeAttribute(default="")
    details = JSONAttribute(default=dict)

    def to_dict(self) -> dict:
        name = (self.details or {}).get("actor_name", "")
        return {
            "at": self.at,
            "actor": self.actor,
            "actor_name": name,
            "actor_label": label(self.actor, name),
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "status": int(self.status),
            "request_id": self.request_id,
            "details": self.details or {},
        }


_COMMITS = GroupCommit(AuditRecord)


class AuditRepository:
    def write(
        self,
        workspace: str,
        *,
        actor: str,
        role: str,
        action: str,
        target: str = "",
        status: int = 0,
        request_id: str = "",
        details: dict | None = None,
        once: str | None = None,
        at: datetime | None = None,
    ) -> AuditRecord | None:
        """Store a record. ``once`` (with ``at``, the same on every call): stored at most once for that
        key, whoever writes it first (None then)."""
        now = at or utcnow()
        record = AuditRecord(
            workspace,
            f"{now.isoformat()}#{_once_suffix(once) if once is not None else uuid.uuid4().hex}",
            at=now.isoformat(),
            actor=actor,
            role=role,
            action=action,
            target=target,
            status=status,
            request_id=request_id,
            details=details or {},
        )
        if once is None:
            _COMMITS.save(record)
            return record
        # put on its own, not group-committed: the group commit's batches take no condition
        if not written(record.save, condition=AuditRecord.sk.does_not_exist()):
            return None
        return record

    def query(
        self,
        workspace: str,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[AuditRecord], str | None]:
        range_condition = None
        if since and until:
            range_condition = AuditRecord.sk.between(since.isoformat(), until.isoformat() + "~")
        elif since:
            range_condition = AuditRecord.sk >= since.isoformat()
        elif until:
            range_condition = AuditRecord.sk <= until.isoformat() + "~"
        filters: list[Condition] = []
        if actor:
            filters.append(AuditRecord.actor == actor)
        if action:
            filters.append(AuditRecord.action.startswith(action))
        if target:
            filters.append(AuditRecord.target == target)
        filter_condition = None
        for condition in filters:
            filter_condition = condition if filter_condition is None else filter_condition & condition
        results = AuditRecord.query(
            workspace,
            range_condition,
            filter_condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, AuditRecord, partition=workspace),
            page_size=max(limit, 25),
        )
        items = list(results)
        return items, encode_cursor(results.last_evaluated_key)


def _once_suffix(once: str) -> str:
    """The key's second part for a record written once for ``once`` (where others have a random uuid)."""
    return hashlib.sha256(once.encode()).hexdigest()[:32]
